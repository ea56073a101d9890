/**
 * The tests every strategy passes, whatever its design (as Hono's routers share
 * `common.case.test.ts`): each `core/rmap/NAME_test.ts` calls {@linkcode strategyCases} with its
 * strategy's name, then tests what its own design does. This module registers no test itself.
 *
 * - Long seeded random workloads in tiny memory (`tests/_random_workload.ts`) with `check` on
 *   (default settings, and memory cgroup reclaim with VMA and with slot readahead), so that
 *   reclaim, swap-out, swap-in, readahead and swapoff run all the time: every invariant holds
 *   after every event, the strategy's rmap included.
 * - Every load reads what the reference model (`core/reference.ts`) expects, under pressure.
 * - The cost counters, by an oracle (`tests/_rmap_oracle.ts`), on those two random replays and on
 *   the AIM7 and zygote workloads: every rmap walk's useful visits (`rmap_vma_visits -
 *   rmap_wasted_visits`) equal the PTEs a scan of every page table finds for the page, no visit
 *   falls outside its area where the design rules that out, and where the strategy reclaims the
 *   same pages as `anon_vma_chain` (Linux's design, the reference) its walks find the same number
 *   of mappings, walk by walk.
 * - Its metadata is all freed once every process has exited.
 * - `Machine.applyRun` (the fast path) leaves the machine where `apply` event by event does, with
 *   the default TLB and with 8 entries.
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import type { EventBatch } from "../../trace/batch.ts";
import { type Event, Op } from "../../trace/event.ts";
import { verifyAccess } from "../../analyze/verify.ts";
import { C } from "../counters.ts";
import { Machine, type MachineConfig } from "../machine.ts";
import { ReferenceModel } from "../reference.ts";
import { batchOf, randomWorkload } from "../../tests/_random_workload.ts";
import { WalkOracle } from "../../tests/_rmap_oracle.ts";
import { workloadBatch } from "../../tests/_workload_replay.ts";
import type { VmKnobs } from "../../uapi/knobs.ts";

/** The strategy every other one is compared with, walk by walk. */
const REFERENCE = "anon_vma_chain";

/** The random replays of the suite: trace, memory, and the walks they must make at least. */
const RANDOM = {
  /** The invariant run (with `check`). */
  invariants: { seed: 7, events: 1500, memPages: 40, swapPages: 4096, walks: 1000 },
  /** The reference-model run (without mlock and MAP_LOCKED: see `randomWorkload`). */
  loads: { seed: 11, events: 6000, memPages: 48, swapPages: 8192, walks: 3000 },
} as const;

/** The batch of random replay `r`. */
function randomBatch(r: typeof RANDOM[keyof typeof RANDOM]): EventBatch {
  return batchOf(randomWorkload(r.seed, r.events, { lock: r === RANDOM.invariants }));
}

/** The pathological workloads the oracle watches too: [workload, parameters, walks at least]. */
const PATHOLOGIES: [string, Record<string, number>, number][] = [
  ["aim7", { children: 6, pages: 16 }, 700],
  ["zygote", { apps: 3, pages: 64, heap: 16 }, 2000],
];

/**
 * The counters that say whether two strategies reclaimed the same pages at the same moments. Pages
 * mremap copied (anonmm) are other frames on the lists: the same counts of the rest can then hide
 * a different walk (seen: 5 305 walks against 5 306).
 */
function behaviour(m: Machine): number[] {
  return [
    C.minor_faults,
    C.major_faults,
    C.cow_copies,
    C.mremap_pages_copied,
    C.swap_out_pages,
    C.swap_in_pages,
    C.pages_reclaimed,
    C.file_read_pages,
  ].map((c) => m.counters[c]!);
}

/**
 * A machine running strategy `name` watched by an oracle (registered only while the machine is
 * made: the machine keeps its strategy).
 */
