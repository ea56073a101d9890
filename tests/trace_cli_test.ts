/**
 * `vmreplay validate`, `convert` and `stats` end to end, as a user calls them: output, exit codes
 * 0/1/2, atomic output, and the round trip through every form on the fixtures.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { parseTraceText } from "../trace/text/parse.ts";
import { vmreplay } from "./_cli.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

function eventsOf(text: string) {
  return parseTraceText(text).events.map(({ line: _, ...e }) => e);
}

Deno.test("validate accepts the fixtures and reports the event count", async () => {
  const files = ["basic.vmt", "every_op.vmt", "high_addr.vmt"].map((f) => join(FIXTURES, f));
  const r = await vmreplay("validate", ...files);
  deepStrictEqual(r.code, 0, r.stderr);
  ok(r.stdout.includes("basic.vmt: ok, 9 events, vmt (vmtrace 1 mem=8M swap=32M)"), r.stdout);
  ok(r.stdout.includes("every_op.vmt: ok, 50 events"), r.stdout);
});

Deno.test("validate reports FILE:LINE:COL and exits 1; usage errors exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = join(dir, "bad.vmt");
    await Deno.writeTextFile(bad, "vmtrace 1\n1 mmap 0x1000 4K rw- private\n0 w 0x1000\n");
    const r = await vmreplay("validate", bad);
    deepStrictEqual(r.code, 1);
    deepStrictEqual(r.stderr.trim(), `${bad}:3:1: PID 0 is not allowed: process ids start at 1`);
    const j = await vmreplay("validate", "--json", bad);
    deepStrictEqual(j.code, 1);
    deepStrictEqual(JSON.parse(j.stdout), {
      file: bad,
      ok: false,
      line: 3,
      column: 1,
      error: "PID 0 is not allowed: process ids start at 1",
    });
    deepStrictEqual((await vmreplay("validate", join(dir, "missing.vmt"))).code, 1);
    deepStrictEqual((await vmreplay("validate")).code, 2);
    deepStrictEqual((await vmreplay("validate", "--bogus", bad)).code, 2);
    const help = await vmreplay("validate", "--help");
    deepStrictEqual(help.code, 0);
    ok(help.stdout.startsWith("Usage: vmreplay validate"), help.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convert a.vmt → b.vmtb → c.jsonl → d.csv.gz → e.vmt keeps the fixtures' events", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["basic.vmt", "every_op.vmt", "high_addr.vmt"]) {
      const chain = [
        join(FIXTURES, f),
        ...["b.vmtb", "c.jsonl", "d.csv.gz", "e.vmt"].map((x) => join(dir, x)),
      ];
      for (let k = 0; k + 1 < chain.length; k++) {
        const r = await vmreplay("convert", chain[k]!, chain[k + 1]!);
        deepStrictEqual(r.code, 0, r.stderr);
        ok(r.stdout.includes(" events in "), r.stdout);
      }
      const original = await Deno.readTextFile(chain[0]!);
      const back = await Deno.readTextFile(chain[4]!);
      deepStrictEqual(eventsOf(back), eventsOf(original), f);
      deepStrictEqual(parseTraceText(back).header, parseTraceText(original).header);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convert writes nothing for bad input and keeps an existing output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = join(dir, "bad.vmt"), out = join(dir, "out.vmtb");
    await Deno.writeTextFile(bad, "vmtrace 1\n1 w 0x1000\n1 frob\n");
    let r = await vmreplay("convert", bad, out);
    deepStrictEqual(r.code, 1);
    ok(r.stderr.startsWith(`${bad}:3:3: Unknown op 'frob'`), r.stderr);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.vmt"]);
    await Deno.writeTextFile(out, "keep me");
    r = await vmreplay("convert", bad, out);
    deepStrictEqual(r.code, 1);
    deepStrictEqual(await Deno.readTextFile(out), "keep me");
    deepStrictEqual((await vmreplay("convert", bad)).code, 2);
    deepStrictEqual(
      (await vmreplay("convert", join(FIXTURES, "basic.vmt"), join(dir, "x.txt"))).code,
      2,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stats counts events by op, processes, extent and pages", async () => {
  const r = await vmreplay("stats", "--json", join(FIXTURES, "basic.vmt"));
  deepStrictEqual(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  deepStrictEqual(s.events, 9);
  deepStrictEqual(s.by_op, { mmap: 1, mremap: 1, fork: 1, exit: 2, w: 2, swapon: 1, mark: 1 });
  deepStrictEqual(s.processes, 2);
  deepStrictEqual(s.extent, { low: "0x7f0000000000", high: "0x7f1000200000" });
  deepStrictEqual(s.pages_touched, 2);
  deepStrictEqual(s.marks, ["after-fork"]);
  deepStrictEqual(s.pid_range, [1, 2]);
  const keys = (o: unknown): string[] =>
    o !== null && typeof o === "object" && !Array.isArray(o)
      ? Object.entries(o).flatMap(([k, v]) => [k, ...keys(v)])
      : [];
  for (const k of keys(s)) ok(/^[a-z0-9_]+$/.test(k), `stats --json key '${k}' is not snake_case`);
  const t = await vmreplay("stats", join(FIXTURES, "basic.vmt"));
  deepStrictEqual(t.code, 0);
  ok(t.stdout.includes("processes    2 (pids 1..2)"), t.stdout);
  deepStrictEqual((await vmreplay("stats")).code, 2);
});
