/**
 * The bench scripts' options (`bench/_args.ts`): `--help` prints the script's usage and exits 0;
 * an unknown option prints one line naming the script and the option, then the usage line, and
 * exits 2, without a stack trace. Nothing is benchmarked: both stop before any work.
 */
import { deepStrictEqual, ok } from "node:assert/strict";

const SCRIPTS = [
  "capture_cost",
  "champsim_import",
  "formats",
  "lackey_import",
  "replay_bench",
  "sweep_bench",
];

/** Exit code and output of `bench/NAME.ts` run with `args`. */
async function run(name: string, args: string[]) {
  const script = new URL(`../bench/${name}.ts`, import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

for (const name of SCRIPTS) {
  Deno.test(`bench/${name}.ts: --help prints its usage, a bad option one line and exit 2`, async () => {
    const usage = `Usage: deno run -A bench/${name}.ts`;
    const [help, bad] = await Promise.all([run(name, ["--help"]), run(name, ["--bogus"])]);
    deepStrictEqual([help.code, help.stderr], [0, ""]);
    ok(help.stdout.startsWith(usage), help.stdout);
    ok(help.stdout.includes("\n  --"), "the options are listed");
    deepStrictEqual(bad.code, 2);
    deepStrictEqual(bad.stdout, "");
    const lines = bad.stderr.trimEnd().split("\n");
    deepStrictEqual(lines.length, 2, bad.stderr);
    deepStrictEqual(lines[0], `bench/${name}.ts: Unknown option '--bogus'`);
    ok(lines[1]!.startsWith(usage), bad.stderr);
  });
}
