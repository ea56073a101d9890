/**
 * The invariant checker against reverse maps that lie: an rmap that finds more PTEs than the page
 * tables hold, fewer, or the wrong ones, must each be reported.
 */
import { deepStrictEqual } from "node:assert/strict";
import { checkInvariants, type CheckState } from "./check.ts";
import { FrameTable, LRU, PG } from "./mm/frames.ts";
import { Machine } from "./machine.ts";
import { Mm } from "./mm/mm.ts";
import { PageTables } from "./mm/page_table.ts";
import { PTE_PRESENT } from "./mm/pte.ts";
import { SwapSpace } from "./mm/swap.ts";
import { Vma } from "./mm/vma.ts";
import { MapFlag, Prot } from "../uapi/event.ts";
import { registerWrapped } from "../tests/_strategy_wrapper.ts";
import { TraceBuilder } from "../trace/builder.ts";

/**
 * A consistent machine state by hand: address space 1 with a 2-page area at page 0x100 whose
 * first page maps frame 1 (anonymous, on the inactive anon list); the rmap answers `rmap`.
 */
function oneMappedPage(rmap: number[]): CheckState {
  const frames = new FrameTable(4);
  const pt = new PageTables();
  const mm = new Mm(1, pt.alloc());
  mm.insert(
    new Vma(
      1,
      mm,
      0x100,
      0x102,
      Prot.read | Prot.write,
      MapFlag.private | MapFlag.anon,
      null,
      0x100,
    ),
  );
  const fr = frames.alloc();
  frames.flags[fr] = PG.anon | PG.swapBacked;
  frames.lruAdd(fr, LRU.inactiveAnon);
  const s = pt.ensure(mm, 0x100);
  pt.flags[s] = PTE_PRESENT;
  pt.num[s] = fr;
  frames.mapcount[fr] = 1;
  mm.rss = 1;
  return {
    frames,
    pt,
    swap: new SwapSpace(),
    mms: [mm],
    objects: [],
    hasRmap: true,
    rmapOf: (f) => (f === fr ? rmap : []),
  };
}

Deno.test("check: an rmap that finds the one PTE passes", () => {
  deepStrictEqual(checkInvariants(oneMappedPage([1, 0x100])), []);
});

Deno.test("check: an rmap that finds more PTEs than the page tables hold is reported", () => {
  // The real PTE plus one at the area's second page, which maps nothing.
  deepStrictEqual(checkInvariants(oneMappedPage([1, 0x100, 1, 0x101])), [
    "rmap of frame 1 finds 2 PTEs, page tables have 1",
  ]);
  // The same PTE reported twice is still one PTE.
  deepStrictEqual(checkInvariants(oneMappedPage([1, 0x100, 1, 0x100])), []);
});

Deno.test("check: an rmap that finds fewer PTEs, or the wrong one, is reported", () => {
  deepStrictEqual(checkInvariants(oneMappedPage([])), [
    "rmap of frame 1 misses the PTE at 1:256 (mm:page)",
    "rmap of frame 1 finds 0 PTEs, page tables have 1",
  ]);
  deepStrictEqual(checkInvariants(oneMappedPage([1, 0x101])), [
    "rmap of frame 1 misses the PTE at 1:256 (mm:page)",
  ]);
});

/** Replays `t` through `strategy` with `check` on; returns the check messages. */
function checked(strategy: string, t: TraceBuilder): string[] {
  const out: string[] = [];
  const m = new Machine({
    memPages: 64,
    swapPages: 64,
    strategy,
    check: true,
    onDiagnostic: (d) => {
      if (d.kind === "check") out.push(`line ${d.line}: ${d.message}`);
    },
  });
  const b = t.batch();
  for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
  deepStrictEqual(m.extraCounters().check_errors, out.length);
  return out;
}

// A page mapped by parent and child (fork, no write since).
const forked = () =>
  new TraceBuilder().mmap(1, 0x10000000, "4K", "rw-", "private,anon").w(1, 0x10000000).fork(1, 2);

Deno.test("check: a strategy whose walk misses a PTE is reported after the event that shows it", () => {
  // anon_vma_chain whose walk, when check asks, stops after the first area it offers.
  const off = registerWrapped("liar:first-only", "anon_vma_chain", (frame, visit, walk, ctx) => {
    if (!ctx.checking) return walk(frame, visit);
    walk(frame, { vma: (v, p) => (visit.vma(v, p), true), mm: (m, p) => (visit.mm(m, p), true) });
  });
  try {
    // mm ids: the parent's is 1, the child's 2; page 0x10000.
    deepStrictEqual(checked("liar:first-only", forked()), [
      "line 3: rmap of frame 1 misses the PTE at 2:65536 (mm:page)",
      "line 3: rmap of frame 1 finds 1 PTEs, page tables have 2",
    ]);
  } finally {
    off();
  }
});

Deno.test("check: areas offered that do not map the page cannot make an rmap find more", () => {
  // A walk that offers every area of every address space at the page's index, on top of its own:
  // the machine's visitor looks each PTE up and keeps only those that map the page, so this lie
  // cannot reach the checker (which is why the "more PTEs" case is tested on the checker itself).
  const off = registerWrapped("liar:everything", "anon_vma", (frame, visit, walk, ctx) => {
    walk(frame, visit);
    if (!ctx.checking) return;
    for (const mm of ctx.mms()) for (const v of mm.vmas) visit.vma(v, v.start);
  });
  try {
    deepStrictEqual(
      checked("liar:everything", forked().mmap(2, 0x20000000, "4K", "rw-", "private,anon")),
      [],
    );
  } finally {
    off();
  }
});

Deno.test("checker: a write in flight for a frame not under writeback is reported", () => {
  // The one page is mapped and not being written: a write of it in flight means the page was
  // freed (or its frame given to another page) while the write ran.
  const st = oneMappedPage([1, 0x100]);
  deepStrictEqual(checkInvariants({ ...st, inFlight: [] }), []);
  deepStrictEqual(checkInvariants({ ...st, inFlight: [1] }), [
    "frame 1: a write in flight, but the frame is not under writeback (freed?)",
  ]);
  st.frames.flags[1] = st.frames.flags[1]! | PG.writeback;
  deepStrictEqual(checkInvariants({ ...st, inFlight: [1] }), []);
});
