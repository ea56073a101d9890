import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { getRun, openStore } from "../store.ts";
import type { RunResult } from "../result.ts";
import { VERSION } from "../version.ts";
import type { SweepPlan } from "./plan.ts";
import { addPoint, createSweep, getSweep, mergeSweeps, MissingJobsError } from "./store.ts";

function plan(sha = "a"): SweepPlan {
  return {
    kind: "vmreplay-sweep-plan",
    version: VERSION,
    traces: [{ path: "t.vmt", name: "t.vmt", size: 10, sha256: sha.repeat(64) }],
    mem: "1M,2M",
    swap: null,
    strategies: ["scan"],
    vm: {},
    jobs: [{ trace: 0, mem: 1 << 20 }, { trace: 0, mem: 2 << 20 }],
  };
}

function run(mem: number, faults: number): RunResult {
  return {
    trace: "t.vmt",
    events: 3,
    machine: { mem, swap: 0, page: 4096, tlb_entries: 64 },
    results: {
      scan: {
        counters: { major_faults: faults } as never,
        phases: [],
        series: {} as never,
        elapsed_ms: 1,
      },
    },
  };
}

Deno.test("mergeSweeps() joins shards, names missing jobs and refuses other traces", () => {
  const p = plan();
  const info = { name: "t.vmt", size: 10, sha256: "a".repeat(64) };
  using a = openStore(":memory:");
  addPoint(a, createSweep(a, p, "id1", "0/2"), 0, run(1 << 20, 9), info);
  using b = openStore(":memory:");
  addPoint(b, createSweep(b, p, "id1", "1/2"), 1, run(2 << 20, 4), info);
  using out = openStore(":memory:");
  throws(
    () => mergeSweeps(p, "id1", [{ name: "a.db", store: a }], out),
    (e: Error) =>
      e instanceof MissingJobsError && /1 of 2 jobs missing: #1 \(t\.vmt at 2M\)/.test(e.message),
  );
  const id = mergeSweeps(p, "id1", [{ name: "a.db", store: a }, { name: "b.db", store: b }], out);
  const s = getSweep(out, id)!;
  assertEquals(s.points_list.map((x) => x.results.scan!.counters.major_faults), [9, 4]);
  assertEquals(getRun(out, s.points_list[1]!.run_id!)?.sweep, { id, job: 1 });

  using c = openStore(":memory:");
  addPoint(c, createSweep(c, plan("b"), "id2", ""), 0, run(1 << 20, 9), {
    ...info,
    sha256: "b".repeat(64),
  });
  throws(
    () => mergeSweeps(p, "id1", [{ name: "c.db", store: c }], out),
    /c\.db: sweep 1 replayed t\.vmt with sha256 bbbbbbbbbbbb…, the plan has aaaaaaaaaaaa…/,
  );
  using d = openStore(":memory:");
  throws(
    () => mergeSweeps(p, "id1", [{ name: "d.db", store: d }], out),
    /d\.db: holds no sweep of this plan/,
  );
});
