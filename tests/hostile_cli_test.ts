/**
 * Hostile inputs on the command line (issue #14), each as a user meets it: out-of-range sizes in a
 * header, an event or an option; a trace that declares terabytes; gzip bombs; a --db that is not a
 * store; a writer killed midway; CSV reports of hostile labels. Each ends in exit 1 (bad input, with
 * `FILE:LINE:COL` where the trace says it) or 2 (usage), or in a correct run in bounded memory, and
 * never in a stack trace.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PEAK = new URL("./_peak_rss.ts", import.meta.url).pathname;
const BASIC = new URL("../fixtures/basic.vmt", import.meta.url).pathname;

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Exit 1 with exactly `message` as the first line of standard error, and no stack trace. */
function badInput(r: { code: number; stderr: string }, message: string | RegExp): void {
  deepStrictEqual(r.code, 1, r.stderr);
  ok(!/\n\s+at /.test(r.stderr) && !r.stderr.includes("Uncaught"), r.stderr);
  const first = r.stderr.split("\n")[0]!;
  if (typeof message === "string") deepStrictEqual(first, message);
  else ok(message.test(first), first);
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function gzipOf(chunk: Uint8Array, times: number): Promise<Uint8Array> {
  const cs = new CompressionStream("gzip");
  const w = cs.writable.getWriter();
  const out = new Response(cs.readable).bytes();
  for (let i = 0; i < times; i++) await w.write(chunk as Uint8Array<ArrayBuffer>);
  await w.close();
  return await out;
}

Deno.test("out-of-range headers fail validate and run alike, at FILE:LINE:COL", async () => {
  await withDir(async (dir) => {
    for (
      const [text, ext, message] of [
        ["vmtrace 1 mem=4095\n1 exit\n", "vmt", "1:11: Memory mem=4095 is out of range"],
        ["vmtrace 1 mem=0\n1 exit\n", "vmt", "1:11: Memory mem=0 is out of range"],
        ["vmtrace 1 mem=8192G\n1 exit\n", "vmt", "1:11: Memory mem=8T is out of range"],
        ['{"vmtrace":1,"mem":7}\n{"pid":1,"op":"exit"}\n', "jsonl", "1:14: Field 'mem'"],
        ["vmtrace 1\n- swapon big 65536G\n", "vmt", "2:14: Swap device SIZE 64T is out of range"],
        ["vmtrace 1\n1 write file:/big 0 128G\n", "vmt", "2:21: LEN 128G of one read/write"],
      ] as const
    ) {
      const path = join(dir, `t.${ext}`);
      await Deno.writeTextFile(path, text);
      for (const args of [["validate", path], ["run", path, "--no-db", "--quiet"]]) {
        const r = await cli(args);
        badInput(r, new RegExp(`^${path}:${message.replace(/[()+]/g, "\\$&")}`));
      }
    }
  });
});

Deno.test("--mem and --swap out of range are usage errors (exit 2)", async () => {
  for (
    const [args, message] of [
      [["--mem", "9999999T"], "vmreplay run: --mem: expected 64K (16 pages) to 4T, found 9999999T"],
      [["--swap", "65536G"], "vmreplay run: --swap: expected at most 4T, found 64T"],
      [["--mem", "8K"], "vmreplay run: --mem: expected 64K (16 pages) to 4T, found 8K"],
    ] as const
  ) {
    const r = await cli(["run", BASIC, "--no-db", ...args]);
    deepStrictEqual(r.code, 2, r.stderr);
    deepStrictEqual(r.stderr.split("\n")[0], message);
  }
  const g = await cli(["gen", "aim7", "--mem=8T", "-o", "/dev/null"]);
  deepStrictEqual(g.code, 2, g.stderr);
});

Deno.test("a trace that declares terabytes and touches megabytes replays in under 300 MB, all strategies", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "huge.vmt");
    await Deno.writeTextFile(
      path,
      [
        "vmtrace 1 mem=4096G swap=4096G",
        "- swapon big 4096G",
        "- swapon small 1024G prio=5",
        "1 mmap 0x7f0000000000 4M rw- private,anon",
        "1 w 0x7f0000000000 4M",
        "- reclaim 512",
        "1 r 0x7f0000000000 4M",
        "1 write file:/big 0 8M",
        "- swapoff small",
        "1 exit",
        "",
      ].join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", PEAK, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(text) as { strategies: number; peak_kib: number };
    deepStrictEqual(r.strategies, 7);
    ok(r.peak_kib < 300 * 1024, `peak ${Math.round(r.peak_kib / 1024)} MB`);
  });
});

