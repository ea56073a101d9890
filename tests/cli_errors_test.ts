/**
 * Command-line error handling across commands: an output that cannot be written, an input that is
 * a directory, an unknown option. Each must exit 1 (bad input) or 2 (usage) with a message naming
 * the file, never crash with a stack trace, and leave no temporary file behind.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { vmreplay } from "./_cli.ts";
import { needs } from "./_tools.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const BASIC = new URL("../fixtures/basic.vmt", import.meta.url).pathname;
const STRACE = new URL("../fixtures/strace/pipeline.strace", import.meta.url).pathname;

function assertNamedFailure(r: { code: number; stderr: string }, file: string, what: string) {
  deepStrictEqual(r.code, 1, r.stderr);
  ok(!r.stderr.includes("Uncaught"), r.stderr);
  ok(r.stderr.includes(`${file}: cannot ${what}`), r.stderr);
  ok(!r.stderr.includes(".tmp"), r.stderr);
}

Deno.test("an output under a regular file (not a directory) is bad input naming the output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "afile");
    await Deno.writeTextFile(file, "");
    const out = (name: string) => join(file, name);
    assertNamedFailure(await vmreplay("convert", BASIC, out("x.vmtb")), out("x.vmtb"), "write");
    assertNamedFailure(
      await vmreplay("gen", "aim7", "--children=2", "--pages=4", "-o", out("g.vmt")),
      out("g.vmt"),
      "write",
    );
    assertNamedFailure(
      await vmreplay("import", "strace", STRACE, "-q", "-o", out("s.vmt")),
      out("s.vmt"),
      "write",
    );
    for (const opt of ["--json", "--csv", "--markdown"]) {
      const r = await vmreplay(
        "run",
        BASIC,
        "--strategies",
        "scan",
        "--no-db",
        "--quiet",
        opt,
        out("r"),
      );
      assertNamedFailure(r, out("r"), "write");
    }
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["afile"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import of a directory or a missing file is bad input naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "x.vmt");
    for (const kind of ["strace", "lackey", "perf", "champsim"]) {
      assertNamedFailure(await vmreplay("import", kind, dir, "-o", out), dir, "read");
      const missing = join(dir, "missing.log");
      assertNamedFailure(await vmreplay("import", kind, missing, "-o", out), missing, "read");
    }
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown option is a usage error without node's advice about '--'", async () => {
  const r = await vmreplay("stats", "--bogus", BASIC);
  deepStrictEqual(r.code, 2);
  deepStrictEqual(r.stderr.split("\n")[0], "vmreplay stats: Unknown option '--bogus'");
});

Deno.test("serve and start with a --db that is not a results store exit 1 naming it", async () => {
  for (const cmd of ["serve", "start"]) {
    const r = await vmreplay(cmd, "--db", BASIC, "--port", "0");
    deepStrictEqual(r.code, 1, r.stderr);
    ok(r.stderr.startsWith(`${BASIC}: cannot open the results store: `), r.stderr);
  }
});

Deno.test("import of a truncated .gz is bad input naming it, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = await new Response(
      new Blob([await Deno.readFile(STRACE)]).stream().pipeThrough(new CompressionStream("gzip")),
    ).bytes();
    // (champsim reads any bytes as records; perf would stop at the first line, not strace's)
    for (const kind of ["strace", "lackey", "champsim"]) {
      const cut = join(dir, `cut.${kind}.gz`);
      await Deno.writeFile(cut, whole.subarray(0, whole.length - 12));
      const out = join(dir, "out.vmt");
      const r = await vmreplay("import", kind, cut, "-o", out);
      deepStrictEqual(r.code, 1, r.stderr);
      ok(r.stderr.startsWith(`${cut}: Truncated or corrupt gzip data: `), r.stderr);
      deepStrictEqual(await Deno.stat(out).then(() => true, () => false), false);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gen, import and capture refuse an output without a trace extension up front (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out.txt");
    for (
      const args of [
        ["gen", "aim7", "-o", out],
        ["import", "strace", STRACE, "-o", out],
        ["capture", "-o", out, "--", "true"],
      ]
    ) {
      const r = await vmreplay(...args);
      deepStrictEqual(r.code, 2, r.stderr);
      ok(r.stderr.includes(`${out}: Unknown trace file extension`), r.stderr);
    }
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs(["strace"], {
  name: "capture into a directory that does not exist names OUT (not 'strace wrote no output')",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = join(dir, "missing", "x.vmt");
      const r = await vmreplay("capture", "-o", out, "--", "true");
      deepStrictEqual(r.code, 1, r.stderr);
      ok(r.stderr.includes(`${out}: cannot write: `), r.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("run --json - and --csv - write to standard output, not to a file named '-'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "run",
        BASIC,
        "--strategies",
        "scan",
        "--no-db",
        "-q",
        "--json",
        "-",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    deepStrictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    deepStrictEqual(json.events, 9);
    deepStrictEqual(Object.keys(json.results), ["scan"]);
    const csv = await vmreplay("run", BASIC, "--strategies", "scan", "--no-db", "-q", "--csv", "-");
    ok(csv.stdout.startsWith("strategy,phase,elapsed_ms,events,"), csv.stdout);
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a command whose standard output is closed early exits 0 quietly", async () => {
  for (const args of [["gen", "aim7", "-o", "-"], ["strategies"]]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Read one chunk, then close the pipe, as `| head -1` does.
    const reader = child.stdout.getReader();
    await reader.read();
    await reader.cancel();
    const [status, err] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    deepStrictEqual([status.code, err], [0, ""], args.join(" "));
  }
});
