/**
 * `vmreplay run` end to end, as a user calls it: the table, --json, --csv, --db, several traces,
 * exit codes and the message for a malformed trace.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { COUNTER_NAMES } from "../core/counters.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";
import type { RunResult } from "../analyze/result.ts";
import { listRuns, openStore } from "../analyze/store.ts";
import { vmreplay } from "./_cli.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const FORK_COW = join(FIXTURES, "fork_cow.vmt");

function withoutElapsed(run: RunResult): unknown {
  return JSON.parse(JSON.stringify(run, (k, v) => (k === "elapsed_ms" ? 0 : v)));
}

Deno.test("run prints a comparison table of every strategy within 100 columns", async () => {
  const r = await vmreplay("run", FORK_COW, "--no-db");
  deepStrictEqual(r.code, 0, r.stderr);
  for (const s of Object.keys(STRATEGIES)) ok(r.stdout.includes(s), `table lacks ${s}`);
  ok(r.stdout.includes("minor") && r.stdout.includes("est. ms"), r.stdout);
  for (const line of r.stdout.split("\n")) ok(line.length <= 100, `too wide: ${line}`);
});

Deno.test("run ranks equal estimates as ties, and estimates that read the same are equal", async () => {
  const r = await vmreplay("run", join(FIXTURES, "zero_page.vmt"), "--no-db");
  deepStrictEqual(r.code, 0, r.stderr);
  const cells = r.stdout.split("\n").filter((l) => / #\d+$/.test(l)).map((l) =>
    l.split(/\s+/).slice(-2).join(" ")
  );
  deepStrictEqual(cells.length, Object.keys(STRATEGIES).length);
  // anon_inode maps no zero page (its design): cheapest alone; the six others tie for second.
  deepStrictEqual(new Set(cells).size, 2, cells.join(", "));
  deepStrictEqual(cells.filter((c) => c.endsWith(" #2")).length, 6, cells.join(", "));
  deepStrictEqual(cells.filter((c) => c.endsWith(" #1")).length, 1, cells.join(", "));
});

Deno.test("run --json - writes only the JSON on standard output, the table on standard error", async () => {
  for (const opt of ["--json", "--csv", "--markdown"]) {
    const r = await vmreplay("run", FORK_COW, "--no-db", "--strategies", "scan", opt, "-");
    deepStrictEqual(r.code, 0, r.stderr);
    ok(r.stderr.includes("est. ms") && r.stderr.includes("No strategy reclaimed"), r.stderr);
    ok(!r.stdout.includes("est. ms") && !r.stdout.includes("No strategy"), r.stdout);
    if (opt === "--json") deepStrictEqual(JSON.parse(r.stdout).events, 16);
  }
});

Deno.test("run of a trace that fits in memory prints its footprint and a --mem that reclaims", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 128 pages written by the parent, 64 of them copied by its child: 256 (pid, page) pairs.
    await Deno.writeTextFile(
      join(dir, "fits.vmt"),
      "vmtrace 1 swap=4M\n1 mmap 0x10000 512K rw- private,anon\n1 w 0x10000 524288\n" +
        "1 fork 2\n2 w 0x10000 262144\n2 r 0x10000 524288\n1 r 0x10000 524288\n2 exit\n1 exit\n",
    );
    const cli = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, ...args],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const r = await cli("run", "fits.vmt", "--no-db");
    deepStrictEqual(r.code, 0, r.stderr);
    const hint = r.stdout.slice(r.stdout.indexOf("No strategy reclaimed"));
    ok(
      hint.replace(/\s+/g, " ").startsWith(
        "No strategy reclaimed a page: the trace's footprint, 256 pages (1M, its distinct " +
          "process/page pairs touched), fits in mem 1G, so reclaim never ran",
      ),
      hint,
    );
    const mem = /^ {2}vmreplay run fits\.vmt --mem (\S+)$/m.exec(hint)?.[1];
    ok(mem !== undefined, hint);
    ok(/^ {2}vmreplay sweep fits\.vmt --mem 25%\.\.100%:4$/m.test(hint), hint);
    // The --mem it suggests puts every strategy under pressure, and the hint is gone.
    const again = await cli("run", "fits.vmt", "--no-db", "--mem", mem!, "--json", "-");
    deepStrictEqual(again.code, 0, again.stderr);
    ok(!again.stderr.includes("No strategy reclaimed"), again.stderr);
    const run = JSON.parse(again.stdout) as RunResult;
    for (const [s, res] of Object.entries(run.results)) {
      ok(res.counters.pages_reclaimed! > 0, `${s} reclaimed nothing at --mem ${mem}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run --json writes SPEC's shape, deterministic but for elapsed_ms", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = join(dir, "a.json"), b = join(dir, "b.json");
    const args = ["--strategies", "anon_vma_chain", "--no-db", "--quiet", "--verify", "--check"];
    deepStrictEqual((await vmreplay("run", FORK_COW, ...args, "--json", a)).code, 0);
    deepStrictEqual((await vmreplay("run", FORK_COW, ...args, "--json", b)).code, 0);
    const run = JSON.parse(await Deno.readTextFile(a)) as RunResult;
    deepStrictEqual(Object.keys(run), ["trace", "events", "machine", "results"]);
    deepStrictEqual(run.events, 16);
    deepStrictEqual(run.machine.mem, 1 << 20);
    const r = run.results.anon_vma_chain!;
    deepStrictEqual(Object.keys(r).slice(0, 4), ["counters", "phases", "series", "elapsed_ms"]);
    for (const n of COUNTER_NAMES) ok(typeof r.counters[n] === "number", `missing counter ${n}`);
    deepStrictEqual(r.phases.map((p) => p.label), ["start", "fork", "cow", "exit"]);
    deepStrictEqual(r.phases.reduce((s, p) => s + p.counters.events, 0), 16);
    const s = r.series;
    deepStrictEqual(s.at[s.at.length - 1], 16);
    for (const k of ["resident_pages", "free_frames", "swap_used", "swap_io", "faults"] as const) {
      deepStrictEqual(s[k].length, s.at.length, k);
    }
    deepStrictEqual(
      withoutElapsed(JSON.parse(await Deno.readTextFile(b))),
      withoutElapsed(run),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run --csv writes one row per strategy and phase, total first", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const csv = join(dir, "c.csv");
    const r = await vmreplay(
      "run",
      FORK_COW,
      "--strategies",
      "anon_vma_chain",
      "--no-db",
      "--quiet",
      "--csv",
      csv,
    );
    deepStrictEqual(r.code, 0, r.stderr);
    deepStrictEqual(r.stdout, "");
    const rows = (await Deno.readTextFile(csv)).trimEnd().split("\n").map((l) => l.split(","));
    deepStrictEqual(rows[0]!.slice(0, 4), ["strategy", "phase", "elapsed_ms", "events"]);
    deepStrictEqual(rows.slice(1).map((r) => r[1]), ["total", "start", "fork", "cow", "exit"]);
    const col = rows[0]!.indexOf("minor_faults");
    deepStrictEqual(rows.slice(1).map((r) => r[col]), ["9", "4", "0", "4", "1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run of several traces writes a JSON array and saves each run in --db", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = join(dir, "r.json"), db = join(dir, "runs.db");
    const r = await vmreplay(
      "run",
      FORK_COW,
      join(FIXTURES, "zero_page.vmt"),
      "--strategies",
      "anon_vma_chain",
      "--db",
      db,
      "--json",
      json,
    );
    deepStrictEqual(r.code, 0, r.stderr);
    const runs = JSON.parse(await Deno.readTextFile(json)) as RunResult[];
    deepStrictEqual(runs.map((x) => x.events), [16, 7]);
    using store = openStore(db);
    deepStrictEqual(listRuns(store).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run prints segv and warnings after the table with their lines; --quiet does not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = join(dir, "bad.vmt");
    await Deno.writeTextFile(
      t,
      "vmtrace 1 mem=1M\n1 mmap 0x10000 16K rw- private,anon\n1 w 0x10000\n1 r 0x90000\n" +
        "1 munmap 0x200000 4096\n",
    );
    const r = await vmreplay("run", t, "--no-db", "--strategies", "anonmm,objtree");
    deepStrictEqual(r.code, 0, r.stderr);
    deepStrictEqual(r.stderr.trimEnd().split("\n"), [
      `${t}:4: all strategies: segv: pid 1: r 0x90000: no mapping`,
      `${t}:5: all strategies: warning: pid 1: munmap 0x200000+4096: nothing mapped there`,
    ]);
    const q = await vmreplay("run", t, "--no-db", "--quiet", "--json", "-");
    deepStrictEqual(q.stderr, "");
    const run = JSON.parse(q.stdout) as RunResult;
    deepStrictEqual(run.results.anonmm!.diagnostics?.map((d) => d.line), [4, 5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run of a malformed trace exits 1 with FILE:LINE:COL and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = join(dir, "bad.vmt"), json = join(dir, "out.json");
    await Deno.writeTextFile(bad, "vmtrace 1\n1 mmap 0x10000 4K rw- private,anon\n1 mmapp 0x1\n");
    const r = await vmreplay("run", bad, "--no-db", "--json", json);
    deepStrictEqual(r.code, 1);
    ok(r.stderr.startsWith(`${bad}:3:3: `), r.stderr);
    ok(r.stderr.includes("mmapp"), r.stderr);
    deepStrictEqual(await Deno.stat(json).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run exits 2 on usage errors and 1 on a missing file", async () => {
  const none = await vmreplay("run");
  deepStrictEqual(none.code, 2);
  ok(none.stderr.includes("TRACE"), none.stderr);
  const unknown = await vmreplay("run", FORK_COW, "--strategies", "nope", "--no-db");
  deepStrictEqual(unknown.code, 2);
  ok(unknown.stderr.includes("Unknown strategy 'nope'"), unknown.stderr);
  const size = await vmreplay("run", FORK_COW, "--mem", "lots", "--no-db");
  deepStrictEqual(size.code, 2);
  const missing = await vmreplay("run", "/nonexistent/t.vmt", "--no-db");
  deepStrictEqual(missing.code, 1);
  ok(missing.stderr.startsWith("/nonexistent/t.vmt: "), missing.stderr);
  const cost = await vmreplay("run", FORK_COW, "--cost", "bogus=1", "--no-db");
  deepStrictEqual(cost.code, 2);
  ok(cost.stderr.includes("Unknown cost weight 'bogus'"), cost.stderr);
  const every = await vmreplay("run", FORK_COW, "--check-every", "1.5", "--no-db");
  deepStrictEqual(every.code, 2);
  ok(every.stderr.includes("--check-every: expected a positive whole number, found '1.5'"));
  const tlbs = [["0", "a positive whole number"], ["1048577", "1 to 1048576 entries"]] as const;
  for (const [tlb, why] of tlbs) {
    const r = await vmreplay("run", FORK_COW, "--tlb", tlb, "--no-db");
    deepStrictEqual(r.code, 2);
    ok(r.stderr.includes(`--tlb: expected ${why}, found '${tlb}'`), r.stderr);
  }
});

Deno.test("run --tlb N replays with a TLB of N entries", async () => {
  const args = ["--strategies", "anon_vma_chain", "--no-db", "--quiet", "--json", "-"];
  const small = await vmreplay("run", FORK_COW, ...args, "--tlb", "1");
  deepStrictEqual(small.code, 0, small.stderr);
  const run = JSON.parse(small.stdout) as RunResult;
  deepStrictEqual(run.machine.tlb_entries, 1);
  const big = JSON.parse((await vmreplay("run", FORK_COW, ...args)).stdout) as RunResult;
  ok(big.machine.tlb_entries > 1);
  // One entry: every access to another page than the last misses.
  ok(
    run.results.anon_vma_chain!.counters.tlb_misses >
      big.results.anon_vma_chain!.counters.tlb_misses,
  );
});

Deno.test("run --check-every N checks after every N events and the last (implies --check)", async () => {
  const events = (await Deno.readTextFile(FORK_COW)).split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("vmtrace")).length;
  const r = await vmreplay(
    "run",
    FORK_COW,
    "--check-every",
    "4",
    "--strategies",
    "scan,anon_vma_chain",
    "--no-db",
    "--quiet",
    "--json",
    "-",
  );
  deepStrictEqual(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as RunResult;
  deepStrictEqual(run.events, events);
  for (const s of ["scan", "anon_vma_chain"]) {
    const c = run.results[s]!.counters as Record<string, number>;
    deepStrictEqual([c.checks, c.check_errors], [Math.ceil(events / 4), 0], s);
  }
});

Deno.test("run refuses two reports to the same file or both to standard output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = join(dir, "out");
    const cases: [string[], string][] = [
      [["--json", f, "--csv", f], `--json and --csv both write to '${f}'`],
      [["--json", f, "--markdown", join(dir, ".", "out")], "--json and --markdown both write"],
      [["--csv", "-", "--markdown", "-", "--quiet"], "--csv and --markdown both write to standard"],
      [["--json", f, "--db", f], "--json and --db both write"],
    ];
    for (const [args, message] of cases) {
      const db = args.includes("--db") ? [] : ["--no-db"];
      const r = await vmreplay("run", FORK_COW, ...db, ...args);
      deepStrictEqual(r.code, 2, args.join(" "));
      ok(r.stderr.includes(message), r.stderr);
    }
    deepStrictEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run --help describes every option", async () => {
  const r = await vmreplay("run", "--help");
  deepStrictEqual(r.code, 0);
  for (const o of ["--strategies", "--mem", "--swap", "--tlb", "--verify", "--check", "--json"]) {
    ok(r.stdout.includes(o), o);
  }
});
