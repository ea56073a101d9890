/**
 * `vmreplay stats TRACE`: what a trace holds — events by op, processes, address range, pages
 * touched — without replaying it.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { runCommand, UsageError } from "./_errors.ts";
import { Progress } from "./_progress.ts";
import { readTrace } from "../trace/read.ts";
import { type TraceStats, traceStats } from "../trace/stats.ts";
import { formatHeader } from "../trace/text/stringify.ts";
import { extensionOf } from "../trace/format.ts";
import { OPS } from "../trace/event.ts";

const HELP = `Usage: vmreplay stats TRACE [--json]

Reads a trace (any form) without replaying it and prints: events by op, processes, the address
range its mappings and accesses use, bytes mapped, and pages touched (distinct process/page pairs
loaded, stored or fetched, and distinct virtual pages whatever the process).

Options:
  --json      the figures as one JSON object
  -h, --help  this help
`;

function mib(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}

/** Formats stats as the human-readable report `stats` prints. */
export function formatStats(name: string, header: string, form: string, s: TraceStats): string {
  const ops = OPS.filter((o) => s.by_op[o] !== undefined);
  const width = Math.max(...ops.map((o) => String(s.by_op[o]).length), 1);
  const lines = [
    `trace        ${name} (${form})`,
    `header       ${header}`,
    `events       ${s.events}`,
    ...ops.map((o) => `  ${o.padEnd(9)}  ${String(s.by_op[o]).padStart(width)}`),
    `processes    ${s.processes}${
      s.pid_range ? ` (pids ${s.pid_range[0]}..${s.pid_range[1]})` : ""
    }`,
    `extent       ${s.extent ? `${s.extent.low} .. ${s.extent.high}` : "none"}`,
    `mapped       ${mib(s.mapped_bytes)} by ${s.by_op.mmap ?? 0} mmap`,
    `pages        ${s.pages_touched} touched (${mib(s.pages_touched * 4096)}): ` +
    `${s.pages_touched_by_op.r} read, ${s.pages_touched_by_op.w} written, ` +
    `${s.pages_touched_by_op.x} executed; ${s.virtual_pages_touched} distinct virtual pages`,
    `objects      ${s.objects}`,
    `marks        ${s.marks.length > 0 ? s.marks.join(", ") : "none"}`,
  ];
  return lines.join("\n");
}

/** Runs `vmreplay stats ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("stats", HELP, async () => {
    const parsed = parseCommand(
      { name: "stats", help: HELP, options: { json: { type: "boolean" } } },
      args,
    );
    if (!parsed) return 0;
    const [file, ...rest] = parsed.positionals;
    if (file === undefined) throw new UsageError("expected a TRACE file");
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const reader = await readTrace(file, { batchSize: 8192 });
    const progress = new Progress(`stats ${file}`);
    let s: TraceStats;
    try {
      s = await traceStats(
        reader.batches(),
        (n) => progress.update(`${n.toLocaleString("en-US")} events`),
      );
    } finally {
      progress.done();
    }
    const form = extensionOf(reader.format).slice(1);
    if (parsed.values.json) {
      console.log(
        JSON.stringify({ trace: file, format: form, header: reader.header, ...s }, null, 2),
      );
    } else {
      console.log(formatStats(file, formatHeader(reader.header), form, s));
    }
    return 0;
  });
}
