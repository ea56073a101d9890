/**
 * Trace I/O benchmark: generates a synthetic trace of N events (default 10 million) in /tmp,
 * converts it to `.vmtb` once (which also warms up the text parser), then reads the two forms from
 * their files, as `run` does, in turn: text, vmtb, text, vmtb, ... (`--runs` pairs, default 5), so
 * that every `.vmtb` read has a text read next to it in time and both see about the same load on a
 * shared machine. It reports the streaming text parser (MB/s and events/s) and the `.vmtb` decoder
 * (events/s): the median and range of the reads, per second of the process's own CPU time (which
 * other jobs on the machine disturb less) and per wall second; the ratio of events per CPU second
 * of each pair (vmtb over text), its median and range; the sizes and the load average before and
 * after. All reads run in one process, so the first `.vmtb` read is cold (the JIT compiles the
 * decoder meanwhile) while the text parser is already warm from the conversion: the first pair is
 * the one least favourable to `.vmtb`. Run once:
 *
 *   deno run -A bench/formats.ts [--events N] [--runs R] [--dir /tmp] [--generate-only]
 *
 * Targets (issue #2): text parse >= 100 MB/s, binary decode >= 30 M events/s and at least 5 times
 * the text parser's events/s, .vmtb <= 1/3 of the text; the last line says which are met, by the
 * medians per CPU second (for the 5 times, the median of the pairs' ratios).
 *
 * @module
 */
import { benchArgs } from "./_args.ts";
import process from "node:process";
import { readTrace } from "../trace/read.ts";
import { writeTraceBatches } from "../trace/write.ts";
import { Rng } from "../trace/_rng.ts";

const USAGE =
  `Usage: deno run -A bench/formats.ts [--events N] [--runs N] [--dir DIR] [--generate-only]

Trace I/O: the text parser against the .vmtb decoder on a generated trace, read in turn.

  --events N       events in the trace (default 10000000)
  --runs N         pairs of reads (default 5)
  --dir DIR        where the traces are written (default /tmp)
  --generate-only  write the traces and stop`;

const values = benchArgs("bench/formats.ts", USAGE, {
  events: { type: "string", default: "10000000" },
  runs: { type: "string", default: "5" },
  dir: { type: "string", default: "/tmp" },
  "generate-only": { type: "boolean" },
});
const N = Number(values.events);
const RUNS = Number(values.runs);
/** Events in the trace: the swapon and the 16 mmaps that start it, then N. */
const EVENTS = N + 17;
if (!(Number.isInteger(N) && N >= 1 && Number.isInteger(RUNS) && RUNS >= 1)) {
  console.error(`formats.ts: --events and --runs take positive integers`);
  Deno.exit(2);
}
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
  const rng = new Rng(12345);
  const rand = () => rng.next();
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

const t0 = performance.now();
await generate();
console.log(`generated ${N} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const textSize = (await Deno.stat(text)).size;
if (values["generate-only"]) {
  console.log(`kept ${text}`);
  Deno.exit(0);
}

const loadBefore = Deno.loadavg();
const t1 = performance.now();
const r = await readTrace(text, { batchSize: 8192 });
await writeTraceBatches(bin, r.header, r.batches());
const convMs = performance.now() - t1;
const binSize = (await Deno.stat(bin)).size;
console.log(
  `text -> vmtb: ${(convMs / 1000).toFixed(2)} s (parse + encode); text ${
    (textSize / 2 ** 20).toFixed(0)
  } MiB, vmtb ${(binSize / 2 ** 20).toFixed(0)} MiB`,
);

const median = (xs: number[]) => {
  const s = xs.toSorted((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** Per second of CPU time and of wall time, a read at a time. */
const textCpu: number[] = [],
  textWall: number[] = [],
  binCpu: number[] = [],
  binWall: number[] = [];
/** The ratio of each pair: the vmtb read's events per CPU second over its text read's. */
const ratios: number[] = [];
for (let k = 0; k < RUNS; k++) {
  const t = await timeRead(text);
  const b = await timeRead(bin);
  if (t.events !== EVENTS || b.events !== EVENTS) {
    throw new Error(
      `read ${t.events} events from the text, ${b.events} from vmtb: expected ${EVENTS}`,
    );
  }
  textCpu.push(EVENTS / (t.cpuMs / 1000));
  textWall.push(EVENTS / (t.ms / 1000));
  binCpu.push(EVENTS / (b.cpuMs / 1000));
  binWall.push(EVENTS / (b.ms / 1000));
  ratios.push(t.cpuMs / b.cpuMs);
}
const mb = (events: number) => `${(events * textSize / EVENTS / 1e6).toFixed(0)} MB/s`;
const mev = (x: number) => `${(x / 1e6).toFixed(1)} M events/s`;
const times = (x: number) => `${x.toFixed(1)}x`;
const show = (xs: number[], fmt: (x: number) => string) =>
  `median ${fmt(median(xs))}, range ${fmt(Math.min(...xs))} to ${fmt(Math.max(...xs))}`;
console.log(
  `text parse (${(textSize / 2 ** 20).toFixed(0)} MiB), ${RUNS} reads (${
    textCpu.map(mb).join(", ")
  } per CPU second):\n` +
    `  per CPU second:  ${show(textCpu, mb)}; in events ${show(textCpu, mev)}\n` +
    `  per wall second: ${show(textWall, mb)}`,
);
console.log(
  `vmtb decode (${(binSize / 2 ** 20).toFixed(0)} MiB), ${RUNS} reads (${
    binCpu.map(mev).join(", ")
  } per CPU second):\n` +
    `  per CPU second:  ${show(binCpu, mev)}\n  per wall second: ${show(binWall, mev)}`,
);
const speedup = median(ratios);
console.log(
  `vmtb: ${(binSize / EVENTS).toFixed(2)} bytes/event, 1/${
    (textSize / binSize).toFixed(1)
  } of the text; events per CPU second over the text parser's, read by read (${
    ratios.map(times).join(", ")
  }): ${show(ratios, times)}`,
);
const avg = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
console.log(`load average (1, 5, 15 min): before ${avg(loadBefore)}, after ${avg(Deno.loadavg())}`);
const met = (ok: boolean) => (ok ? "met" : "NOT met");
console.log(
  `targets (medians per CPU second): text >= 100 MB/s ${
    met(median(textCpu) * textSize / EVENTS >= 100e6)
  }; ` +
    `vmtb >= 30 M events/s ${met(median(binCpu) >= 30e6)}; >= 5x text (median of the pairs) ${
      met(speedup >= 5)
    }; <= 1/3 of the text ${met(binSize * 3 <= textSize)}`,
);
await Deno.remove(dir, { recursive: true });
