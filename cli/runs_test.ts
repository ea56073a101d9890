import assert from "node:assert/strict";
import { main } from "./runs.ts";
import { getRun, openStore, saveRun } from "../analyze/store.ts";
import { makeRunResult } from "../tests/_run_result.ts";
import { captured } from "../tests/_cli.ts";

/** Runs `runs` with console output captured; returns the exit code and what it printed. */
const runs = (args: string[]) => captured(main, args);

/** A temporary store with two runs; removed on dispose. */
async function tempStore() {
  const dir = await Deno.makeTempDir();
  const db = `${dir}/runs.db`;
  const trace = { name: "example.vmt", size: 99, sha256: "ef".repeat(32) };
  {
    using store = openStore(db);
    saveRun(store, makeRunResult(), trace);
    saveRun(store, makeRunResult({ strategies: ["scan"], trace: "other.vmt" }), {
      ...trace,
      name: "other.vmt",
    });
  }
  return {
    dir,
    db,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("runs list shows the runs newest first, or says the store is empty", async () => {
  await using t = await tempStore();
  const r = await runs(["list", "--db", t.db]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  assert.match(lines[0]!, /^id\s+date \(UTC\)\s+events\s+mem\s+swap\s+strategies\s+trace$/);
  assert.match(lines[1]!, /^ 2 .* 50 {3}8M {3}32M {2}scan {28}other\.vmt$/);
  assert.match(lines[2]!, /^ 1 .* {2}scan, anon_vma, anon_vma_chain {2}example\.vmt$/);
  const json = await runs(["list", "--json", "--limit", "1", "--db", t.db]);
  assert.deepEqual(JSON.parse(json.out).map((x: { id: number }) => x.id), [2]);
  const empty = await runs(["list", "--db", `${t.dir}/empty.db`]);
  assert.match(empty.out, /^No runs stored yet/);
});

Deno.test("runs show prints the trace, machine and every counter by strategy", async () => {
  await using t = await tempStore();
  const r = await runs(["show", "1", "--db", t.db]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^run 1 {2}stored \S+ {2}vmreplay \S+$/m);
  assert.match(
    r.out,
    /^trace {3}example\.vmt \(fixtures\/example\.vmt\), 99 bytes, sha256 (ef)+$/m,
  );
  assert.match(r.out, /^machine mem=8388608 swap=33554432 page=4096 tlb_entries=64$/m);
  assert.match(r.out, /^pte_walks\s+113\s+213\s+313$/m);
  assert.match(r.out, /^elapsed_ms\s+12\.5\s+25\.0\s+37\.5$/m);
});

Deno.test("runs export writes the JSON of run --json, or CSV", async () => {
  await using t = await tempStore();
  const json = `${t.dir}/1.json`, csv = `${t.dir}/1.csv`;
  assert.equal((await runs(["export", "1", "--json", "-o", json, "--db", t.db])).code, 0);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(json)), makeRunResult());
  assert.equal((await runs(["export", "1", "--csv", "-o", csv, "--db", t.db])).code, 0);
  const rows = (await Deno.readTextFile(csv)).trimEnd().split("\n");
  assert.equal(rows.length, 1 + 3 * 3);
  assert.match(rows[1]!, /^scan,total,12\.5,100,101,/);
});

Deno.test("runs rm deletes a run; a missing run is bad input (exit 1)", async () => {
  await using t = await tempStore();
  const r = await runs(["rm", "1", "--db", t.db]);
  assert.equal(r.code, 0);
  assert.equal(r.out, "Deleted run 1");
  {
    using store = openStore(t.db);
    assert.equal(getRun(store, 1), undefined);
  }
  const again = await runs(["rm", "1", "--db", t.db]);
  assert.equal(again.code, 1);
  assert.match(again.err, /runs\.db: no run with id 1 \(see 'vmreplay runs list'\)$/);
  assert.equal((await runs(["show", "9", "--db", t.db])).code, 1);
  assert.equal((await runs(["export", "9", "--csv", "--db", t.db])).code, 1);
});

Deno.test("runs reports usage errors with exit 2", async () => {
  await using t = await tempStore();
  const cases: [string[], RegExp][] = [
    [[], /expected a subcommand: list, show, export, rm or sweeps/],
    [["sweeps", "x"], /sweeps takes no arguments, found .x./],
    [["frob"], /unknown subcommand 'frob'/],
    [["show"], /show expects one run ID/],
    [["show", "x1"], /run ID: expected a number, found 'x1'/],
    [["export", "1"], /export needs exactly one of --csv or --json/],
    [["export", "1", "--csv", "--json"], /export needs exactly one of --csv or --json/],
    [["list", "--limit", "many"], /--limit: expected a number, found 'many'/],
  ];
  for (const [args, expected] of cases) {
    const r = await runs([...args, "--db", t.db]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, expected);
  }
});
