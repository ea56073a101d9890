/**
 * The README's profiling recipe works: `perf record` of a replay run with V8's perf map, then
 * `perf report` of the replay worker, names the machine's JIT-compiled functions.
 */
import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { vmreplay } from "./_cli.ts";
import { needs } from "./_tools.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(r.stdout);
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return out;
}

Deno.test(needs(["perf"], {
  name: "profiling: perf report of a replay worker names the machine's functions",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "vmreplay-perf-" });
    let pid = "";
    try {
      const trace = join(dir, "r.vmt"), data = join(dir, "perf.data");
      equal((await vmreplay("gen", "random", "--events=300000", "-o", trace)).code, 0);
      await run("perf", [
        "record",
        "-q",
        "-F",
        "2000",
        "-o",
        data,
        Deno.execPath(),
        "run",
        "-A",
        "--v8-flags=--perf-basic-prof",
        MAIN,
        "run",
        trace,
        "--strategies",
        "anon_vma_chain",
        "--no-db",
        "--quiet",
      ], dir); // V8 also writes isolate-*-v8.log files into the working directory
      // V8 wrote its map to /tmp/perf-PID.map, PID the replay's process: removed below.
      const byPid = await run("perf", ["report", "-i", data, "--stdio", "--sort", "pid"]);
      pid = /(\d+):deno/.exec(byPid)?.[1] ?? "";
      match(byPid, /:worker-1/, "the replay ran in a worker");
      const symbols = await run("perf", [
        "report",
        "-i",
        data,
        "--stdio",
        "--no-children",
        "--comm",
        "worker-1",
        "--sort",
        "symbol",
      ]);
      match(symbols, /JS:\S*'\w+ file:\/\/\S*\/core\/\w+\.ts/);
    } finally {
      await Deno.remove(dir, { recursive: true });
      if (pid !== "") await Deno.remove(`/tmp/perf-${pid}.map`).catch(() => {});
    }
  },
}));
