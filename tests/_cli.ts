/**
 * Runs the command line as a user does, for the integration tests.
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
