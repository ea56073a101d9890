/**
 * Trace I/O benchmark: generates a synthetic trace of N events (default 10 million) in /tmp,
 * then measures the streaming text parser (MB/s), the `.vmtb` encoder and decoder (events/s) and
 * the size of each form. Run once:
 *
 *   deno run -A bench/formats.ts [--events N] [--dir /tmp] [--generate-only]
 *
 * Targets: text parse >= 100 MB/s, binary decode >= 30 M events/s, .vmtb <= 1/3 of the text.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { readTrace } from "../trace/read.ts";
import { writeTraceBatches } from "../trace/write.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "10000000" },
    dir: { type: "string", default: "/tmp" },
    "generate-only": { type: "boolean" },
  },
});
const N = Number(values.events);
const dir = `${values.dir}/vmreplay-bench-${Deno.pid}`;
await Deno.mkdir(dir, { recursive: true });
const text = `${dir}/bench.vmt`;
const bin = `${dir}/bench.vmtb`;

/**
 * A workload-like mix: 16 processes in time slices, 99.9 % loads, stores and fetches near each
 * process's last address (90 % within 512 bytes, 10 % anywhere in its 256 MiB), some madvise and
 * mark events.
 */
async function generate(): Promise<void> {
  const file = await Deno.open(text, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const base: number[] = [];
  let out = "vmtrace 1 mem=1G swap=4G\n- swapon swap0 4G\n";
  for (let p = 1; p <= 16; p++) {
    base[p] = 0x7f0000000000 + p * 0x10000000;
    out += `${p} mmap 0x${base[p]!.toString(16)} 256M rw- private,anon\n`;
  }
  const cursor = base.slice();
  let p = 1;
  for (let i = 0; i < N; i++) {
    // processes take turns in time slices of about 50 events, as a scheduler interleaves them
    if (rand() < 0.02) p = 1 + Math.floor(rand() * rand() * 16);
    const r = rand();
    if (r < 0.001) {
      out += `${p} madvise 0x${base[p]!.toString(16)} 64K dontneed\n`;
    } else if (r < 0.0012) {
      out += `- mark phase${i}\n`;
    } else {
      const jump = rand() < 0.9 ? Math.floor(rand() * 64) * 8 : Math.floor(rand() * 65536) * 4096;
      cursor[p] = base[p]! + ((cursor[p]! - base[p]! + jump) % (256 * 2 ** 20));
      const op = r < 0.6 ? "r" : r < 0.9 ? "w" : "x";
      out += rand() < 0.5
        ? `${p} ${op} 0x${cursor[p]!.toString(16)} 8\n`
        : `${p} ${op} 0x${cursor[p]!.toString(16)}\n`;
    }
    if (out.length > 1 << 20) {
      await file.write(enc.encode(out));
      out = "";
    }
  }
  await file.write(enc.encode(out));
  file.close();
}

/** Wall time and CPU time (user + system) of reading a whole trace. */
async function timeRead(path: string): Promise<{ ms: number; cpuMs: number; events: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await readTrace(path, { batchSize: 8192 });
  let events = 0, check = 0;
  for await (const b of r.batches()) {
    events += b.length;
    check += b.page[b.length - 1]!;
  }
  if (!(check > 0)) throw new Error("nothing read");
  const cpu = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, events };
}

let t0 = performance.now();
await generate();
console.log(`generated ${N} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const textSize = (await Deno.stat(text)).size;
if (values["generate-only"]) {
  console.log(`kept ${text}`);
  Deno.exit(0);
}

const tp = await timeRead(text);
const mbs = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const meps = (events: number, ms: number) => (events / 1e6 / (ms / 1000)).toFixed(1);
console.log(
  `text parse:    ${(textSize / 2 ** 20).toFixed(0)} MiB, ${tp.events} events in ` +
    `${(tp.ms / 1000).toFixed(2)} s: ${mbs(textSize, tp.ms)} MB/s wall, ` +
    `${mbs(textSize, tp.cpuMs)} MB/s per CPU second; ${meps(tp.events, tp.cpuMs)} M events/CPU s`,
);

t0 = performance.now();
const r = await readTrace(text, { batchSize: 8192 });
await writeTraceBatches(bin, r.header, r.batches());
const convMs = performance.now() - t0;
const binSize = (await Deno.stat(bin)).size;
console.log(
  `text -> vmtb:  ${(convMs / 1000).toFixed(2)} s (parse + encode); vmtb is ${
    (binSize / 2 ** 20).toFixed(0)
  } MiB = 1/${(textSize / binSize).toFixed(1)} of the text, ${
    (binSize / tp.events).toFixed(2)
  } bytes/event`,
);

const bp = await timeRead(bin);
console.log(
  `vmtb decode:   ${bp.events} events in ${(bp.ms / 1000).toFixed(2)} s: ` +
    `${meps(bp.events, bp.ms)} M events/s wall, ${meps(bp.events, bp.cpuMs)} M events per CPU ` +
    `second (${mbs(binSize, bp.cpuMs)} MB/CPU s)`,
);
console.log(`load average during the run: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
if (bp.events !== tp.events) throw new Error(`event counts differ: ${tp.events} vs ${bp.events}`);
await Deno.remove(dir, { recursive: true });
