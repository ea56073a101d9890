import { deepStrictEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { CHAMPSIM_RECORD_SIZE, ChampSimImporter, importChampSimBatches } from "./importer.ts";
import { fileChunks } from "../../_io.ts";
import type { ImportStats } from "../import_stats.ts";
import { runBatch } from "../../../core/run_batch.ts";
import { EventBatch } from "../../batch.ts";
import { toolRuns } from "../../_command.ts";

/** One instruction: its ip, its loads (up to 4) and stores (up to 2). */
interface Instr {
  ip: bigint;
  loads?: bigint[];
  stores?: bigint[];
}

/** ChampSim `input_instr` records, little-endian, as the ChampSim tracer writes them. */
function records(instrs: Instr[]): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(instrs.length * CHAMPSIM_RECORD_SIZE);
  const v = new DataView(buf.buffer);
  instrs.forEach((ins, n) => {
    const at = n * CHAMPSIM_RECORD_SIZE;
    v.setBigUint64(at, ins.ip, true);
    v.setUint8(at + 8, n % 2); // is_branch, branch_taken and registers: noise the importer skips
    v.setUint8(at + 10, 7);
    v.setUint8(at + 12, 9);
    (ins.stores ?? []).forEach((a, k) => v.setBigUint64(at + 16 + 8 * k, a, true));
    (ins.loads ?? []).forEach((a, k) => v.setBigUint64(at + 32 + 8 * k, a, true));
  });
  return buf;
}

const PROGRAM: Instr[] = [
  { ip: 0x401000n, loads: [0x601000n] },
  { ip: 0x401004n, stores: [0x7ffd0000fff8n] },
  { ip: 0x401008n, loads: [0x601008n, 0x7f12345678a0n, 0x601010n, 0x601018n] },
  { ip: 0x40100cn },
  { ip: 0x401010n, loads: [0x7ffd0000fff8n], stores: [0x602000n, 0x7f1234567000n] },
  { ip: 0x401014n, loads: [0xffffffff81000000n] }, // a kernel address: not a user access
];

/** `op addr` of every access, and the other ops, of batches. */
async function ops(
  src: AsyncIterable<EventBatch>,
): Promise<{ accesses: string[]; other: string[]; batch: EventBatch }> {
  const accesses: string[] = [];
  const other: string[] = [];
  const all = new EventBatch(1 << 12);
  for await (const b of src) {
    for (let i = 0; i < b.length; i++) {
      const e = b.get(i);
      all.push(e);
      if (e.op === "r" || e.op === "w" || e.op === "x") {
        accesses.push(`${e.op} 0x${e.addr.toString(16)}`);
      } else other.push(e.op);
    }
  }
  return { accesses, other, batch: all };
}

const LOADS_AND_STORES = [
  "r 0x601000",
  "w 0x7ffd0000fff8",
  "r 0x601008",
  "r 0x7f12345678a0",
  "r 0x601010",
  "r 0x601018",
  "r 0x7ffd0000fff8",
  "w 0x602000",
  "w 0x7f1234567000",
];

Deno.test("importChampSimBatches() gives exactly the loads then stores of each record", async () => {
  let stats: ImportStats | undefined;
  const { accesses, other, batch } = await ops(
    importChampSimBatches(records(PROGRAM), { stats: (s) => stats = s }),
  );
  deepStrictEqual(accesses, LOADS_AND_STORES);
  // Three 1 MiB blocks around the addresses (0x600000, 0x7f1234500000, 0x7ffd00000000), then exit.
  deepStrictEqual(other, ["mmap", "mmap", "mmap", "exit"]);
  equal(stats!.lines, 6);
  equal(stats!.touches, 9);
  equal(stats!.inferredAreas, 3);
  deepStrictEqual(stats!.ignored, { "kernel address": 1 });
  const run = runBatch(batch, { memPages: 4096, swapPages: 0, strategy: "anon_vma_chain" });
  equal(run.counters.segv, 0);
  equal(run.counters.warnings, 0);
});

