/**
 * What capturing a CPU-bound program costs: a Python loop run alone, under
 * `vmreplay capture --perf`, and under `vmreplay capture --accesses --no-instr --coalesce`
 * (Valgrind lackey): wall time of the whole capture (recording, `perf script` and the import, or
 * Valgrind and the import) against the program's own. perf's fixed start-up is measured on
 * `true`. Runs alternate (native, perf, start-up, native, ...) and the medians are printed, with
 * the target of issue #16: a perf capture costs at most 3 times the program plus perf's start-up.
 *
 * Lackey logs every access (4 GB and half an hour for the default 200 000 iterations, which take
 * 0.05 s alone): it runs once, on a shorter loop (`--lackey-loops`), beside perf and the native
 * run on the same loop; `--no-lackey` leaves it out.
 *
 * ```sh
 * deno run -A bench/capture_cost.ts [--loops 3000000] [--lackey-loops 200000] [--runs 3] \
 *   [--no-lackey]
 * ```
 *
 * @module
 */
import { benchArgs } from "./_args.ts";

const USAGE =
  `Usage: deno run -A bench/capture_cost.ts [--loops N] [--lackey-loops N] [--runs N] [--no-lackey]

What capturing a CPU-bound program costs: a Python loop alone, under "vmreplay capture --perf"
and under Valgrind lackey (medians of alternating runs).

  --loops N         iterations of the loop run alone and under perf (default 3000000)
  --lackey-loops N  iterations of the shorter loop run under lackey (default 200000)
  --runs N          runs of each (default 3)
  --no-lackey       leave lackey out`;

const values = benchArgs("bench/capture_cost.ts", USAGE, {
  loops: { type: "string", default: "3000000" },
  "lackey-loops": { type: "string", default: "200000" },
  runs: { type: "string", default: "3" },
  "no-lackey": { type: "boolean", default: false },
});
const runs = Number(values.runs);
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const python = (await exists("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
const loop = (n: string) => [
  python,
  "-c",
  `s = 0\nfor i in range(${Number(n)}):\n    s += i * i % 7\nprint(s)`,
];
const dir = await Deno.makeTempDir({ prefix: "vmreplay-bench-capture-" });

async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}

/** Wall seconds of `cmd`, which must succeed. */
async function timed(cmd: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "null",
    stderr: "piped",
  }).output();
  const s = (performance.now() - t0) / 1000;
  if (!r.success) {
    throw new Error(`${cmd.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const capture = (how: string[], out: string, cmd: string[]) => [
  Deno.execPath(),
  "run",
  "-A",
  MAIN,
  "capture",
  ...how,
  "-q",
  "-o",
  `${dir}/${out}`,
  "--",
  ...cmd,
];

const row = (label: string, secs: number, note = "") =>
  console.log(`${label.padEnd(36)} ${secs.toFixed(2).padStart(7)} s ${note}`);

/** Native and perf runs of `program`, alternated; their medians and perf's start-up. */
async function nativeAndPerf(program: string[]): Promise<[number, number, number]> {
  const native: number[] = [];
  const perf: number[] = [];
  const startup: number[] = [];
  for (let i = 0; i < runs; i++) {
    native.push(await timed(program));
    perf.push(await timed(capture(["--perf"], "p.vmtb", program)));
    startup.push(await timed(capture(["--perf"], "t.vmtb", ["true"])));
  }
  return [median(native), median(perf), median(startup)];
}

try {
  console.log(`${python} -c <loop of ${values.loops} iterations>, medians of ${runs} runs:`);
  const [n, p, s] = await nativeAndPerf(loop(values.loops));
  row("native", n);
  row("capture --perf -- true (start-up)", s);
  row(
    "capture --perf",
    p,
    `${(p / n).toFixed(1)}x native; (capture - start-up) / native ${((p - s) / n).toFixed(2)}; ` +
      `target <= 3 x native + start-up = ${(3 * n + s).toFixed(2)} s: ` +
      (p <= 3 * n + s ? "met" : "NOT MET"),
  );
  const st = await timed(capture([], "s.vmtb", loop(values.loops)));
  row("capture (strace), once", st, `${(st / n).toFixed(1)}x native`);
  if (!values["no-lackey"]) {
    const small = loop(values["lackey-loops"]);
    console.log(`\n${python} -c <loop of ${values["lackey-loops"]} iterations>:`);
    const [n2, p2] = await nativeAndPerf(small);
    row("native", n2);
    row("capture --perf", p2, `${(p2 / n2).toFixed(1)}x native`);
    const l = await timed(capture(["--accesses", "--no-instr", "--coalesce"], "l.vmtb", small));
    row(
      "capture --accesses (lackey), once",
      l,
      `${(l / n2).toFixed(1)}x native, ${(l / p2).toFixed(1)}x capture --perf`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
