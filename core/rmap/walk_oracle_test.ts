/**
 * The cost counters checked against an independent oracle on random and pathological workloads
 * under memory pressure (`tests/_rmap_oracle.ts`): every rmap walk of every strategy finds as
 * many PTEs as map the page, visits nothing outside its area where the design rules that out,
 * and strategies that reclaim the same pages make walks of the same useful size, one by one.
 */
import { deepStrictEqual } from "node:assert/strict";
import { C } from "../counters.ts";
import { Machine } from "../machine.ts";
import { STRATEGIES } from "./registry.ts";
import { WalkOracle } from "../../tests/_rmap_oracle.ts";
import { registerWrapped } from "../../tests/_strategy_wrapper.ts";
import { workloadBatch } from "../../tests/_workload_replay.ts";
import { TraceBuilder } from "../../trace/builder.ts";
import type { EventColumns } from "../../uapi/event.ts";
import type { Vma } from "../mm/vma.ts";

/**
 * `VMREPLAY_TEST_STRATEGIES=a,b` (set by `deno task mutate` for one strategy) limits the runs to
 * those strategies and the reference, anon_vma_chain.
 */
function only(): string[] | undefined {
  try {
    return Deno.env.get("VMREPLAY_TEST_STRATEGIES")?.split(",").filter((s) => s !== "");
  } catch {
    return undefined; // no --allow-env: every strategy
  }
}
const ONLY = only();
const RMAP = Object.keys(STRATEGIES).filter((s) =>
  s !== "scan" && (ONLY === undefined || ONLY.includes(s) || s === "anon_vma_chain")
);

/** Replays `batch` through `oracle`'s strategy with `check` after every event. */
function replay(oracle: WalkOracle, batch: EventColumns, memPages: number, swapPages: number) {
  const checks: string[] = [];
  const m = new Machine({
    memPages,
    swapPages,
    strategy: oracle.name,
    check: true,
    onDiagnostic: (d) => {
      if (d.kind === "check" && checks.length < 10) checks.push(`line ${d.line}: ${d.message}`);
    },
  });
  for (let i = 0; i < batch.length; i++) m.apply(batch, i, i + 1);
  deepStrictEqual(checks, [], `${oracle.inner}: check`);
  return m;
}

/** The counters that say whether two strategies reclaimed the same pages at the same moments. */
function behaviour(m: Machine): number[] {
  return [
    C.minor_faults,
    C.major_faults,
    C.cow_copies,
    C.swap_out_pages,
    C.swap_in_pages,
    C.pages_reclaimed,
    C.file_read_pages,
  ].map((c) => m.counters[c]!);
}

const WORKLOADS: [string, Record<string, number>, number][] = [
  // [workload, parameters, walks at least]
  ["random", { events: 3000, seed: 1, mem: 64 * 4096 }, 1000],
  ["random", { events: 3000, seed: 3, mem: 64 * 4096 }, 1000],
  ["aim7", { children: 6, pages: 16 }, 300],
  ["zygote", { apps: 3, pages: 64, heap: 16 }, 300],
];

for (const [name, params, atLeast] of WORKLOADS) {
  Deno.test(`walk oracle: every walk of every strategy, ${name} ${JSON.stringify(params)}`, () => {
    const { batch, memPages, swapPages } = workloadBatch(name, params);
    const runs: { s: string; oracle: WalkOracle; m: Machine }[] = [];
    for (const s of RMAP) {
      const oracle = new WalkOracle(s);
      try {
        const m = replay(oracle, batch, memPages, swapPages);
        deepStrictEqual(oracle.failures, [], s);
        if (oracle.walks < atLeast) throw new Error(`${s}: only ${oracle.walks} walks`);
        runs.push({ s, oracle, m });
      } finally {
        oracle.dispose();
      }
    }
    // The designs differ in which areas a walk visits, not in which PTEs it finds: where two
    // strategies fault and reclaim alike (all but anon_inode, which has no zero page, and
    // anonmm when mremap copies), their walks find the same PTEs, walk by walk.
    const ref = runs.find((r) => r.s === "anon_vma_chain")!;
    const same = runs.filter((r) =>
      JSON.stringify(behaviour(r.m)) === JSON.stringify(behaviour(ref.m))
    );
    for (const r of same) {
      deepStrictEqual(r.oracle.usefulPerWalk, ref.oracle.usefulPerWalk, `${r.s} vs anon_vma_chain`);
    }
    const alike = same.map((r) => r.s);
    for (const s of ["pte_chain", "objtree", "anon_vma"].filter((s) => RMAP.includes(s))) {
      if (!alike.includes(s)) throw new Error(`${s} behaved differently: ${alike}`);
    }
  });
}

Deno.test("walk oracle: reports a walk that misses a PTE or visits outside its area", () => {
  // Two processes map each page (fork, no COW); MADV_PAGEOUT leaves pages mapped twice alone,
  // so the reclaim event makes the walks.
  const t = new TraceBuilder().mmap(1, 0x10000000, "16K", "rw-", "private,anon");
  for (let k = 0; k < 4; k++) t.w(1, 0x10000000 + k * 4096);
  const b = t.fork(1, 2).reclaim(8).batch();
  const off = [
    // Outside check, the walk ends after the first area: the child's PTE is never found.
    registerWrapped("liar:short", "anon_vma_chain", (frame, visit, walk, ctx) => {
      if (ctx.checking) return walk(frame, visit);
      walk(frame, { vma: (v, p) => (visit.vma(v, p), true), mm: (m, p) => (visit.mm(m, p), true) });
    }),
    // Outside check, the first area is visited once more, one page past its end.
    registerWrapped("liar:wide", "anon_vma_chain", (frame, visit, walk, ctx) => {
      let first: Vma | null = null;
      walk(frame, { vma: (v, p) => (first ??= v, visit.vma(v, p)), mm: (m, p) => visit.mm(m, p) });
      const v = first as Vma | null;
      if (!ctx.checking && v !== null) visit.vma(v, v.end);
    }),
  ];
  try {
    for (
      const [liar, want] of [["liar:short", /useful visits/], ["liar:wide", /outside/]] as const
    ) {
      const oracle = new WalkOracle(liar, "anon_vma_chain");
      try {
        replay(oracle, b, 256, 1024);
        if (oracle.failed === 0 || !want.test(oracle.failures[0]!)) {
          throw new Error(`${liar}: the oracle saw nothing wrong (${oracle.walks} walks)`);
        }
      } finally {
        oracle.dispose();
      }
    }
  } finally {
    for (const f of off) f();
  }
});
