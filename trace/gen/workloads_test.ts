import assert from "node:assert/strict";
import { type Event, PAGE_SIZE } from "../event.ts";
import { formatTraceText } from "../text/stringify.ts";
import { parseTraceText } from "../text/parse.ts";
import { WORKLOADS } from "./registry.ts";
import { generateWorkload } from "./generate.ts";
import { resolveParams } from "./workload.ts";

/** Small parameters for each workload, so that the whole file runs in a second. */
const SMALL: Record<string, Record<string, number>> = {
  "aim7": { children: 3, pages: 8 },
  "fork-chain": { depth: 3, pages: 8 },
  "mremap-after-fork": { pages: 8, own: 2 },
  "fork-server": { pages: 32, children: 5, concurrent: 2, touch: 4 },
  "zygote": { apps: 3, pages: 16, libs: 16, heap: 4 },
  "shared-anon": { procs: 3, pages: 8, ops: 10 },
  "tmpfs-pages": { files: 2, pages: 4, anon: 4 },
  "scan-pressure": { procs: 3, pages: 16, file: 8, rounds: 2, reclaim: 4 },
  "random": { events: 300 },
};

type Range = [start: number, end: number];

/**
 * Replays the process/area bookkeeping of a trace and returns the problems: events of processes that
 * do not exist, forks to existing pids, and accesses outside every mapped area (the generators
 * promise traces that replay without segv).
 */
function problems(events: Iterable<Event>): string[] {
  const out: string[] = [];
  const spaces = new Map<number, Range[]>([[1, []]]);
  const cut = (areas: Range[], s: number, e: number) =>
    areas.flatMap(([a, b]): Range[] =>
      b <= s || a >= e
        ? [[a, b]]
        : [...(a < s ? [[a, s] as Range] : []), ...(b > e ? [[e, b] as Range] : [])]
    );
  let n = 0;
  for (const ev of events) {
    n++;
    if (ev.pid === 0) continue;
    const areas = spaces.get(ev.pid);
    if (!areas) {
      out.push(`event ${n}: pid ${ev.pid} does not exist (${ev.op})`);
      continue;
    }
    switch (ev.op) {
      case "fork":
        if (spaces.has(ev.child)) out.push(`event ${n}: fork to existing pid ${ev.child}`);
        spaces.set(ev.child, areas.map(([a, b]) => [a, b]));
        break;
      case "exit":
        spaces.delete(ev.pid);
        break;
      case "mmap": {
        const s = Number(ev.addr) / PAGE_SIZE, e = s + ev.len / PAGE_SIZE;
        spaces.set(ev.pid, [...cut(areas, s, e), [s, e]]);
        break;
      }
      case "munmap": {
        const s = Number(ev.addr) / PAGE_SIZE;
        spaces.set(ev.pid, cut(areas, s, s + ev.len / PAGE_SIZE));
        break;
      }
      case "mremap": {
        const s = Number(ev.addr) / PAGE_SIZE, ns = Number(ev.newAddr) / PAGE_SIZE;
        const moved = cut(areas, s, s + ev.len / PAGE_SIZE);
        spaces.set(ev.pid, [...cut(moved, ns, ns + ev.newLen / PAGE_SIZE), [
          ns,
          ns + ev.newLen / PAGE_SIZE,
        ]]);
        break;
      }
      case "r":
      case "w":
      case "x": {
        const p = Math.floor(Number(ev.addr) / PAGE_SIZE);
        if (!areas.some(([a, b]) => p >= a && p < b)) {
          out.push(`event ${n}: pid ${ev.pid} ${ev.op} of unmapped page ${p.toString(16)}`);
        }
        break;
      }
    }
  }
  return out;
}