function watchedMachine(
  name: string,
  cfg: Omit<MachineConfig, "strategy">,
): { m: Machine; oracle: WalkOracle } {
  using oracle = new WalkOracle(name);
  return { m: oracle.machine(cfg), oracle };
}

/** {@linkcode watchedMachine} after replaying `batch`, every event applied on its own. */
function watched(
  name: string,
  batch: EventBatch,
  cfg: Omit<MachineConfig, "strategy">,
): { m: Machine; oracle: WalkOracle } {
  const run = watchedMachine(name, cfg);
  for (let i = 0; i < batch.length; i++) run.m.apply(batch, i, i + 1);
  return run;
}

/**
 * Asserts the oracle found nothing wrong in at least `atLeast` walks (none at all for a strategy
 * without a reverse map, which reclaims by scanning page tables).
 */
function assertWalks(oracle: WalkOracle, atLeast: number): void {
  deepStrictEqual(oracle.failures, [], `${oracle.inner}: rmap walks`);
  if (oracle.hasRmap === false) deepStrictEqual(oracle.walks, 0, `${oracle.inner}: no rmap`);
  else if (oracle.walks < atLeast) {
    throw new Error(`${oracle.inner}: only ${oracle.walks} rmap walks, expected ${atLeast}`);
  }
}

/** The reference's walks of a replay, made once per module. */
const referenceWalks = new Map<string, { behaviour: number[]; useful: number[] }>();

/**
 * Compares the useful visits of `name`'s walks with the reference's on the same replay, walk by
 * walk, when both reclaimed alike; returns whether they did.
 */
function sameWalksAsReference(
  name: string,
  key: string,
  batch: EventBatch,
  cfg: Omit<MachineConfig, "strategy">,
  run: { m: Machine; oracle: WalkOracle },
): boolean {
  let ref = referenceWalks.get(key);
  if (ref === undefined && name === REFERENCE) {
    referenceWalks.set(key, { behaviour: behaviour(run.m), useful: run.oracle.usefulPerWalk });
    return true;
  }
  if (ref === undefined) {
    const r = watched(REFERENCE, batch, cfg);
    assertWalks(r.oracle, 1);
    ref = { behaviour: behaviour(r.m), useful: r.oracle.usefulPerWalk };
    referenceWalks.set(key, ref);
  }
  if (JSON.stringify(behaviour(run.m)) !== JSON.stringify(ref.behaviour)) return false;
  deepStrictEqual(run.oracle.walks, ref.useful.length, `${name} vs ${REFERENCE}: walks (${key})`);
  deepStrictEqual(run.oracle.usefulPerWalk, ref.useful, `${name} vs ${REFERENCE} (${key})`);
  return true;
}

/**
 * Kernel settings the pressure tests run with: the default (zone watermarks, VMA readahead), and
 * memory cgroup reclaim (late writeback, plugs, refault activation) with either readahead.
 */
const SETTINGS: { label: string; vm: Partial<VmKnobs> }[] = [
  { label: "", vm: {} },
  { label: ", memcg", vm: { memcg: true } },
  { label: ", memcg, slot readahead", vm: { memcg: true, vma_ra: false, page_cluster: 2 } },
];

