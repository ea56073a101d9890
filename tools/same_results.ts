/**
 * Replays traces through every strategy with a checkout's `run --verify` and keeps what they
 * report, to prove a change of the machine leaves every result as it was: counters, phases,
 * series, extra counters and diagnostics, everything but the replay times (`elapsed_ms`).
 *
 * ```sh
 * # the results of the tree as it was (a copy of the old commit), then of the tree as it is
 * git archive BASE | tar -x -C /tmp/old && (cd /tmp/old && deno install)
 * deno run -A tools/same_results.ts --tree /tmp/old --out /tmp/res-old fixtures/*.vmt TRACE...
 * deno run -A tools/same_results.ts --out /tmp/res-new --compare /tmp/res-old fixtures/*.vmt TRACE...
 * ```
 *
 * Each trace's results go to `OUT/NAME.json` (NAME: the trace's file name), without the times.
 * With `--compare BASE` each is compared with `BASE/NAME.json`: the first differing places are
 * printed and the exit status is 1 when any trace differs, 0 when all are identical. `--tree`
 * picks the checkout whose `main.ts` replays (default: this one); `--check` adds `--check`
 * (invariants after every event: slow on long traces); `--args` passes more `run` options.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";

/**
 * `value` without its `elapsed_ms` fields, at any depth: what two replays of one trace must
 * agree on.
 *
 * @example
 * ```ts
 * import { withoutTimes } from "./same_results.ts";
 * const r = withoutTimes({ a: { elapsed_ms: 3, n: 1 }, b: [{ elapsed_ms: 1 }] });
 * if (JSON.stringify(r) !== '{"a":{"n":1},"b":[{}]}') throw new Error(JSON.stringify(r));
 * ```
 */
export function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== "elapsed_ms") out[k] = withoutTimes(v);
  return out;
}

/**
 * The places (`results.scan.counters.segv`) where `a` and `b` differ, at most `limit` of them.
 *
 * @example
 * ```ts
 * import { differences } from "./same_results.ts";
 * const d = differences({ x: [1, 2], y: 3 }, { x: [1, 5], y: 3 });
 * if (d.join() !== "x[1]: 2 != 5") throw new Error(d.join());
 * ```
 */
export function differences(a: unknown, b: unknown, limit = 20, at = ""): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string) => {
    if (out.length >= limit) return;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) out.push(`${p}: ${x.length} items != ${y.length}`);
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(x[i], y[i], `${p}[${i}]`);
      return;
    }
    if (x !== null && y !== null && typeof x === "object" && typeof y === "object") {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) {
        walk(
          (x as Record<string, unknown>)[k],
          (y as Record<string, unknown>)[k],
          p === "" ? k : `${p}.${k}`,
        );
      }
      return;
    }
    if (!Object.is(x, y)) out.push(`${p}: ${JSON.stringify(x)} != ${JSON.stringify(y)}`);
  };
  walk(a, b, at);
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      tree: { type: "string", default: new URL("..", import.meta.url).pathname },
      compare: { type: "string" },
      check: { type: "boolean", default: false },
      args: { type: "string", default: "" },
    },
    allowPositionals: true,
  });
  if (values.out === undefined || positionals.length === 0) {
    console.error(
      "Usage: same_results.ts --out DIR [--tree DIR] [--compare DIR] [--check] TRACE...",
    );
    Deno.exit(2);
  }
  await Deno.mkdir(values.out, { recursive: true });
  const main = join(resolve(values.tree), "main.ts");
  const extra = values.args.split(" ").filter((s) => s !== "");
  let differ = 0;
  for (const trace of positionals) {
    const name = basename(trace);
    const raw = join(values.out, `${name}.raw.json`);
    const t0 = performance.now();
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        main,
        "run",
        resolve(trace),
        "--json",
        raw,
        "--no-db",
        "--verify",
        "--quiet",
        ...(values.check ? ["--check"] : []),
        ...extra,
      ],
      cwd: resolve(values.tree),
      stdout: "null",
      stderr: "piped",
    }).output();
    if (run.code !== 0) {
      console.error(
        `${name}: run failed (exit ${run.code})\n${new TextDecoder().decode(run.stderr)}`,
      );
      Deno.exit(1);
    }
    const results = withoutTimes(JSON.parse(await Deno.readTextFile(raw)));
    await Deno.remove(raw);
    // The trace's path names the checkout it was replayed from: not a result.
    (results as Record<string, unknown>).trace = name;
    const file = join(values.out, `${name}.json`);
    await Deno.writeTextFile(file, JSON.stringify(results, null, 1) + "\n");
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    if (values.compare === undefined) {
      console.log(`${name}: saved (${s} s)`);
      continue;
    }
    const base = JSON.parse(await Deno.readTextFile(join(values.compare, `${name}.json`)));
    const d = differences(base, results);
    if (d.length === 0) console.log(`${name}: identical (${s} s)`);
    else {
      differ++;
      console.log(`${name}: DIFFERENT (${s} s)\n  ${d.join("\n  ")}`);
    }
  }
  if (values.compare !== undefined) {
    console.log(
      differ === 0
        ? `all ${positionals.length} traces identical`
        : `${differ} of ${positionals.length} traces differ`,
    );
  }
  Deno.exit(differ === 0 ? 0 : 1);
}