Deno.test("gzip bombs of every form end in a clear error (exit 1) within the decompression limit", async () => {
  await withDir(async (dir) => {
    const lines = await gzipOf(new TextEncoder().encode("\n".repeat(1 << 20)), 64); // 64 MiB
    const long = await gzipOf(new TextEncoder().encode(" ".repeat(1 << 20)), 64);
    for (const ext of ["vmt.gz", "jsonl.gz", "csv.gz"]) {
      const path = join(dir, `bomb.${ext}`);
      const head = ext === "vmt.gz" ? await gzipOf(new TextEncoder().encode("vmtrace 1\n"), 1) : [];
      await Deno.writeFile(path, new Uint8Array([...head, ...lines]));
      const r = await cli(["validate", path], { VMREPLAY_MAX_INFLATE: "16M" });
      badInput(
        r,
        `${path}: Decompressed data larger than the limit of 16M (a gzip bomb, or a trace larger ` +
          "than expected: set VMREPLAY_MAX_INFLATE to raise it)",
      );
      const l = join(dir, `long.${ext}`);
      await Deno.writeFile(l, long);
      badInput(await cli(["validate", l]), new RegExp(`^${l}:1:1: Line too long`));
    }
    const bad = await cli(["validate", join(dir, "bomb.vmt.gz")], { VMREPLAY_MAX_INFLATE: "lots" });
    deepStrictEqual(bad.code, 2, bad.stderr);
    deepStrictEqual(
      bad.stderr.split("\n")[0],
      "vmreplay validate: VMREPLAY_MAX_INFLATE: expected a size like 200G (or 0 for no limit), " +
        "found 'lots'",
    );
  });
});

Deno.test("run --db FILE that is not a results store fails before replaying anything", async () => {
  await withDir(async (dir) => {
    const db = join(dir, "not.db");
    await Deno.writeTextFile(db, "a text file, not a store\n");
    const r = await cli(["run", BASIC, "--db", db]);
    badInput(r, `${db}: cannot open the results store: file is not a database`);
    deepStrictEqual(r.stdout, ""); // no table: nothing was replayed
  });
});

Deno.test("a temporary file of a writer killed with SIGKILL is removed by the next write, not before", async () => {
  await withDir(async (dir) => {
    const out = join(dir, "big.vmt");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "gen", "random", "--events=50000000", "-o", out],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Wait for its temporary file, then kill it outright.
    let tmp: string | undefined;
    for (let i = 0; i < 600 && tmp === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      tmp = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".tmp"))?.name;
    }
    // While the writer is at work, a write beside it leaves its file alone (it holds its lock).
    const beside = await cli(["convert", BASIC, join(dir, "basic.jsonl")]);
    deepStrictEqual(beside.code, 0, beside.stderr);
    ok(tmp !== undefined && Deno.statSync(join(dir, tmp)).isFile, "a live writer's file removed");
    child.kill("SIGKILL");
    await child.status;
    ok(tmp.startsWith(".big.vmt."), tmp);
    // The next write into the directory (any command that writes a file there) removes it.
    const r = await cli(["convert", BASIC, join(dir, "basic.vmtb")]);
    deepStrictEqual(r.code, 0, r.stderr);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "basic.jsonl",
      "basic.vmtb",
    ]);
  });
});

Deno.test("run --csv neutralizes labels a spreadsheet would run as formulas", async () => {
  await withDir(async (dir) => {
    const trace = join(dir, "t.vmt");
    await Deno.writeTextFile(
      trace,
      'vmtrace 1\n- mark =HYPERLINK("http://x","y")\n1 exit\n- mark @SUM(A1)\n- mark +1\n- mark -x\n',
    );
    for (const traces of [[trace], [trace, trace]]) {
      const csv = join(dir, "out.csv");
      const r = await cli([
        "run",
        ...traces,
        "--no-db",
        "--quiet",
        "--strategies",
        "scan",
        "--csv",
        csv,
      ]);
      deepStrictEqual(r.code, 0, r.stderr);
      const text = await Deno.readTextFile(csv);
      ok(text.includes(`,"'=HYPERLINK(""http://x"",""y"")",`), text);
      for (const l of ["@SUM(A1)", "+1", "-x"]) ok(text.includes(`,'${l},`), `${l} in ${text}`);
      ok(!/(^|,)[=+@-]/m.test(text.replaceAll(/,-?\d+/g, ",0")), text);
    }
  });
});
