import { deepStrictEqual, deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  countRuns,
  deleteRun,
  exportRun,
  getRun,
  listRuns,
  openStore,
  saveRun,
  SCHEMA_VERSION,
} from "./store.ts";
import { VERSION } from "./version.ts";
import { makeRunResult } from "../tests/_run_result.ts";
import { writeSchemaOneStore } from "../tests/_old_store.ts";
import type { RunResult } from "./result.ts";

const TRACE = { name: "example.vmt", size: 1234, sha256: "ab".repeat(32) };

Deno.test("saveRun() and getRun() give back the RunResult exactly", () => {
  using store = openStore(":memory:");
  const result = makeRunResult();
  const id = saveRun(store, result, TRACE);
  const run = getRun(store, id)!;
  deepStrictEqual(run.result, result);
  assertEquals(JSON.stringify(run.result), JSON.stringify(result));
  assertEquals(run.trace, { ...TRACE, path: result.trace, events: result.events });
  assertEquals(run.version, VERSION);
  assertEquals(run.strategies, ["scan", "anon_vma", "anon_vma_chain"]);
  assertEquals(run.totals.anon_vma, result.results.anon_vma!.counters);
});

Deno.test("saveRun() keeps fields added to the result later (StrategyResult.verify)", () => {
  using store = openStore(":memory:");
  const result = makeRunResult({ strategies: ["scan"] });
  result.results.scan!.verify = { first_line: 7, first_message: "stamp 3, expected 2" };
  (result as unknown as Record<string, unknown>).note = "x";
  const id = saveRun(store, result, TRACE);
  deepStrictEqual(getRun(store, id)!.result, result);
});

Deno.test("saveRun() and getRun() keep a strategy's diagnostics", () => {
  using store = openStore(":memory:");
  const result = makeRunResult({ strategies: ["scan", "anon_vma"] });
  result.results.scan!.diagnostics = [
    { kind: "segv", line: 4, message: "r 0x90000: no mapping" },
    { kind: "warning", line: 5, message: "munmap 0x200000+4096: nothing mapped there" },
  ];
  const id = saveRun(store, result, TRACE);
  const back = getRun(store, id)!.result;
  deepStrictEqual(back.results.scan!.diagnostics, result.results.scan!.diagnostics);
  deepStrictEqual("diagnostics" in back.results.anon_vma!, false);
});

Deno.test("openStore() upgrades a schema-1 store, keeping its runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/runs.db`;
    writeSchemaOneStore(path);
    using store = openStore(path);
    assertEquals(getRun(store, 1)?.result.trace, "old.vmt");
    const v = store.db.prepare("PRAGMA user_version").get() as { user_version: number };
    assertEquals(v.user_version, SCHEMA_VERSION);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listRuns() lists newest first with totals, honours limit and offset", () => {
  using store = openStore(":memory:");
  const a = saveRun(store, makeRunResult({ trace: "a.vmt" }), TRACE);
  const b = saveRun(store, makeRunResult({ trace: "b.vmt", strategies: ["scan"] }), TRACE);
  const runs = listRuns(store);
  assertEquals(runs.map((r) => r.id), [b, a]);
  assertEquals(runs[0]!.strategies, ["scan"]);
  assertEquals(runs[1]!.totals.anon_vma_chain!.pte_walks, 313);
  assertEquals(listRuns(store, { limit: 1, offset: 1 }).map((r) => r.id), [a]);
  assertEquals(countRuns(store), 2);
});

Deno.test("deleteRun() removes the run and all its rows", () => {
  using store = openStore(":memory:");
  const id = saveRun(store, makeRunResult(), TRACE);
  assertEquals(deleteRun(store, id), true);
  assertEquals(deleteRun(store, id), false);
  assertEquals(getRun(store, id), undefined);
  for (const t of ["strategy_results", "phases", "counters"]) {
    const row = store.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number };
    assertEquals(row.n, 0, t);
  }
});

Deno.test("saveRun() leaves nothing behind when a write fails part way", () => {
  using store = openStore(":memory:");
  const result = makeRunResult();
  // The last strategy's series cannot be serialized: the failure comes after earlier rows.
  (result.results.anon_vma_chain!.series as unknown as { at: unknown }).at = [1n];
  throws(() => saveRun(store, result, TRACE), TypeError);
  assertEquals(countRuns(store), 0);
  const row = store.db.prepare("SELECT count(*) AS n FROM counters").get() as { n: number };
  assertEquals(row.n, 0);
});

Deno.test("exportRun() writes JSON as run --json and CSV with a row per strategy and phase", () => {
  using store = openStore(":memory:");
  const result = makeRunResult({ strategies: ["scan", "anon_vma"] });
  const id = saveRun(store, result, TRACE);
  deepStrictEqual(JSON.parse(exportRun(store, id, "json")!) as RunResult, result);
  const lines = exportRun(store, id, "csv")!.trimEnd().split("\n");
  assertEquals(lines.length, 1 + 2 * 3);
  const header = lines[0]!.split(",");
  assertEquals(header.slice(0, 4), ["strategy", "phase", "elapsed_ms", "events"]);
  assertEquals(header.slice(-2), ["scan_extra", "anon_vma_extra"]);
  assertEquals(lines[1]!.split(",").slice(0, 4), ["scan", "total", "12.5", "100"]);
  assertEquals(lines[2]!.split(",").slice(0, 4), ["scan", "start", "", "10"]);
  assertEquals(exportRun(store, 99, "csv"), undefined);
});

Deno.test("openStore() creates the file and keeps runs across reopenings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/runs.db`;
    const id = (() => {
      using store = openStore(path);
      return saveRun(store, makeRunResult(), TRACE);
    })();
    using again = openStore(path);
    assertEquals(getRun(again, id)?.trace.name, "example.vmt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore() refuses a store with a newer schema", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/runs.db`;
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    throws(() => openStore(path), /schema version \d+, but vmreplay .* knows only up to \d+/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportRun() CSV: a label a spreadsheet would run as a formula is neutralized", () => {
  using store = openStore(":memory:");
  const labels = ['=HYPERLINK("http://evil","x")', "@SUM(A1)", "+1", "-1", "\tx", "\rx", "ok"];
  const result = makeRunResult({ strategies: ["scan"], phases: labels });
  // A negative number (a *_count phase) stays a number.
  result.results.scan!.phases[0]!.counters.events = -3;
  const id = saveRun(store, result, TRACE);
  const csv = exportRun(store, id, "csv")!;
  for (const l of labels.slice(0, -1)) {
    deepStrictEqual(
      csv.includes(`,${l},`) || csv.includes(`,"${l.replaceAll('"', '""')}",`),
      false,
    );
  }
  const lines = csv.split("\n");
  assertEquals(lines[2]!.startsWith(`scan,"'=HYPERLINK(""http://evil"",""x"")",,-3,`), true);
  assertEquals(lines[3]!.startsWith("scan,'@SUM(A1),,"), true);
  assertEquals(lines[4]!.startsWith("scan,'+1,,"), true);
  assertEquals(lines[5]!.startsWith("scan,'-1,,"), true);
  assertEquals(lines[6]!.startsWith("scan,'\tx,,"), true);
  assertEquals(lines.at(-2)!.startsWith("scan,ok,,"), true);
});
