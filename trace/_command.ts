/**
 * Reading another program's output as a stream of chunks: `xz -dc` for `.xz` inputs, `perf
 * script` for `perf.data` files. The program is killed when the reader stops early; when it
 * fails, its own message (standard error) goes into the error the caller makes. And whether a
 * tool runs at all.
 *
 * @module
 */

/**
 * Runs `bin ARGS...` and yields its standard output as it comes. When the program exits with a
 * failure status, throws `fail(code, stderr)`; when it cannot be started, `fail(-1, reason)`.
 *
 * @example
 * ```ts
 * import { commandOutput } from "./_command.ts";
 * let text = "";
 * const fail = (code: number, err: string) => new Error(`echo failed (${code}): ${err}`);
 * for await (const c of commandOutput("echo", ["hi"], fail)) text += new TextDecoder().decode(c);
 * if (text !== "hi\n") throw new Error(text);
 * ```
 */
export async function* commandOutput(
  bin: string,
  args: readonly string[],
  fail: (code: number, stderr: string) => Error,
): AsyncIterable<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(bin, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw fail(-1, e instanceof Deno.errors.NotFound ? `${bin} is not installed` : String(e));
  }
  const stderr = new Response(child.stderr).text().catch(() => "");
  let done = false;
  try {
    yield* child.stdout;
    done = true;
  } finally {
    if (!done) {
      // The reader stopped early (or failed): the program is not needed any more.
      try {
        child.kill();
      } catch { /* already gone */ }
      await child.status;
    }
  }
  const status = await child.status;
  if (!status.success) throw fail(status.code, (await stderr).trim());
}

/**
 * Whether `tool --version` runs and succeeds (the tool is installed and works here).
 *
 * @example
 * ```ts
 * import { toolRuns } from "./_command.ts";
 * if (await toolRuns("/nonexistent/tool")) throw new Error("found a tool that is not there");
 * ```
 */
export async function toolRuns(tool: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(tool, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false; // not installed
  }
}
