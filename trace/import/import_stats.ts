/**
 * What an import counts and reports: lines, events, warnings (with their line numbers) and the
 * error a malformed line raises.
 *
 * @module
 */

/** Warnings kept with their text; beyond this only the count grows. */
export const MAX_KEPT_WARNINGS = 1000;

/** One warning: a real but unusual line, or an operation partly on memory the trace never mapped. */
export interface ImportWarning {
  /** 1-based input line. */
  line: number;
  /** What was unusual about the line. */
  message: string;
}

/** Counts of one import. */
export interface ImportStats {
  /** Input lines read. */
  lines: number;
  /** Events produced. */
  events: number;
  /** System calls seen (complete or resumed). */
  syscalls: number;
  /** System calls the importer acted on. */
  handled: number;
  /** Calls that failed (`= -1 E...`), skipped. */
  failed: number;
  /** Signal lines (`--- SIG... ---`). */
  signals: number;
  /** Processes and threads created in the trace. */
  processes: number;
  /** Synthesized accesses (strace `--touch`) or accesses kept (lackey). */
  touches: number;
  /** Accesses dropped (lackey: instruction fetches not kept, coalesced repeats). */
  dropped: number;
  /** Areas created to cover accesses (lackey). */
  inferredAreas: number;
  /**
   * Calls (strace: mprotect, munmap, madvise, mlock, msync, mremap) wholly on memory the trace never
   * mapped, skipped: the program image, its loader, the stack and the vDSO that `execve` maps, or
   * areas from before the trace began. The call succeeded, so the memory was there; the trace
   * cannot show where. Every dynamically linked program has some (the loader's `mprotect` of its
   * RELRO pages), so they are counted here rather than warned about one by one.
   */
  outsideCalls: number;
  /** Things seen and deliberately not modelled, by kind (e.g. `madvise MADV_FREE`). */
  ignored: Record<string, number>;
  /** Number of warnings. */
  warnings: number;
  /** The first {@linkcode MAX_KEPT_WARNINGS} warnings. */
  warningList: ImportWarning[];
}

/** A fresh, zeroed {@linkcode ImportStats}. */
export function newImportStats(): ImportStats {
  return {
    lines: 0,
    events: 0,
    syscalls: 0,
    handled: 0,
    failed: 0,
    signals: 0,
    processes: 0,
    touches: 0,
    dropped: 0,
    inferredAreas: 0,
    outsideCalls: 0,
    ignored: {},
    warnings: 0,
    warningList: [],
  };
}

/** Counts a warning and keeps its text while fewer than {@linkcode MAX_KEPT_WARNINGS} are kept. */
export function recordWarning(stats: ImportStats, line: number, message: string): void {
  stats.warnings++;
  if (stats.warningList.length < MAX_KEPT_WARNINGS) stats.warningList.push({ line, message });
}

/**
 * A malformed input line: the message reads `FILE:LINE: message`.
 *
 * @example
 * ```ts
 * import { ImportError } from "./import_stats.ts";
 * const e = new ImportError("t.strace", 7, "expected a length");
 * if (e.message !== "t.strace:7: expected a length") throw new Error(e.message);
 * ```
 */
export class ImportError extends Error {
  /** The input's name. */
  readonly file: string;
  /** 1-based line, or 0 when the error is about the whole input. */
  readonly line: number;

  /** Makes the error for `file`, `line` (0: the whole input, `FILE: message`). */
  constructor(file: string, line: number, message: string) {
    super(`${file}${line > 0 ? `:${line}` : ""}: ${message}`);
    this.name = "ImportError";
    this.file = file;
    this.line = line;
  }
}
