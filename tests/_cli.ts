/**
 * Runs the command line as a user does, for the integration tests, or one command's `main` in
 * this process with its console output captured, for the commands' own tests.
 *
 * @module
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** `vmreplay ARGS...` in a child process: its exit code and what it printed. */
export async function vmreplay(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a command's `main(args)` in this process with console output captured. */
export async function captured(
  main: (args: string[]) => Promise<number>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await main(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}
