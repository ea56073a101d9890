/**
 * A command's arguments: {@linkcode parseCommand} parses them with `--help`,
 * {@linkcode positiveWhole} reads a count, and {@linkcode checkTraceFiles} and
 * {@linkcode checkTraceOutputName} check the input traces and an output trace's name before any
 * work.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { formatFromName } from "../trace/format.ts";
import { InputError, UsageError } from "./_errors.ts";
import { KNOBS, parseKnobAssignments, type VmKnobs } from "../uapi/knobs.ts";

/** How a command describes itself: parsed options, and the text `--help` prints. */
export interface CommandSpec<O extends NonNullable<ParseArgsConfig["options"]>> {
  /** `vmreplay NAME`. */
  name: string;
  /** Full help text: usage line, description, options. */
  help: string;
  /** Options as `node:util` `parseArgs` takes them (`help` is added). */
  options: O;
  /** Whether positional arguments are allowed (default true). */
  positionals?: boolean;
}

/**
 * Parses `args` for a command. Prints help and returns `undefined` for `--help`; throws
 * {@linkcode UsageError} for unknown options or bad values.
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(
  spec: CommandSpec<O>,
  args: string[],
) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      allowPositionals: spec.positionals ?? true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(
      (e as Error).message
        .replace(/^TypeError \[[A-Z_]+\]: /, "")
        // node:util's advice about '--' after an unknown option only confuses here: drop it.
        .replace(/\. To specify a positional argument starting with a '-'.*$/s, ""),
    );
  }
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(spec.help.trimEnd());
    return undefined;
  }
  return parsed;
}

/**
 * Checks, before any work, that `path` names a trace form by its extension (`.vmt`, `.jsonl`,
 * `.csv`, `.vmtb`, each optionally `.gz`); throws {@linkcode UsageError} (exit 2) if not.
 */
export function checkTraceOutputName(path: string): void {
  try {
    formatFromName(path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The value of option `name`, a positive whole number, or undefined when it was not given.
 * Throws {@linkcode UsageError} for anything else.
 */
export function positiveWhole(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${name}: expected a positive whole number, found '${text}'`);
  }
  return n;
}

/**
 * The kernel settings of repeated `--vm NAME=VALUE` options (none: an empty set). Throws
 * {@linkcode UsageError} naming `--vm` for a setting that is unknown or out of its range.
 */
export function vmOption(assignments: readonly string[] | undefined): Partial<VmKnobs> {
  try {
    return parseKnobAssignments(assignments ?? []);
  } catch (e) {
    throw new UsageError(`--vm: ${(e as Error).message}`);
  }
}

/** The most TLB entries `--tlb` takes (32 MiB of entries). */
export const MAX_TLB_ENTRIES = 1 << 20;

/**
 * The value of a `--tlb N` option (named `name`): the TLB's entries, 1 to
 * {@linkcode MAX_TLB_ENTRIES}, or undefined when it was not given. Throws
 * {@linkcode UsageError} for anything else.
 */
export function tlbEntries(text: string | undefined, name: string): number | undefined {
  const n = positiveWhole(text, name);
  if (n !== undefined && n > MAX_TLB_ENTRIES) {
    throw new UsageError(`${name}: expected 1 to ${MAX_TLB_ENTRIES} entries, found '${text}'`);
  }
  return n;
}

/**
 * Checks, before any work, that every trace is a regular file that can be read; throws
 * {@linkcode InputError} naming the first that is not.
 */
export async function checkTraceFiles(traces: readonly string[]): Promise<void> {
  for (const t of traces) {
    try {
      const st = await Deno.stat(t);
      if (!st.isFile) throw new Error("not a regular file");
    } catch (e) {
      throw new InputError(`${t}: cannot read the trace: ${(e as Error).message}`);
    }
  }
}

/** The kernel settings' names for --help, wrapped at 100 columns under the option's text. */
export function knobList(): string {
  const pad = " ".repeat(25);
  const lines: string[] = [];
  let line = pad;
  for (const [i, k] of KNOBS.entries()) {
    const word = k.name + (i < KNOBS.length - 1 ? "," : "; see docs/machine.md");
    if (line.length + word.length + 1 > 100 && line !== pad) {
      lines.push(line.trimEnd());
      line = pad;
    }
    line += (line === pad ? "" : " ") + word;
  }
  lines.push(line);
  return lines.join("\n");
}
