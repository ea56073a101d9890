/**
 * Shared plumbing for the command-line commands: argument parsing with `--help`, usage errors
 * (exit 2), bad-input errors (exit 1), atomic output files and progress on stderr.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { formatFromName } from "../trace/format.ts";

/** Exit codes (SPEC.md): 0 success, 1 bad input, 2 usage error. */
export const EXIT = { ok: 0, badInput: 1, usage: 2 } as const;

/** A mistake in how a command was called; reported with the command's usage, exit 2. */
export class UsageError extends Error {
  /** Makes a usage error with a message that says what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Bad input data (a malformed trace, a missing file); reported as is, exit 1. */
export class InputError extends Error {
  /** Makes an input error; the message should name the file (and line and column if known). */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

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

/** Runs a command body, turning its errors into messages on stderr and an exit code. */
export async function runCommand(
  name: string,
  help: string,
  body: () => Promise<number | void>,
): Promise<number> {
  try {
    return (await body()) ?? EXIT.ok;
  } catch (e) {
    // Standard output closed by its reader (`vmreplay ... | head -1`): nothing more to say to
    // anyone, and not a failure, as for the shell's own tools.
    if (e instanceof Deno.errors.BrokenPipe) return EXIT.ok;
    if (e instanceof UsageError) {
      console.error(`vmreplay ${name}: ${e.message}`);
      console.error(help.split("\n").find((l) => l.trim().startsWith("Usage")) ?? "");
      console.error(`Run 'vmreplay ${name} --help' for more.`);
      return EXIT.usage;
    }
    if (e instanceof InputError || (e instanceof Error && e.name === "TraceError")) {
      console.error(e.message);
      return EXIT.badInput;
    }
    if (isFileSystemError(e)) {
      // A file that is missing, a directory, unwritable, ...: bad input, not a crash.
      console.error(`vmreplay ${name}: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    throw e;
  }
}

/**
 * Whether `e` is an operating-system error from file access: one of `Deno.errors` (NotFound,
 * PermissionDenied, IsADirectory, NotADirectory, ...) or a `node:fs` error with an `E...` code.
 */
export function isFileSystemError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (Object.values(Deno.errors).some((cls) => e instanceof cls)) return true;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
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
 * Parses a size with an optional binary suffix (`64K`, `1M`, `2G`, `4096`, `0x1000`).
 * Throws {@linkcode UsageError} naming `what` when it is not a size.
 */
export function parseSize(text: string, what: string): number {
  const m = /^(0x[0-9a-fA-F]+|\d+)([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a size like 64M, 1G or 4096, found '${text}'`);
  const n = Number(m[1]);
  const mult = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase()]!;
  return n * mult;
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

/**
 * Writes `data` to `path` atomically: to a temporary file beside it, then renamed over it, so a
 * reader never sees a half-written file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${Date.now()}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    // Name the file asked for, not the temporary one.
    if (e instanceof Error) {
      e.message = `${path}: cannot write: ${e.message.replace(/(\(os error \d+\)): .*$/s, "$1")}`;
    }
    throw e;
  }
}

/**
 * Writes a command's output file: `-` is standard output, anything else is written with
 * {@linkcode writeFileAtomic}.
 */
export async function writeOutput(path: string, data: string): Promise<void> {
  if (path === "-") {
    await writeStdout(data.endsWith("\n") ? data : data + "\n");
  } else {
    await writeFileAtomic(path, data);
  }
}

/**
 * `n` and the word for it, singular for 1: `counted(1, "warning")` is `1 warning`,
 * `counted(2, "warning")` `2 warnings` (`plural` when it is not the word plus `s`).
 *
 * @example
 * ```ts
 * import { counted } from "./_cli.ts";
 * if (counted(1, "warning") + ", " + counted(0, "process", "processes") !== "1 warning, 0 processes") {
 *   throw new Error("counted");
 * }
 * ```
 */
export function counted(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}

/** Writes all of `data` to standard output (`Deno.stdout.write` may take only part of it). */
export async function writeStdout(data: string | Uint8Array): Promise<void> {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
}

/**
 * A progress line on stderr, shown only when stderr is a terminal, rate-limited to a few updates a
 * second. Call `done()` to clear it.
 */
export class Progress {
  #enabled: boolean;
  #last = 0;
  #label: string;
  #enc = new TextEncoder();

  /** Makes a progress reporter prefixed with `label`. */
  constructor(label: string, enabled = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#enabled = enabled;
  }

  /** Shows `text` if at least 200 ms passed since the last update. */
  update(text: string): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 200) return;
    this.#last = now;
    Deno.stderr.writeSync(this.#enc.encode(`\r\x1b[2K${this.#label}: ${text}`));
  }

  /** Clears the progress line. */
  done(): void {
    if (this.#enabled) Deno.stderr.writeSync(this.#enc.encode("\r\x1b[2K"));
  }
}
