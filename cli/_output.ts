/**
 * A command's output: files written atomically (temporary file, then rename), `-` for standard
 * output, all of it written even when the pipe takes it in parts, and counted words.
 *
 * @module
 */
import { createTemp, dirOf, sweepStaleTemps } from "../trace/tempfiles.ts";

/**
 * Writes `data` to `path` atomically: to a temporary file beside it, then renamed over it, so a
 * reader never sees a half-written file (`trace/tempfiles.ts`: a writer killed meanwhile leaves a
 * temporary file that the next write into the directory removes).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await sweepStaleTemps(dirOf(path));
  let temp: { tmp: string; release: () => void } | undefined;
  try {
    // Locked until renamed (trace/tempfiles.ts): a sweeper elsewhere leaves it alone.
    temp = await createTemp(path);
    const tmp = temp.tmp;
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    if (temp !== undefined) await Deno.remove(temp.tmp).catch(() => {});
    // Name the file asked for, not the temporary one.
    if (e instanceof Error) {
      e.message = `${path}: cannot write: ${e.message.replace(/(\(os error \d+\)): .*$/s, "$1")}`;
    }
    throw e;
  } finally {
    temp?.release();
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

/** Writes all of `data` to standard output (`Deno.stdout.write` may take only part of it). */
export async function writeStdout(data: string | Uint8Array): Promise<void> {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await Deno.stdout.write(bytes));
}

/**
 * `n` and the word for it, singular for 1: `counted(1, "warning")` is `1 warning`,
 * `counted(2, "warning")` `2 warnings` (`plural` when it is not the word plus `s`).
 *
 * @example
 * ```ts
 * import { counted } from "./_output.ts";
 * if (counted(1, "warning") + ", " + counted(0, "process", "processes") !== "1 warning, 0 processes") {
 *   throw new Error("counted");
 * }
 * ```
 */
export function counted(n: number, word: string, plural = `${word}s`): string {
  return `${n} ${n === 1 ? word : plural}`;
}
