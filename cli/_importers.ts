/**
 * What `import` and `capture` share: the `--touch` option, an strace, lackey, perf or ChampSim
 * trace imported from a file into a trace file, and the notes and warnings they print after their
 * summary.
 *
 * @module
 */
import type { TraceHeader } from "../trace/event.ts";
import type { EventBatch } from "../trace/batch.ts";
import { writeTrace, writeTraceBatches } from "../trace/write.ts";
import { importStrace, TOUCH_MODES, type TouchMode } from "../trace/import/strace/importer.ts";
import { importLackeyBatches } from "../trace/import/lackey/importer.ts";
import { importPerfBatches } from "../trace/import/perf/importer.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";
import { fileChunks } from "../trace/_io.ts";
import { readLines } from "../trace/_lines.ts";
import { findPerf, isPerfData, perfScriptChunks } from "../trace/import/perf/command.ts";
import { InputError, UsageError } from "./_errors.ts";
import { counted } from "./_output.ts";
import type { Progress } from "./_progress.ts";

/** The options `import` and `capture` share (the trace written, its header, what is said). */
export const IMPORT_OPTIONS = {
  output: { type: "string", short: "o" },
  mem: { type: "string" },
  touch: { type: "string" },
  "no-instr": { type: "boolean" },
  coalesce: { type: "boolean" },
  warnings: { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

/** The value of `--touch` (default `populate`); throws {@linkcode UsageError} for another. */
export function parseTouch(text: string | undefined): TouchMode {
  const touch = (text ?? "populate") as TouchMode;
  if (!TOUCH_MODES.includes(touch)) {
    throw new UsageError(`--touch: expected none, populate or all, found '${text}'`);
  }
  return touch;
}

/**
 * Imports the strace log `input` (`-`: standard input; `.gz` decompressed) into the trace `output`
 * with `header` (its `extra` says the source and touch mode, before the settings it holds);
 * returns the importer's counts.
 */
export async function importStraceFile(
  input: string,
  output: string,
  header: TraceHeader,
  opts: Parameters<typeof importStrace>[1],
): Promise<ImportStats> {
  let stats: ImportStats | undefined;
  header.extra = { source: "strace", touch: opts?.touch ?? "populate", ...header.extra };
  await writeTrace(
    output,
    header,
    importStrace(readLines(fileChunks(input), input), { ...opts, stats: (s) => stats = s }),
  );
  return stats!;
}

/**
 * Imports the lackey log `input` into the trace `output` with `header`, showing how much is read on
 * `progress`; returns the importer's counts.
 */
export function importLackeyFile(
  input: string,
  output: string,
  header: TraceHeader,
  opts: Parameters<typeof importLackeyBatches>[1],
  progress?: Progress,
): Promise<ImportStats> {
  return importBatches(
    fileChunks(input),
    output,
    header,
    "lackey",
    (chunks, stats) => importLackeyBatches(chunks, { ...opts, stats }),
    progress,
  );
}

/** The value of `--warnings N` (default 10), the warnings to print; throws {@linkcode UsageError}. */
export function warningsToShow(text: string | undefined): number {
  if (text === undefined) return 10;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--warnings: expected a count, found '${text}'`);
  }
  return n;
}

/**
 * The lines printed after an import's summary: what was not modelled, the calls on memory the trace
 * never mapped (counted, not warned), then the first `show` warnings as `INPUT:LINE: warning:
 * message` and how many more there are.
 *
 * @example
 * ```ts
 * import { importNotes } from "./_importers.ts";
 * import { newImportStats, recordWarning } from "../trace/import/import_stats.ts";
 * const s = newImportStats();
 * s.outsideCalls = 2;
 * recordWarning(s, 7, "one");
 * recordWarning(s, 9, "two");
 * const lines = importNotes("a.strace", s, 1);
 * if (lines.length !== 3 || lines[1] !== "a.strace:7: warning: one" || !lines[2]!.startsWith("... 1 more warning ")) {
 *   throw new Error(lines.join("\n"));
 * }
 * ```
 */
export function importNotes(input: string, s: ImportStats, show: number): string[] {
  const out: string[] = [];
  const ignored = Object.entries(s.ignored);
  if (ignored.length > 0) {
    out.push(`not modelled: ${ignored.map(([k, n]) => `${k} x${n}`).join(", ")}`);
  }
  if (s.outsideCalls > 0) {
    out.push(
      `skipped: ${
        counted(s.outsideCalls, "call")
      } wholly on memory the trace never mapped (the program ` +
        "image, loader and stack execve maps, or areas from before the trace)",
    );
  }
  for (const w of s.warningList.slice(0, show)) {
    out.push(`${input}:${w.line}: warning: ${w.message}`);
  }
  if (s.warnings > show && show > 0) {
    out.push(
      `... ${
        counted(s.warnings - show, "more warning", "more warnings")
      } (--warnings N shows more)`,
    );
  }
  return out;
}

/**
 * Imports the perf recording `input` into the trace `output` with `header`, showing how much is
 * read on `progress`; returns the importer's counts. `input` is `perf script` output, or a
 * perf.data file, which `perf script` then reads (a `PerfError` when it fails).
 */
export async function importPerfFile(
  input: string,
  output: string,
  header: TraceHeader,
  opts: Parameters<typeof importPerfBatches>[1],
  progress?: Progress,
): Promise<ImportStats> {
  let chunks = fileChunks(input);
  if (await isPerfData(input)) {
    const perf = await findPerf();
    if (perf === null) {
      throw new InputError(
        `${input} is a perf.data file: reading it needs perf (Debian: apt-get install ` +
          `linux-perf), or give the output of 'perf script' (docs/importing.md) instead`,
      );
    }
    chunks = perfScriptChunks(perf, input);
  }
  return await importBatches(
    chunks,
    output,
    header,
    "perf",
    (c, stats) => importPerfBatches(c, { ...opts, stats }),
    progress,
  );
}

/**
 * Writes into the trace `output`, with `header`, the batches an importer makes of `chunks`
 * (`batches`, handed where to report its counts), showing how much is read on `progress`; the
 * header's `extra` says the `source` before the settings it holds. Returns the importer's counts.
 */
export async function importBatches(
  chunks: AsyncIterable<Uint8Array>,
  output: string,
  header: TraceHeader,
  source: string,
  batches: (
    chunks: AsyncIterable<Uint8Array>,
    stats: (s: ImportStats) => void,
  ) => AsyncIterable<EventBatch>,
  progress?: Progress,
): Promise<ImportStats> {
  let counts: ImportStats | undefined;
  header.extra = { source, ...header.extra };
  await writeTraceBatches(
    output,
    header,
    batches(withProgress(chunks, progress), (s) => counts = s),
  );
  return counts!;
}

/** `chunks`, showing the megabytes read so far on `progress`. */
async function* withProgress(
  chunks: AsyncIterable<Uint8Array>,
  progress: Progress | undefined,
): AsyncIterable<Uint8Array> {
  if (!progress) {
    yield* chunks;
    return;
  }
  let bytes = 0;
  for await (const c of chunks) {
    bytes += c.length;
    progress.update(`${(bytes / 1e6).toFixed(0)} MB read`);
    yield c;
  }
}
