/**
 * `deno bench` figures for trace reading, on generated events held in memory: the streaming text
 * parser and the `.vmtb` decoder on 200 000 events, JSON Lines and CSV on 20 000 for comparison. For the
 * 10-million-event figures in the README, run `deno run -A bench/formats.ts`.
 *
 * ```sh
 * deno bench -A bench/parse_bench.ts
 * ```
 *
 * @module
 */
import { EventBatch } from "../trace/batch.ts";
import { TextParser } from "../trace/text/parser.ts";
import { readTraceBytes } from "../trace/read.ts";
import { writeTraceBatches } from "../trace/write.ts";
import type { TraceFormat } from "../trace/format.ts";
import { Rng } from "../trace/_rng.ts";

const N = 200_000;
/** JSON Lines and CSV go through zod per event: a tenth of the events keeps the run short. */
const N_SLOW = 20_000;

function generate(N: number): Uint8Array {
  const rng = new Rng(7);
  const rand = () => rng.next();
  const lines = ["vmtrace 1 mem=64M"];
  for (let p = 1; p <= 4; p++) {
    lines.push(`${p} mmap 0x${(0x7f0000000000 + p * 2 ** 28).toString(16)} 256M rw- private,anon`);
  }
  let p = 1, addr = 0x7f0000000000 + 2 ** 28;
  for (let i = 0; i < N; i++) {
    if (rand() < 0.02) p = 1 + Math.floor(rand() * 4);
    addr = 0x7f0000000000 + p * 2 ** 28 + Math.floor(rand() * 2 ** 20) * 8;
    const op = rand() < 0.6 ? "r" : rand() < 0.9 ? "w" : "x";
    lines.push(
      rand() < 0.5 ? `${p} ${op} 0x${addr.toString(16)} 8` : `${p} ${op} 0x${addr.toString(16)}`,
    );
  }
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

const text = generate(N);
const smallText = generate(N_SLOW);

async function encode(form: TraceFormat["form"], text: Uint8Array): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    const r = await readTraceBytes(text, { name: "b.vmt" });
    const ext = { text: "vmt", jsonl: "jsonl", csv: "csv", vmtb: "vmtb" }[form];
    await writeTraceBatches(`${dir}/b.${ext}`, r.header, r.batches());
    return await Deno.readFile(`${dir}/b.${ext}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const vmtb = await encode("vmtb", text);
const jsonl = await encode("jsonl", smallText);
const csv = await encode("csv", smallText);

async function readAll(bytes: Uint8Array, name: string, events: number): Promise<void> {
  const r = await readTraceBytes(bytes, { name, batchSize: 8192 });
  let n = 0;
  for await (const b of r.batches()) n += b.length;
  if (n !== events + 4) throw new Error(`read ${n} events, expected ${events + 4}`);
}

Deno.bench(`TextParser: ${N} r/w/x lines (${(text.length / 1e6).toFixed(1)} MB)`, {
  group: "read",
  baseline: true,
}, () => {
  const p = new TextParser("b.vmt");
  const b = new EventBatch(8192);
  p.push(text);
  while (p.fill(b)) b.clear();
  while (p.end(b)) b.clear();
});

Deno.bench(
  `readTraceBytes .vmtb: ${N} events (${(vmtb.length / 1e6).toFixed(1)} MB)`,
  { group: "read" },
  async () => {
    await readAll(vmtb, "b.vmtb", N);
  },
);

Deno.bench(
  `readTraceBytes .jsonl: ${N_SLOW} events (${(jsonl.length / 1e6).toFixed(1)} MB)`,
  { group: "read" },
  async () => {
    await readAll(jsonl, "b.jsonl", N_SLOW);
  },
);

Deno.bench(
  `readTraceBytes .csv: ${N_SLOW} events (${(csv.length / 1e6).toFixed(1)} MB)`,
  { group: "read" },
  async () => {
    await readAll(csv, "b.csv", N_SLOW);
  },
);
