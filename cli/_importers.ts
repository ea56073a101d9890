/**
 * What `import` and `capture` share: the `--touch` option, and an strace or lackey log imported
 * from a file into a trace file.
 *
 * @module
 */
import type { TraceHeader } from "../trace/event.ts";
import { writeTrace, writeTraceBatches } from "../trace/write.ts";
import { importStrace, TOUCH_MODES, type TouchMode } from "../trace/import/strace/importer.ts";
import { importLackeyBatches } from "../trace/import/lackey/importer.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";
import { fileChunks } from "../trace/_io.ts";
import { readLines } from "../trace/_lines.ts";
import { UsageError } from "./_errors.ts";
import type { Progress } from "./_progress.ts";

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
 * with `header` (its `extra` says the source and touch mode); returns the importer's counts.
 */
export async function importStraceFile(
  input: string,
  output: string,
  header: TraceHeader,
  opts: Parameters<typeof importStrace>[1],
): Promise<ImportStats> {
  let stats: ImportStats | undefined;
  header.extra = { source: "strace", touch: opts?.touch ?? "populate" };
  await writeTrace(
    output,
    header,
    importStrace(readLines(fileChunks(input)), { ...opts, stats: (s) => stats = s }),
  );
  return stats!;
}

/**
 * Imports the lackey log `input` into the trace `output` with `header`, showing how much is read on
 * `progress`; returns the importer's counts.
 */
export async function importLackeyFile(
  input: string,
  output: string,
  header: TraceHeader,
  opts: Parameters<typeof importLackeyBatches>[1],
  progress?: Progress,
): Promise<ImportStats> {
  let stats: ImportStats | undefined;
  header.extra = { source: "lackey" };
  let bytes = 0;
  async function* chunks(): AsyncIterable<Uint8Array> {
    for await (const c of fileChunks(input)) {
      bytes += c.length;
      progress?.update(`${(bytes / 1e6).toFixed(0)} MB read`);
      yield c;
    }
  }
  await writeTraceBatches(
    output,
    header,
    importLackeyBatches(chunks(), { ...opts, stats: (s) => stats = s }),
  );
  return stats!;
}
