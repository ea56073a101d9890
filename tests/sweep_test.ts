/**
 * `vmreplay sweep` end to end: a sweep of two traces at four sizes gives curves that fall as
 * memory grows, the same counters as `run` at one of its sizes, and the same counters again when
 * planned, run in three shards and merged; a merge with a shard missing names the jobs; a trace
 * changed since its plan, or a store of another version, is refused; the store and the API list
 * the sweep.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { vmreplay } from "./_cli.ts";
import { assertCurvesFall, countersOf, SWEEP_ARGS, writePlan, writeTraces } from "./_sweep.ts";
import { openStore } from "../analyze/store.ts";
import { createApp } from "../server/app.ts";

Deno.test("sweep: one machine, run, and plan + 3 shards + merge give the same counters", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-sweep-" });
  try {
    const traces = await writeTraces(dir);
    const direct = await vmreplay(
      "sweep",
      ...traces,
      ...SWEEP_ARGS,
      "--jobs",
      "2",
      "--db",
      `${dir}/direct.db`,
      "--json",
      `${dir}/direct.json`,
      "--csv",
      `${dir}/direct.csv`,
    );
    assertEquals(direct.code, 0, direct.stderr);
    match(direct.stdout, /zygote\.vmt: \d+ events, 4 sizes, footprint 5M/);
    match(direct.stdout, /major faults\n +mem +scan +anon_vma +anon_vma_chain\n1280K/);
    match(direct.stderr, /\[8\/8\] job/);
    const directJson = await Deno.readTextFile(`${dir}/direct.json`);
    const j = JSON.parse(directJson);
    assertEquals(
      Object.keys(j.sweep).filter((k) =>
        ["traces", "mem", "swap", "strategies", "version"].includes(k)
      ).length,
      5,
    );
    assertEquals(j.sweep.mem.length, 8);
    assertEquals(j.points.length, 8);
    ok(j.points.every((p: { run_id: number }) => p.run_id > 0));
    assertCurvesFall(directJson);
    const csv = (await Deno.readTextFile(`${dir}/direct.csv`)).trim().split("\n");
    assertEquals(csv.length, 1 + 8 * 3);
    match(csv[0]!, /^trace,mem,swap,strategy,run_id,cost_ms,elapsed_ms,events,/);

    await t.step("a point equals 'run' at its size", async () => {
      const p = j.points[1];
      const run = await vmreplay(
        "run",
        traces[0]!,
        "--mem",
        String(p.mem),
        "--strategies",
        "scan,anon_vma,anon_vma_chain",
        "--no-db",
        "--quiet",
        "--json",
        `${dir}/run.json`,
      );
      assertEquals(run.code, 0, run.stderr);
      const r = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
      for (const s of ["scan", "anon_vma", "anon_vma_chain"]) {
        assertEquals(r.results[s].counters, p.results[s].counters);
      }
    });

    await t.step("plan, three shards and merge", async () => {
      await writePlan(traces, `${dir}/plan.json`);
      await writePlan(traces, `${dir}/plan2.json`);
      assertEquals(
        await Deno.readTextFile(`${dir}/plan.json`),
        await Deno.readTextFile(`${dir}/plan2.json`),
        "a plan is deterministic",
      );
      for (const i of [0, 1, 2]) {
        const r = await vmreplay(
          "sweep",
          "run",
          `${dir}/plan.json`,
          "--shard",
          `${i}/3`,
          "--db",
          `${dir}/shard-${i}.db`,
          "--quiet",
        );
        assertEquals(r.code, 0, r.stderr);
      }
      const missing = await vmreplay(
        "sweep",
        "merge",
        `${dir}/plan.json`,
        `${dir}/shard-0.db`,
        `${dir}/shard-2.db`,
        "--db",
        `${dir}/partial.db`,
      );
      assertEquals(missing.code, 1);
      match(missing.stderr, /3 of 8 jobs missing: #1 \(zygote\.vmt at \d+K\), #4 \(shared\.vmt/);
      /** Merges the stores named into `NAME.db` and `NAME.json`; the counters are the sweep's. */
      const mergeInto = async (name: string, ...stores: string[]) => {
        const db = `${dir}/${name}.db`, json = `${dir}/${name}.json`;
        const dbs = stores.map((s) => `${dir}/${s}.db`);
        const args = ["merge", `${dir}/plan.json`, ...dbs, "--db", db, "--json", json, "--quiet"];
        const r = await vmreplay("sweep", ...args);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(countersOf(await Deno.readTextFile(json)), countersOf(directJson));
      };
      await mergeInto("merged", "shard-0", "shard-1", "shard-2");
      // A merged store merges again (with a shard that repeats its jobs).
      await mergeInto("merged2", "merged", "shard-1");
    });

    await t.step("a store of another version or a changed trace is refused", async () => {
      const db = new DatabaseSync(`${dir}/shard-1.db`);
      db.exec(`UPDATE sweeps SET plan_sha256 = 'x',
        plan_json = json_set(plan_json, '$.version', '0.0.9')`);
      db.close();
      const r = await vmreplay(
        "sweep",
        "merge",
        `${dir}/plan.json`,
        `${dir}/shard-0.db`,
        `${dir}/shard-1.db`,
        `${dir}/shard-2.db`,
        "--db",
        `${dir}/bad.db`,
      );
      assertEquals(r.code, 1);
      match(r.stderr, /shard-1\.db: sweep 1 was planned by vmreplay 0\.0\.9, the plan by /);
      await Deno.writeTextFile(traces[1]!, "\n# changed\n", { append: true });
      const changed = await vmreplay(
        "sweep",
        "run",
        `${dir}/plan.json`,
        "--shard",
        "1/3",
        "--no-db",
      );
      assertEquals(changed.code, 1);
      match(changed.stderr, /shared\.vmt: sha256 [0-9a-f]+… but the plan says [0-9a-f]+…/);
    });

    await t.step("the store and the API list the sweep and its runs", async () => {
      const list = await vmreplay("runs", "sweeps", "--db", `${dir}/direct.db`);
      assertEquals(list.code, 0, list.stderr);
      match(list.stdout, /^ 1 .* 8\/8 +384K\.\.5M \(8\) +.*zygote\.vmt, .*shared\.vmt$/m);
      const runs = await vmreplay("runs", "list", "--db", `${dir}/direct.db`);
      match(runs.stdout, /shared\.vmt \(sweep 1\)/);
      using store = openStore(`${dir}/direct.db`);
      const { app, jobs } = createApp({ store });
      try {
        const res = await app.request("/api/sweeps");
        const body = await res.json();
        assertEquals(res.status, 200);
        assertEquals(body.sweeps.map((s: { id: number }) => s.id), [1]);
        const one = await (await app.request("/api/sweeps/1")).json();
        assertEquals(one.complete, true);
        assertEquals(countersOf(JSON.stringify(one)), countersOf(directJson));
        const page = await app.request(`/runs/${one.points[0].run_id}`);
        match(await page.text(), /a point of <a href="\/sweeps\/1">sweep 1<\/a>/);
      } finally {
        await jobs.close();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: usage errors exit 2 with a message", async () => {
  for (
    const [args, message] of [
      [["sweep", "x.vmt"], /--mem LIST is required/],
      [["sweep", "x.vmt", "--mem", "1M..4M"], /expected a range as A\.\.B:N, found '1M\.\.4M'/],
      [["sweep", "x.vmt", "--mem", "8M..1M:3"], /must go from low to high/],
      [["sweep", "x.vmt", "--mem", "1M,10%..4M:3"], /mixes a size and a percentage/],
      [["sweep", "run", "p.json", "--shard", "3/3"], /expected I\/N with 0 <= I < N/],
      [
        ["sweep", "plan", "x.vmt", "--mem", "1M", "--jobs", "2", "-o", "p.json"],
        /--jobs is not an option of 'sweep plan'/,
      ],
      [["sweep", "merge", "p.json"], /takes PLAN\.json and STORE/],
    ] as const
  ) {
    const r = await vmreplay(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(r.stderr, message);
  }
});
