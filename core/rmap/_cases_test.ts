/**
 * The tests every strategy passes, whatever its design (as Hono's routers share
 * `common.case.test.ts`): each `core/rmap/NAME_test.ts` calls {@linkcode strategyCases} with its
 * strategy's name, then tests what its own design does. This module registers no test itself.
 *
 * - Long seeded random workloads in tiny memory with `check` on, so that reclaim, swap-out,
 *   swap-in, readahead and swapoff run all the time: every invariant holds after every event, the
 *   strategy's rmap included.
 * - Every load reads what the reference model (`core/reference.ts`) expects, under pressure.
 * - Its metadata is all freed once every process has exited.
 * - `Machine.applyRun` (the fast path) leaves the machine where `apply` event by event does, with
 *   the default TLB and with 8 entries.
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import { EventBatch } from "../../trace/batch.ts";
import type { Event } from "../../trace/event.ts";
import { C } from "../counters.ts";
import { Machine } from "../machine.ts";
import { ReferenceModel } from "../reference.ts";

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random but meaningful events: few processes, a few regions, a few objects. */
function randomWorkload(seed: number, n: number, opts: { lock?: boolean } = {}): Event[] {
  // Populating or locking a private file mapping breaks COW at once in Linux (a snapshot of the
  // file), which the reference model does not follow; leave that out when comparing loads.
  const lock = opts.lock ?? true;
  const rnd = prng(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const alive = [1];
  let nextPid = 2;
  const region = (k: number) => 0x10000000 + k * 0x100000;
  const addr = () => region(int(6)) + int(28) * 4096 + int(4096);
  const objects = ["file:/a", "file:/b", "tmpfs:/t", "shm:1"];
  const swaps = ["s0", "s1"];
  const out: Event[] = [];
  while (out.length < n) {
    const pid = pick(alive);
    const r = rnd();
    if (r < 0.55) {
      const op = rnd() < 0.45 ? "w" : rnd() < 0.9 ? "r" : "x";
      out.push({ pid, op, addr: addr(), len: rnd() < 0.85 ? 1 + int(8) : 4096 * (1 + int(6)) });
    } else if (r < 0.64) {
      const kind = int(7);
      const flags = [5, 6, 1, 2, 2, 1, 2][kind]! |
        (lock || kind < 2 ? (rnd() < 0.1 ? 8 : 0) | (rnd() < 0.05 ? 16 : 0) : 0);
      const object = [undefined, undefined, "file:/a", "file:/b", "tmpfs:/t", "tmpfs:/t", "shm:1"][
        kind
      ];
      const ev: Event = {
        pid,
        op: "mmap",
        addr: region(int(6)) + int(4) * 4096,
        len: 4096 * (4 + int(28)),
        prot: pick([3, 3, 3, 1, 5, 7, 0]),
        flags,
      };
      if (object !== undefined) {
        ev.object = object;
        ev.offset = 4096 * int(8);
      }
      out.push(ev);
    } else if (r < 0.66) {
      out.push({
        pid,
        op: "munmap",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(16)),
      });
    } else if (r < 0.70) {
      out.push({
        pid,
        op: "mprotect",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(12)),
        prot: pick([1, 3, 3, 0, 5]),
      });
    } else if (r < 0.73) {
      const a = region(int(6)) + int(8) * 4096;
      const len = 4096 * (1 + int(8));
      const moveTo = rnd() < 0.5 ? a : region(int(6)) + (48 + int(8)) * 4096;
      out.push({ pid, op: "mremap", addr: a, len, newAddr: moveTo, newLen: 4096 * (1 + int(12)) });
    } else if (r < 0.76) {
      out.push({
        pid,
        op: "madvise",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(12)),
        advice: pick(["dontneed", "pageout", "willneed"] as const),
      });
    } else if (r < 0.78) {
      out.push({
        pid,
        op: lock
          ? pick(["mlock", "munlock", "msync"] as const)
          : pick(["munlock", "msync"] as const),
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(8)),
      });
    } else if (r < 0.81) {
      if (alive.length < 7) {
        const child = nextPid++;
        out.push({ pid, op: rnd() < 0.8 ? "fork" : "clone", child });
        alive.push(child);
      }
    } else if (r < 0.83) {
      if (alive.length > 1) {
        out.push({ pid, op: "exit" });
        alive.splice(alive.indexOf(pid), 1);
      }
    } else if (r < 0.835) {
      out.push({ pid, op: "exec" });
    } else if (r < 0.90) {
      const object = pick(objects);
      const k = int(6);
      if (k === 0) out.push({ pid, op: "create", object, size: 4096 * int(40) });
      else if (k === 1) out.push({ pid, op: "truncate", object, size: 4096 * int(30) + int(4096) });
      else if (k === 2) {
        out.push({ pid, op: "write", object, offset: int(40 * 4096), len: 1 + int(12000) });
      } else if (k === 3) {
        out.push({ pid, op: "read", object, offset: int(40 * 4096), len: 1 + int(12000) });
      } else if (k === 4) out.push({ pid, op: rnd() < 0.3 ? "unlink" : "fsync", object });
      else out.push({ pid, op: "fsync", object });
    } else if (r < 0.92) {
      const name = pick(swaps);
      if (rnd() < 0.5) {
        out.push({ pid: 0, op: "swapon", name, size: 4096 * (64 + int(128)), prio: int(3) });
      } else out.push({ pid: 0, op: "swapoff", name });
    } else {
      out.push({ pid: 0, op: "reclaim", pages: 1 + int(24) });
    }
  }
  return out;
}

