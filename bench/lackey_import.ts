/**
 * Lackey import throughput (MB/s of Valgrind output) on a real trace of at least 200 MB.
 *
 * Without `--trace FILE`, it records one first (about 400 MB, half a minute): the start-up of
 * Python under `valgrind --tool=lackey --trace-mem=yes`, into `--dir` (default /tmp), reused by
 * later runs and never committed. Then it measures, once each:
 * - parse only (events counted, nothing written),
 * - import to `.vmtb` (every access kept),
 * - import to `.vmtb` with `--no-instr --coalesce`,
 * - import to `.vmt` text with `--no-instr --coalesce`.
 *
 * ```sh
 * deno run -A bench/lackey_import.ts [--trace FILE] [--dir /tmp]
 * ```
 *
 * @module
 */
import { benchArgs } from "./_args.ts";
import { importLackeyBatches, type LackeyImportOptions } from "../trace/import/lackey/importer.ts";
import { fileChunks } from "../trace/_io.ts";
import { writeTraceBatches } from "../trace/write.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";

const USAGE = `Usage: deno run -A bench/lackey_import.ts [--trace FILE] [--dir DIR]

Lackey import throughput (MB/s of Valgrind output) on a real trace of at least 200 MB.

  --trace FILE  the lackey output to import (default: record Python's start-up into DIR)
  --dir DIR     where the recorded trace and the imports go (default /tmp)`;

const values = benchArgs("bench/lackey_import.ts", USAGE, {
  trace: { type: "string" },
  dir: { type: "string", default: "/tmp" },
});
const dir = `${values.dir}/vmreplay-bench-lackey`;
await Deno.mkdir(dir, { recursive: true });
const trace = values.trace ?? `${dir}/python-startup.lackey`;

if (values.trace === undefined && !(await exists(trace))) {
  console.log(`recording ${trace} with Valgrind lackey (python3 -S -c pass)...`);
  const python = (await exists("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  const r = await new Deno.Command("valgrind", {
    args: ["--tool=lackey", "--trace-mem=yes", `--log-file=${trace}`, python, "-S", "-c", "pass"],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`valgrind failed (exit ${r.code})`);
}
const size = (await Deno.stat(trace)).size;
console.log(`trace: ${trace}, ${(size / 1e6).toFixed(1)} MB`);
if (size < 200e6) console.log("note: smaller than 200 MB; figures are less stable");

async function measure(
  label: string,
  out: string | null,
  opts: LackeyImportOptions,
): Promise<void> {
  let stats: ImportStats | undefined;
  const t0 = performance.now();
  const batches = importLackeyBatches(fileChunks(trace), { ...opts, stats: (s) => stats = s });
  if (out === null) {
    let n = 0;
    for await (const b of batches) n += b.length;
    void n;
  } else {
    await writeTraceBatches(out, { version: 1 }, batches);
  }
  const s = (performance.now() - t0) / 1000;
  const outSize = out === null ? 0 : (await Deno.stat(out)).size;
  console.log(
    `${label.padEnd(44)} ${(size / 1e6 / s).toFixed(1).padStart(7)} MB/s  ${
      s.toFixed(2).padStart(6)
    } s  ` +
      `${(stats!.lines / s / 1e6).toFixed(2)} M lines/s  ${stats!.events} events` +
      (out === null ? "" : `  out ${(outSize / 1e6).toFixed(1)} MB`),
  );
  if (out !== null) await Deno.remove(out);
}

await measure("parse only", null, {});
await measure("import -> .vmtb (all accesses)", `${dir}/out.vmtb`, {});
await measure("import -> .vmtb --no-instr --coalesce", `${dir}/out2.vmtb`, {
  instructions: false,
  coalesce: true,
});
await measure("import -> .vmt --no-instr --coalesce", `${dir}/out3.vmt`, {
  instructions: false,
  coalesce: true,
});

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}