Deno.test("importChampSimBatches() with instructions: the fetch of ip first", async () => {
  const { accesses } = await ops(
    importChampSimBatches(records(PROGRAM.slice(0, 2)), { instructions: true }),
  );
  deepStrictEqual(accesses, ["x 0x401000", "r 0x601000", "x 0x401004", "w 0x7ffd0000fff8"]);
});

Deno.test("ChampSimImporter.push() decodes records cut across chunks of any size", async () => {
  const bytes = records(PROGRAM);
  for (const size of [1, 7, 63, 64, 65, 200]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
    const { accesses } = await ops(importChampSimBatches(chunks));
    deepStrictEqual(accesses, LOADS_AND_STORES, `chunks of ${size} bytes`);
  }
});

Deno.test("ChampSimImporter.finish() warns about a record cut short", () => {
  const imp = new ChampSimImporter();
  imp.push(records(PROGRAM).subarray(0, CHAMPSIM_RECORD_SIZE + 10));
  imp.finish();
  equal(imp.stats.lines, 1);
  equal(imp.stats.warningList.length, 1);
  equal(imp.stats.warningList[0]!.line, 2);
  match(imp.stats.warningList[0]!.message, /last 10 bytes are not a whole 64-byte record/);
});

Deno.test("ChampSimImporter reuses its batches: a long trace streams in constant memory", () => {
  const imp = new ChampSimImporter({ batchSize: 256 });
  const chunk = records(Array.from({ length: 1000 }, (_, i) => ({
    ip: 0x400000n + BigInt(i),
    loads: [0x10000000n + BigInt(i * 4096)],
  })));
  const distinct = new Set<EventBatch>();
  let seen = 0;
  for (let k = 0; k < 20; k++) {
    imp.push(chunk);
    for (const b of imp.take()) {
      distinct.add(b);
      seen += b.length;
    }
  }
  imp.finish();
  for (const b of imp.take()) seen += b.length;
  equal(imp.stats.touches, 20_000);
  equal(seen, 20_000 + imp.stats.inferredAreas + 1);
  // 80 batches' worth of events went through no more than two takes' worth of batches.
  equal(distinct.size <= 10, true, `${distinct.size} batches`);
});

const xz = await toolRuns("xz");
const inCI = Boolean(Deno.env.get("CI"));
if (!xz && !inCI) {
  console.error(
    "champsim/importer_test.ts: xz not found, the .xz test is skipped (apt-get install xz-utils)",
  );
}

Deno.test({
  name: "fileChunks() decompresses .xz (xz -dc) and .gz traces for the ChampSim importer",
  ignore: !xz && !inCI,
  fn: async () => {
    if (!xz) throw new Error("xz is needed (apt-get install xz-utils) and CI is set");
    const dir = await Deno.makeTempDir();
    try {
      const raw = join(dir, "t.champsim");
      await Deno.writeFile(raw, records(PROGRAM));
      const x = await new Deno.Command("xz", { args: ["-k", raw] }).output();
      equal(x.success, true);
      const gz = join(dir, "t.champsim.gz");
      const zipped = new Response(
        new Blob([records(PROGRAM)]).stream().pipeThrough(new CompressionStream("gzip")),
      );
      await Deno.writeFile(gz, new Uint8Array(await zipped.arrayBuffer()));
      for (const f of [`${raw}.xz`, gz]) {
        const { accesses } = await ops(importChampSimBatches(fileChunks(f)));
        deepStrictEqual(accesses, LOADS_AND_STORES, f);
      }
      await Deno.writeFile(`${raw}.bad.xz`, new TextEncoder().encode("not xz"));
      let err = "";
      try {
        await ops(importChampSimBatches(fileChunks(`${raw}.bad.xz`)));
      } catch (e) {
        err = (e as Error).message;
      }
      match(err, /t\.champsim\.bad\.xz: Truncated or corrupt xz data: .*format/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
