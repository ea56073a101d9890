/**
 * ChampSim import: throughput and memory. Writes synthetic ChampSim traces of 1, 4 and 16
 * million records (64 MB to 1 GB raw; a load stream through 1 GiB and random loads in 256 MiB,
 * so that areas keep being inferred), `.xz`-compressed when xz is installed (`--raw`: not), into
 * `--dir` (default /tmp, removed at the end), then imports each to `.vmtb` in a child process
 * that reports its own peak resident memory (`VmHWM`): streaming keeps it flat however long the
 * trace is.
 *
 * ```sh
 * deno run -A bench/champsim_import.ts [--sizes 1,4,16] [--dir /tmp] [--raw]
 * ```
 *
 * @module
 */
import { benchArgs } from "./_args.ts";
import { importChampSimBatches } from "../trace/import/champsim/importer.ts";
import { fileChunks } from "../trace/_io.ts";
import { writeTraceBatches } from "../trace/write.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";

const USAGE = `Usage: deno run -A bench/champsim_import.ts [--sizes 1,4,16] [--dir DIR] [--raw]

ChampSim import throughput and peak memory on synthetic traces of the given millions of records.

  --sizes LIST  millions of records of each trace (default 1,4,16)
  --dir DIR     where the traces are written, removed at the end (default /tmp)
  --raw         do not compress them with xz`;

const values = benchArgs("bench/champsim_import.ts", USAGE, {
  sizes: { type: "string", default: "1,4,16" },
  dir: { type: "string", default: "/tmp" },
  raw: { type: "boolean", default: false },
  child: { type: "string" },
});

if (values.child !== undefined) {
  // The measured import, in a process of its own.
  let stats: ImportStats | undefined;
  const t0 = performance.now();
  await writeTraceBatches(
    `${values.child}.vmtb`,
    { version: 1, extra: { source: "champsim" } },
    importChampSimBatches(fileChunks(values.child), { stats: (s) => stats = s }),
  );
  const secs = (performance.now() - t0) / 1000;
  const status = await Deno.readTextFile("/proc/self/status");
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  console.log(JSON.stringify({ secs, records: stats!.lines, events: stats!.events, hwm }));
  Deno.exit(0);
}

const xz = !values.raw && await new Deno.Command("xz", { args: ["--version"], stdout: "null" })
  .output().then((r) => r.success, () => false);
const dir = await Deno.makeTempDir({ dir: values.dir, prefix: "vmreplay-bench-champsim-" });

/**
 * Writes `n` records: a load every record (a stream through 1 GiB), a second load every 4th
 * (anywhere in 256 MiB), a store every 3rd (a stack).
 */
async function write(path: string, n: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const per = 16384;
  const buf = new Uint8Array(per * 64);
  const v = new DataView(buf.buffer);
  let x = 12345;
  for (let done = 0; done < n; done += per) {
    buf.fill(0);
    for (let i = 0; i < per; i++) {
      const at = i * 64;
      x = (x * 1103515245 + 12345) >>> 0;
      const k = done + i;
      v.setBigUint64(at, 0x400000n + BigInt(k % 65536) * 4n, true);
      v.setBigUint64(at + 32, 0x10000000000n + BigInt((k * 8) % 2 ** 30), true);
      if (k % 4 === 0) v.setBigUint64(at + 40, 0x7f0000000000n + BigInt(x % 2 ** 28), true);
      if (k % 3 === 0) v.setBigUint64(at + 16, 0x7ffc00000000n - BigInt(k % 5000) * 8n, true);
    }
    await file.write(buf);
  }
  file.close();
}

try {
  console.log(`records  input            import s  M records/s  M events/s  peak RSS`);
  for (const m of values.sizes.split(",").map(Number)) {
    let path = `${dir}/t${m}M.champsim`;
    await write(path, m * 1e6);
    if (xz) {
      const r = await new Deno.Command("xz", { args: ["-T0", "-1", path] }).output();
      if (!r.success) throw new Error("xz failed");
      path += ".xz";
    }
    const size = (await Deno.stat(path)).size;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--child", path],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`import of ${path} failed`);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    console.log(
      `${String(m).padStart(3)} M    ${(size / 1e6).toFixed(0).padStart(5)} MB ${
        xz ? ".xz " : "raw "
      }  ${r.secs.toFixed(2).padStart(8)}  ${(r.records / r.secs / 1e6).toFixed(2).padStart(11)}  ${
        (r.events / r.secs / 1e6).toFixed(2).padStart(10)
      }  ${r.hwm.toFixed(0).padStart(5)} MB`,
    );
    await Deno.remove(path);
    await Deno.remove(`${path}.vmtb`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
