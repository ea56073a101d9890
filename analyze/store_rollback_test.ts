/**
 * The results store's transactions under failure, on real files: a save that fails part way, a
 * writer killed in the middle of a save, and a migration that fails part way each leave the store
 * as it was before, readable and writable.
 */
import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { countRuns, getRun, openStore, saveRun, SCHEMA_VERSION } from "./store.ts";
import { makeRunResult } from "../tests/_run_result.ts";
import { writeSchemaOneStore } from "../tests/_old_store.ts";
import type { Counters } from "./result.ts";

const TRACE = { name: "example.vmt", size: 1234, sha256: "ab".repeat(32) };

/** Rows of every table, read through a connection of its own (what another process sees). */
function rows(path: string): Record<string, number> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const n = (t: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return Object.fromEntries(
      ["runs", "strategy_results", "phases", "counters"].map((t) => [t, n(t)]),
    );
  } finally {
    db.close();
  }
}

async function withDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-store-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("store: a save that fails part way leaves the file as it was, and the next one works", async () => {
  await withDir((dir) => {
    const path = `${dir}/runs.db`;
    using store = openStore(path);
    const first = saveRun(store, makeRunResult({ trace: "first.vmt" }), TRACE);
    const before = rows(path);
    // The second strategy's phase counters hold a string: saveRun throws after the run row, the
    // first strategy's rows and the second's totals were written.
    const bad = makeRunResult({ trace: "bad.vmt" });
    (bad.results.anon_vma!.phases[1]!.counters as Record<string, unknown>).pte_walks = "12";
    throws(() => saveRun(store, bad, TRACE), /Counter 'pte_walks' of strategy 'anon_vma'/);
    deepStrictEqual(rows(path), before);
    equal(countRuns(store), 1);
    // No transaction was left open: the next save commits, and another connection sees it.
    const next = saveRun(store, makeRunResult({ trace: "next.vmt" }), TRACE);
    deepStrictEqual(rows(path).runs, 2);
    deepStrictEqual(getRun(store, first)!.result.trace, "first.vmt");
    deepStrictEqual(getRun(store, next)!.result.trace, "next.vmt");
  });
});

Deno.test("store: a writer killed in the middle of a save leaves nothing of it", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/runs.db`;
    {
      using store = openStore(path);
      saveRun(store, makeRunResult({ trace: "kept.vmt" }), TRACE);
    }
    const before = rows(path);
    // A child process saves a run whose last counters object stops the save when read: it says
    // so on stdout and waits, its transaction open with rows already written; then it is killed.
    const child = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      child,
      `import { openStore, saveRun } from ${JSON.stringify(import.meta.resolve("./store.ts"))};
import { makeRunResult } from ${JSON.stringify(import.meta.resolve("../tests/_run_result.ts"))};
const store = openStore(${JSON.stringify(path)});
const r = makeRunResult({ trace: "killed.vmt" });
const c = r.results.anon_vma_chain!.counters;
Object.defineProperty(c, "zzz_stop", {
  enumerable: true,
  get() {
    Deno.stdout.writeSync(new TextEncoder().encode("inside\\n"));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    return 0;
  },
});
saveRun(store, r, ${JSON.stringify(TRACE)});
`,
    );
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, child],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let killed = false;
    try {
      const reader = proc.stdout.getReader();
      const { value } = await reader.read();
      equal(new TextDecoder().decode(value), "inside\n");
      reader.releaseLock();
      // Its rows are in the write-ahead log, uncommitted: nobody else sees them.
      deepStrictEqual(rows(path), before);
      proc.kill("SIGKILL");
      killed = true;
      const status = await proc.status;
      equal(status.signal, "SIGKILL");
    } finally {
      if (!killed) proc.kill("SIGKILL");
      await proc.stdout.cancel().catch(() => {});
      if (!killed) await proc.status;
    }
    deepStrictEqual(rows(path), before);
    using store = openStore(path);
    equal(countRuns(store), 1);
    const id = saveRun(store, makeRunResult({ trace: "after.vmt" }), TRACE);
    equal(getRun(store, id)!.result.trace, "after.vmt");
    deepStrictEqual(rows(path).runs, 2);
  });
});

Deno.test("store: a migration that fails part way leaves the old schema and its runs", async () => {
  await withDir((dir) => {
    const path = `${dir}/runs.db`;
    // A schema-1 store with one run, whose strategy_results already has the column migration 2
    // adds second: migration 2 adds runs.extra_json, then fails on strategy_results.
    writeSchemaOneStore(path, (db) => {
      db.exec("ALTER TABLE strategy_results ADD COLUMN extra_json TEXT NOT NULL DEFAULT '{}'");
    });
    throws(() => openStore(path), (e: Error) => {
      match(e.message, /duplicate column name: extra_json/);
      return true;
    });
    // Rolled back: still schema 1, runs without the column migration 2 added first, the run kept.
    const check = new DatabaseSync(path, { readOnly: true });
    try {
      const v = check.prepare("PRAGMA user_version").get() as { user_version: number };
      equal(v.user_version, 1);
      const cols = check.prepare("PRAGMA table_info(runs)").all() as { name: string }[];
      equal(cols.some((c) => c.name === "extra_json"), false);
      const names = check.prepare("SELECT trace_name FROM runs").all() as { trace_name: string }[];
      deepStrictEqual(names.map((r) => r.trace_name), ["old.vmt"]);
    } finally {
      check.close();
    }
    equal(SCHEMA_VERSION > 1, true);
  });
});

Deno.test("store: a failed save does not disturb a store opened by another process", async () => {
  await withDir((dir) => {
    const path = `${dir}/runs.db`;
    using a = openStore(path);
    using b = openStore(path);
    saveRun(a, makeRunResult({ trace: "a.vmt" }), TRACE);
    const bad = makeRunResult({ trace: "bad.vmt" });
    (bad.results.scan!.counters as Counters & { extra: unknown }).extra = null;
    throws(() => saveRun(b, bad, TRACE), /is not a number/);
    // b's failed transaction released the write lock: a can write at once.
    saveRun(a, makeRunResult({ trace: "a2.vmt" }), TRACE);
    equal(countRuns(b), 2);
  });
});
