/**
 * {@linkcode TraceFormat}: the four forms of a trace and whether it is gzip-compressed, chosen by
 * the file name's extension.
 *
 * @module
 */
import { TraceError } from "./error.ts";

/** The forms a trace can take: vmtrace text, JSON Lines, CSV, or the binary `.vmtb`. */
export type TraceForm = "text" | "jsonl" | "csv" | "vmtb";

/** How a trace file is encoded. */
export interface TraceFormat {
  /** The form. */
  form: TraceForm;
  /** Whether the bytes are gzip-compressed (`.gz`). */
  gzip: boolean;
}

/** File extension of each form (without `.gz`). */
export const FORM_EXTENSIONS: Record<TraceForm, string> = {
  text: ".vmt",
  jsonl: ".jsonl",
  csv: ".csv",
  vmtb: ".vmtb",
};

/**
 * Chooses the format from a file name: `.vmt`, `.jsonl`, `.csv` or `.vmtb`, each optionally
 * followed by `.gz`. Throws {@linkcode TraceError} naming the file for any other extension.
 *
 * @example
 * ```ts
 * import { formatFromName } from "./format.ts";
 * const f = formatFromName("runs/app.vmtb.gz");
 * if (f.form !== "vmtb" || !f.gzip) throw new Error("format");
 * ```
 */
export function formatFromName(name: string): TraceFormat {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith(".gz");
  const base = gzip ? lower.slice(0, -3) : lower;
  for (const [form, ext] of Object.entries(FORM_EXTENSIONS) as [TraceForm, string][]) {
    if (base.endsWith(ext)) return { form, gzip };
  }
  throw new TraceError(
    name,
    0,
    0,
    "Unknown trace file extension: expected .vmt, .jsonl, .csv or .vmtb, each optionally " +
      "followed by .gz",
  );
}

/**
 * The extension for a format, e.g. `.csv.gz`.
 *
 * @example
 * ```ts
 * import { extensionOf } from "./format.ts";
 * if (extensionOf({ form: "text", gzip: true }) !== ".vmt.gz") throw new Error("ext");
 * ```
 */
export function extensionOf(format: TraceFormat): string {
  return FORM_EXTENSIONS[format.form] + (format.gzip ? ".gz" : "");
}