/** Events numbered by line, in a batch of their own. */
function batchOf(events: Event[]): EventBatch {
  const b = new EventBatch(events.length);
  events.forEach((e, i) => b.push({ ...e, line: i + 1 }));
  return b;
}

/** Registers the tests every strategy passes, for strategy `name`. */
export function strategyCases(name: string): void {
  Deno.test(`${name}: keeps every invariant through 1500 random events in 40 frames`, () => {
    const b = batchOf(randomWorkload(7, 1500));
    const checks: string[] = [];
    const m = new Machine({
      memPages: 40,
      swapPages: 4096,
      strategy: name,
      check: true,
      onDiagnostic: (d) => {
        if (d.kind === "check" && checks.length < 20) checks.push(`line ${d.line}: ${d.message}`);
      },
    });
    for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
    deepStrictEqual(checks, []);
    deepStrictEqual(m.extraCounters().check_errors, 0);
    // The run really was under pressure.
    if (m.counters[C.swap_out_pages]! < 50 || m.counters[C.pages_reclaimed]! < 100) {
      throw new Error(`too little pressure: ${m.counters[C.swap_out_pages]} pages swapped out`);
    }
  });

  Deno.test(`${name}: loads what the reference model expects, under pressure`, () => {
    const b = batchOf(randomWorkload(11, 6000, { lock: false }));
    const problems: string[] = [];
    const m = new Machine({
      memPages: 48,
      swapPages: 8192,
      strategy: name,
      recordLoads: true,
      onDiagnostic: (d) => {
        if (/memory|still in use/.test(d.message)) problems.push(`line ${d.line}: ${d.message}`);
      },
    });
    const ref = new ReferenceModel();
    const wrong: string[] = [];
    let loads = 0;
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i]!;
      const segv = m.counters[C.segv]!;
      const pages = b.n1[i]! <= 0 ? 0 : Math.floor((b.off[i]! + b.n1[i]! - 1) / 4096) + 1;
      const ok = op < 12 || op > 14 || ref.accessOk(b.pid[i]!, op, b.page[i]!, pages);
      m.apply(b, i, i + 1);
      if (ok === (m.counters[C.segv]! > segv) && wrong.length < 10) {
        wrong.push(`line ${i + 1}: segv ${!ok} expected`);
      }
      if (op === 12 || op === 14) {
        for (let k = 0; k < m.loadCount; k++) {
          loads++;
          const want = ref.expected(b.pid[i]!, m.loadVpage[k]!);
          if (want !== m.loadStamp[k] && wrong.length < 10) {
            wrong.push(
              `line ${i + 1}: page ${m.loadVpage[k]} read ${m.loadStamp[k]}, expected ${want}`,
            );
          }
        }
      }
      ref.apply(b, i, i + 1);
    }
    deepStrictEqual(problems, []);
    deepStrictEqual(wrong, []);
    if (loads < 500 || m.counters[C.swap_in_pages]! < 100) {
      throw new Error(
        `too little coverage: ${loads} loads, ${m.counters[C.swap_in_pages]} swap-ins`,
      );
    }
  });

  Deno.test(`${name}: frees all its metadata when every process has exited`, () => {
    const events = randomWorkload(17, 3000);
    const alive = new Set<number>();
    for (const e of events) {
      if (e.op === "exit") alive.delete(e.pid);
      else if (e.pid !== 0) alive.add(e.pid);
      if (e.op === "fork" || e.op === "clone") alive.add(e.child);
    }
    for (const pid of alive) events.push({ pid, op: "exit" });
    const b = batchOf(events);
    const m = new Machine({ memPages: 40, swapPages: 4096, strategy: name, check: true });
    for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
    deepStrictEqual([m.processCount(), m.metaBytes(), m.extraCounters().check_errors], [0, 0, 0]);
    if (m.counters[C.rmap_meta_bytes_peak]! === 0 && name !== "scan") {
      throw new Error("no metadata was ever allocated: the workload tests nothing");
    }
  });

  Deno.test(`${name}: Machine.applyRun leaves it where apply event by event does`, () => {
    // each access followed by a load and a store of the same bytes (TLB hits), marks to stop at, and
    // a process past the small-pid cache of mmOf
    const events = randomWorkload(13, 8000).flatMap((e): Event[] =>
      e.op === "r" || e.op === "w" || e.op === "x"
        ? [e, { ...e, op: "r" }, { ...e, op: "w" }, { ...e, op: "x" }]
        : [e]
    );
    for (let i = 500; i < events.length; i += 977) {
      events.splice(i, 0, { pid: 0, op: "mark", label: `m${i}` });
    }
    for (const e of events) if (e.pid === 3 && e.op !== "fork" && e.op !== "clone") e.pid = 70000;
    const b = batchOf(events);
    // the processes alive at each mark
    const alive: number[][] = [];
    const live = new Set<number>();
    events.forEach((e, i) => {
      if (e.op === "mark") alive[i] = [...live];
      else if (e.op === "exit") live.delete(e.pid);
      else if (e.pid !== 0) live.add(e.pid);
      if (e.op === "fork" || e.op === "clone") live.add(e.child);
    });
    // the default TLB, and one of 8 entries: misses whose PTE needs no fault, which applyRun serves
    // itself (about 200 in this trace, whose misses mostly fault: 48 pages of memory)
    let defaultTlb: { faults: number; misses: number } | undefined;
    for (const tlbEntries of [1536, 8]) {
      const log: string[][] = [[], []];
      const machines = [0, 1].map((k) =>
        new Machine({
          memPages: 48,
          swapPages: 8192,
          tlbEntries,
          strategy: name,
          onDiagnostic: (d) => log[k]!.push(`${d.line} ${d.kind} ${d.message}`),
        })
      );
      const [one, run] = machines as [Machine, Machine];
      // the same contents in every page of every live process (stores' stamps included)
      const pages = (m: Machine, pids: number[]) =>
        pids.flatMap((pid) =>
          Array.from({ length: 6 * 256 }, (_, k) => m.pageStamp(pid, 0x10000 + k))
        ).filter((x) => x !== undefined);
      let i = 0, stops = 0, stamps = 0;
      while (i < b.length) {
        const stop = run.applyRun(b, i, Math.min(b.length, i + 3000), i);
        for (; i < stop; i++) one.apply(b, i, i + 1);
        if (stop < b.length && b.op[stop] === 24) {
          stops++;
          const before = pages(one, alive[stop]!);
          deepStrictEqual(pages(run, alive[stop]!), before, `${name} at line ${stop + 1}`);
          stamps += before.filter((x) => x > 0).length;
          for (const m of machines) m.apply(b, stop, stop + 1);
          i = stop + 1;
        }
      }
      deepStrictEqual(stops, Math.floor((events.length - 500) / 978) + 1);
      deepStrictEqual([...run.counters], [...one.counters], name);
      deepStrictEqual(run.extraCounters(), one.extraCounters(), name);
      deepStrictEqual(log[1], log[0], name);
      if (stamps < 200) throw new Error(`${stamps} pages written`);
      if (one.counters[C.tlb_hits]! < 2000) throw new Error(`${one.counters[C.tlb_hits]} hits`);
      // A TLB changes no result but its own counters: what the small one misses more are walks.
      const faults = one.counters[C.minor_faults]! + one.counters[C.major_faults]!;
      const base = defaultTlb;
      if (base === undefined) defaultTlb = { faults, misses: one.counters[C.tlb_misses]! };
      else {
        deepStrictEqual(faults, base.faults, name);
        const walked = one.counters[C.tlb_misses]! - base.misses;
        if (walked < 150) throw new Error(`${name}: ${walked} more misses with 8 TLB entries`);
      }
    }
  });
}
