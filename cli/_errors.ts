/**
 * How the commands fail: exit codes, {@linkcode UsageError} (exit 2, with the command's usage
 * line) and {@linkcode InputError} (exit 1), and {@linkcode runCommand}, which turns a command's
 * errors into a message on stderr and its exit code.
 *
 * @module
 */

/** Exit codes: 0 success, 1 bad input, 2 usage error. */
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
    if (e instanceof UsageError || (e instanceof Error && e.name === "UsageError")) {
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
