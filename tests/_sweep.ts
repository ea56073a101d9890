/**
 * Helpers of the sweep tests: two generated traces whose curves fall as memory grows (a zygote
 * and processes sharing anonymous memory, at 25% to 100% of their footprints), and the counters
 * of a `sweep --json` file in a form to compare.
 *
 * @module
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { vmreplay } from "./_cli.ts";

/** The sweep every test runs: two traces at four sizes, three strategies. */
export const SWEEP_ARGS = ["--mem", "25%..100%:4", "--strategies", "scan,anon_vma,anon_vma_chain"];

/** Writes the two traces into `dir`; returns their paths. */
export async function writeTraces(dir: string): Promise<string[]> {
  const traces = [`${dir}/zygote.vmt`, `${dir}/shared.vmt`];
  for (
    const [args, out] of [
      [["zygote", "--apps=4", "--pages=256"], traces[0]!],
      [["shared-anon", "--procs=3", "--pages=128", "--ops=256"], traces[1]!],
    ] as const
  ) {
    const r = await vmreplay("gen", ...args, "-o", out);
    assertEquals(r.code, 0, r.stderr);
  }
  return traces;
}

/** How a test runs the command line (`vmreplay` of `_cli.ts`, or one with an environment). */
export type Cli = (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** `sweep plan` of `traces` with {@linkcode SWEEP_ARGS} into `out`, which must succeed. */
export async function writePlan(traces: string[], out: string, cli: Cli = vmreplay): Promise<void> {
  const r = await cli("sweep", "plan", ...traces, ...SWEEP_ARGS, "-o", out);
  assertEquals(r.code, 0, r.stderr);
}

/** `sweep run PLAN` on this machine, no store, counters to `json`, which must succeed. */
export async function runPlan(plan: string, json: string, cli: Cli = vmreplay): Promise<void> {
  const r = await cli("sweep", "run", plan, "--no-db", "--quiet", "--json", json);
  assertEquals(r.code, 0, r.stderr);
}

/** A sweep JSON's points as `[trace, mem, { strategy: counters }]`, in job order. */
export function countersOf(json: string): unknown[] {
  const j = JSON.parse(json) as {
    points: { trace: string; mem: number; results: Record<string, { counters: unknown }> }[];
  };
  return j.points.map((p) => [
    p.trace.replace(/^.*\//, ""),
    p.mem,
    Object.fromEntries(Object.entries(p.results).map(([s, r]) => [s, r.counters])),
  ]);
}

/** Checks that for every trace and strategy, major faults and swap I/O fall as memory grows. */
export function assertCurvesFall(json: string): void {
  const j = JSON.parse(json) as {
    points: {
      trace: string;
      mem: number;
      results: Record<string, { counters: Record<string, number> }>;
    }[];
  };
  const byTrace = Map.groupBy(j.points, (p) => p.trace);
  for (const [trace, points] of byTrace) {
    points.sort((a, b) => a.mem - b.mem);
    for (const s of Object.keys(points[0]!.results)) {
      for (const key of ["major_faults", "swap_io"]) {
        const v = points.map((p) => {
          const c = p.results[s]!.counters;
          return key === "swap_io" ? c.swap_in_pages! + c.swap_out_pages! : c[key]!;
        });
        for (let i = 1; i < v.length; i++) {
          ok(v[i]! <= v[i - 1]!, `${trace} ${s} ${key} rises with memory: ${v.join(", ")}`);
        }
        ok(v.at(-1)! < v[0]!, `${trace} ${s} ${key} does not fall: ${v.join(", ")}`);
      }
    }
  }
}
