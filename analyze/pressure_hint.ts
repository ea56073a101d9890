/**
 * The hint `run` prints when no strategy reclaimed a page: the strategies then differ only in what
 * fork and mapping cost, because reclaim, the only user of the reverse maps, never ran. It names
 * the trace's footprint (its distinct process/page pairs touched, as `sweep` counts it) and the
 * commands that put the trace under memory pressure.
 *
 * @module
 */
import type { RunResult } from "./result.ts";
import { formatBytes } from "./report.ts";

const PAGE = 4096;
/** The smallest `--mem` a replay takes: 16 pages. */
const MIN_MEM = 16 * PAGE;

/**
 * Whether no strategy of `run` reclaimed a page or wrote one to swap: reclaim never ran, and the
 * reverse maps were never walked to find a page's mappings.
 *
 * @example
 * ```ts
 * import { reclaimedNothing } from "./pressure_hint.ts";
 * const at = (n: number) => ({ counters: { pages_reclaimed: n, swap_out_pages: 0 } });
 * if (!reclaimedNothing({ results: { a: at(0), b: at(0) } })) throw new Error("none reclaimed");
 * if (reclaimedNothing({ results: { a: at(0), b: at(3) } })) throw new Error("b reclaimed");
 * ```
 */
export function reclaimedNothing(
  run: { results: Readonly<Record<string, { counters: Readonly<Record<string, number>> }>> },
): boolean {
  const results = Object.values(run.results);
  return results.length > 0 &&
    results.every((r) =>
      (r.counters.pages_reclaimed ?? 0) === 0 && (r.counters.swap_out_pages ?? 0) === 0
    );
}

/** `bytes` rounded down to a size `--mem` reads back (`428K`, `12M`), at least 64K. */
function memBelow(bytes: number): number {
  const unit = bytes >= 16 * 2 ** 20 ? 2 ** 20 : 2 ** 10;
  return Math.max(MIN_MEM, Math.floor(bytes / unit) * unit);
}

/** `bytes` rounded up to whole KiB, or MiB from 16 MiB on. */
function sizeAbove(bytes: number): number {
  const unit = bytes >= 16 * 2 ** 20 ? 2 ** 20 : 2 ** 10;
  return Math.max(unit, Math.ceil(bytes / unit) * unit);
}

/** `arg` as a shell reads it back: as is when it has no special characters, else single-quoted. */
function shellWord(arg: string): string {
  return /^[\w./@%+=:,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * The hint after a run that reclaimed nothing (see {@linkcode reclaimedNothing}), as lines: the
 * footprint of the trace (`footprint` bytes, its distinct process/page pairs touched) against the
 * machine's memory, a `run --mem` at half the footprint (with `--swap` if the machine had none)
 * and a `sweep` over 25% to 100% of it. Empty when something was reclaimed or nothing touched.
 *
 * @example
 * ```ts
 * import { noReclaimHint } from "./pressure_hint.ts";
 * const run = {
 *   trace: "ls.vmt",
 *   machine: { mem: 2 ** 30, swap: 0, page: 4096, tlb_entries: 64 },
 *   results: { scan: { counters: { pages_reclaimed: 0, swap_out_pages: 0, rss_peak_pages: 250 } } },
 * };
 * const lines = noReclaimHint(run, 200 * 4096, "ls.vmt");
 * if (!lines.some((l) => l.includes("vmreplay run ls.vmt --mem 400K --swap 800K"))) {
 *   throw new Error(lines.join("\n"));
 * }
 * ```
 */
export function noReclaimHint(
  run: Pick<RunResult, "machine"> & {
    results: Readonly<Record<string, { counters: Readonly<Record<string, number>> }>>;
  },
  footprint: number,
  trace: string,
): string[] {
  if (!reclaimedNothing(run) || footprint <= 0) return [];
  const pages = Math.round(footprint / PAGE);
  const mem = run.machine.mem;
  const peak = Math.max(
    0,
    ...Object.values(run.results).map((r) => r.counters.rss_peak_pages ?? 0),
  ) * PAGE;
  const fits = footprint <= mem
    ? `fits in mem ${formatBytes(mem)}`
    : `is more than mem ${formatBytes(mem)}, but no more than ${
      formatBytes(sizeAbove(peak))
    } was resident at once`;
  // Below what was needed at once: half the footprint, or of the peak when that is less.
  const needed = Math.min(footprint, peak > 0 ? peak : footprint);
  const head = `No strategy reclaimed a page: the trace's footprint, ${pages} pages ` +
    `(${formatBytes(sizeAbove(footprint))}, its distinct process/page pairs touched), ${fits}`;
  if (needed / 2 < MIN_MEM) {
    return wrap(
      `${head}, and in the smallest memory a replay takes (${formatBytes(MIN_MEM)}), so ` +
        `reclaim never ran and no reverse map was walked. The designs differ under memory ` +
        `pressure: force it with reclaim or madvise pageout events (docs/trace-format.md), or ` +
        `replay a larger workload (vmreplay gen --list).`,
    );
  }
  const target = memBelow(needed / 2);
  const swap = run.machine.swap > 0 ? "" : ` --swap ${formatBytes(sizeAbove(footprint))}`;
  const t = shellWord(trace);
  return [
    ...wrap(
      `${head}, so reclaim never ran and no reverse map was walked. The designs differ under ` +
        `memory pressure: replay with less memory than the footprint,`,
    ),
    `  vmreplay run ${t} --mem ${formatBytes(target)}${swap}`,
    "or see how each cost grows as memory shrinks:",
    `  vmreplay sweep ${t} --mem 25%..100%:4${swap}`,
  ];
}

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}