/** Registers the tests every strategy passes, for strategy `name`. */
export function strategyCases(name: string): void {
  for (const { label, vm } of SETTINGS) {
    Deno.test(`${name}${label}: keeps every invariant through 1500 random events in 40 frames`, () => {
      const r = RANDOM.invariants;
      const checks: string[] = [];
      const { m, oracle } = watched(name, randomBatch(r), {
        memPages: r.memPages,
        swapPages: r.swapPages,
        vm,
        check: true,
        onDiagnostic: (d) => {
          if (d.kind === "check" && checks.length < 20) checks.push(`line ${d.line}: ${d.message}`);
        },
      });
      deepStrictEqual(checks, []);
      deepStrictEqual(m.extraCounters().check_errors, 0);
      assertWalks(oracle, r.walks);
      // The run really was under pressure.
      if (m.counters[C.swap_out_pages]! < 50 || m.counters[C.pages_reclaimed]! < 100) {
        throw new Error(`too little pressure: ${m.counters[C.swap_out_pages]} pages swapped out`);
      }
    });

    Deno.test(`${name}${label}: loads what the reference model expects, under pressure`, () => {
      const r = RANDOM.loads;
      const b = randomBatch(r);
      const problems: string[] = [];
      const { m, oracle } = watchedMachine(name, {
        memPages: r.memPages,
        swapPages: r.swapPages,
        vm,
        recordLoads: true,
        onDiagnostic: (d) => {
          if (/memory|still in use/.test(d.message)) problems.push(`line ${d.line}: ${d.message}`);
        },
      });
      const ref = new ReferenceModel();
      const wrong: string[] = [];
      let loads = 0, stores = 0;
      for (let i = 0; i < b.length; i++) {
        const op = b.op[i]!;
        const segv = m.counters[C.segv]!;
        m.apply(b, i, i + 1);
        if (op === Op.r || op === Op.w || op === Op.x) {
          // What --verify checks (analyze/verify.ts): the access's segv, every stamp a load
          // reads, and every page a store wrote holding its stamp (a store the machine dropped
          // would otherwise go unseen until the same process read that page before writing it).
          const segvs = m.counters[C.segv]! - segv;
          const bad = verifyAccess(m, ref, b, i, op, segvs, i + 1);
          if (bad !== undefined && wrong.length < 10) wrong.push(`line ${i + 1}: ${bad}`);
          if (op !== Op.w) loads += m.loadCount;
          else if (segvs === 0) stores += Math.floor((b.off[i]! + b.n1[i]! - 1) / 4096) + 1;
        }
        ref.apply(b, i, i + 1);
      }
      deepStrictEqual(problems, []);
      deepStrictEqual(wrong, []);
      if (loads < 500 || stores < 400 || m.counters[C.swap_in_pages]! < 100) {
        throw new Error(
          `too little coverage: ${loads} loads, ${stores} pages stored, ${
            m.counters[C.swap_in_pages]
          } swap-ins`,
        );
      }
      assertWalks(oracle, r.walks);
    });
  }

  Deno.test(`${name}: its rmap walks find the mappings ${REFERENCE}'s find, walk by walk`, () => {
    // The random replays again (without check, which changes nothing the oracle sees), with the
    // zero page and without: anon_inode cannot map it, so reclaims alike only without it; anonmm
    // copies pages mremap moves while shared, so may reclaim differently on one of the two.
    for (const [key, r] of Object.entries(RANDOM)) {
      const b = randomBatch(r);
      let compared = 0, rmap = true;
      for (const zero_page of [true, false]) {
        const cfg = { memPages: r.memPages, swapPages: r.swapPages, vm: { zero_page } };
        const run = watched(name, b, cfg);
        assertWalks(run.oracle, r.walks / 2);
        rmap = run.oracle.hasRmap !== false;
        if (
          rmap && sameWalksAsReference(name, `${key} zero_page=${Number(zero_page)}`, b, cfg, run)
        ) {
          compared++;
        }
      }
      if (rmap && compared === 0) {
        throw new Error(
          `${name} reclaims unlike ${REFERENCE} on the ${key} replay: nothing compared`,
        );
      }
    }
  });

  Deno.test(`${name}: every rmap walk on the AIM7 and zygote workloads finds every mapping`, () => {
    for (const [workload, params, atLeast] of PATHOLOGIES) {
      const { batch, memPages, swapPages } = workloadBatch(workload, params);
      const cfg = { memPages, swapPages };
      const run = watched(name, batch, cfg);
      assertWalks(run.oracle, atLeast);
      if (run.oracle.hasRmap === false) continue;
      if (!sameWalksAsReference(name, workload, batch, cfg, run)) {
        throw new Error(`${name} reclaims unlike ${REFERENCE} on ${workload}: no walk compared`);
      }
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