for (const [name, workload] of Object.entries(WORKLOADS)) {
  Deno.test(`${name}: deterministic, seeded, and valid under its header`, () => {
    const small = SMALL[name];
    assert(small, `no small parameters for workload ${name}`);
    const a = generateWorkload(name, small);
    const b = generateWorkload(name, small);
    const events = [...a.events];
    assert.deepEqual(events, [...b.events]);
    assert.deepEqual(events, [...a.events], "iterating twice gives the same events");
    assert.notDeepEqual(
      JSON.stringify([...generateWorkload(name, { ...small, seed: 2 }).events]),
      JSON.stringify(events),
      "another seed gives another trace",
    );
    assert.deepEqual(a.header.mem, a.params.mem);
    assert.deepEqual(a.header.swap, a.params.swap);
    assert.deepEqual(events[0], { pid: 0, op: "swapon", name: "swap0", size: a.params.swap });
    const marks = events.filter((e) => e.op === "mark");
    assert(marks.length >= 2, "phases are separated by marks");
    // random clones threads and provokes segv on purpose; its own tests cover it.
    if (name !== "random") assert.deepEqual(problems(events), []);
    // The text form carries it exactly.
    const back = parseTraceText(formatTraceText(a.header, events), `${name}.vmt`);
    assert.deepEqual(back.events.map(({ line: _, ...e }) => e), events);
    assert(workload.params.some((p) => p.name === "seed"));
  });
}

Deno.test("aim7: each child writes --cow pages, after the fork phase", () => {
  const { events } = generateWorkload("aim7", { children: 4, pages: 10, cow: 6 });
  const cowStart = events && [...events].findIndex((e) => e.op === "mark" && e.label === "cow");
  const writes = [...events].slice(cowStart).filter((e) => e.op === "w");
  assert.deepEqual(writes.length, 4 * 6);
  for (let c = 2; c <= 5; c++) {
    const mine = writes.filter((e) => e.pid === c).map((e) => e.op === "w" ? e.addr : 0);
    assert.deepEqual(new Set(mine).size, 6, `child ${c} writes 6 distinct pages`);
  }
});

Deno.test("fork-chain: --exit=0 keeps every generation alive until the end", () => {
  const live = [...generateWorkload("fork-chain", { depth: 4, pages: 8, exit: 0 }).events];
  const exits = live.map((e, i) => e.op === "exit" ? i : -1).filter((i) => i >= 0);
  const exitMark = live.findIndex((e) => e.op === "mark" && e.label === "exit");
  assert.deepEqual(exits.length, 5);
  assert(exits.every((i) => i > exitMark));
});

Deno.test("mremap-after-fork: moves the shared area after paging part of it out", () => {
  const events = [...generateWorkload("mremap-after-fork", { pages: 8 }).events];
  const moves = events.filter((e) => e.op === "mremap");
  assert.deepEqual(moves.length, 2, "the parent's own area, then the shared one");
  const pageoutAt = events.findIndex((e) => e.op === "madvise" && e.advice === "pageout");
  assert(pageoutAt >= 0 && pageoutAt < events.indexOf(moves[1]!));
});

Deno.test("tmpfs-pages: nobody maps the files until after swapoff", () => {
  const events = [...generateWorkload("tmpfs-pages", { files: 2, pages: 4 }).events];
  const off = events.findIndex((e) => e.op === "swapoff");
  const firstMap = events.findIndex((e) => e.op === "mmap" && e.object?.startsWith("tmpfs:"));
  assert(off > 0 && firstMap > off);
});

Deno.test("resolveParams() rejects unknown names, bad text and out-of-range values", () => {
  const w = WORKLOADS["aim7"]!;
  assert.throws(() => resolveParams(w, { kids: "3" }), {
    name: "ParamError",
    message: /no parameter --kids/,
  });
  assert.throws(() => resolveParams(w, { children: "three" }), {
    name: "ParamError",
    message: /expected a whole number/,
  });
  assert.throws(() => resolveParams(w, { children: "0" }), {
    name: "ParamError",
    message: /at least 1/,
  });
  assert.throws(() => resolveParams(w, { mem: "lots" }), {
    name: "ParamError",
    message: /expected a size/,
  });
  assert.deepEqual(resolveParams(w, { mem: "64M" }).mem, 64 << 20);
  assert.throws(() => generateWorkload("nope"), {
    name: "ParamError",
    message: /Unknown workload 'nope'/,
  });
});

Deno.test("resolveParams() computes defaults from earlier parameters", () => {
  const w = WORKLOADS["aim7"]!;
  assert.deepEqual(resolveParams(w, { pages: "20" }).cow, 20);
  const small = resolveParams(w, { children: "2" }).mem!;
  const big = resolveParams(w, { children: "20" }).mem!;
  assert(big > small, "memory grows with the footprint");
});
