/**
 * Temporary files of atomic writes (a trace, a report, an upload) that survive no crash for long:
 * each is named after the process that writes it (`.NAME.PID.MS.tmp` beside the file it becomes),
 * and the next write into the same directory, or the next start of the dashboard, removes those
 * whose process is gone (killed with SIGKILL, or by the machine going down: nothing could clean up
 * then).
 *
 * @module
 */

const TEMP_RE = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * The temporary path to write `path` through: `.BASENAME.PID.MS.tmp` in the same directory (so
 * that a rename puts it in place atomically).
 *
 * @example
 * ```ts
 * import { tempPathFor } from "./tempfiles.ts";
 * const t = tempPathFor("/data/out.vmtb");
 * if (!t.startsWith(`/data/.out.vmtb.${Deno.pid}.`) || !t.endsWith(".tmp")) throw new Error(t);
 * ```
 */
export function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}.${Date.now()}.tmp`;
}

/**
 * Whether process `pid` is still running (as far as this system tells: where `/proc` is missing,
 * every process is taken to be alive, so nothing is removed). A process id taken over by a program
 * other than Deno counts as gone.
 *
 * @example
 * ```ts
 * import { processAlive } from "./tempfiles.ts";
 * if (!processAlive(Deno.pid)) throw new Error("this process runs");
 * ```
 */
export function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true; // no /proc: cannot tell
  }
  try {
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    return cmd.includes("deno");
  } catch {
    return false;
  }
}

/**
 * Removes the temporary files of {@linkcode tempPathFor} in `dir` whose writing process is gone;
 * returns their names. Errors (an unreadable directory, a file removed meanwhile) are ignored: this
 * is housekeeping, never a reason to fail a write.
 *
 * @example
 * ```ts
 * import { sweepStaleTemps } from "./tempfiles.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.t.vmt.2147483646.1700000000000.tmp`, "half");
 * await Deno.writeTextFile(`${dir}/.t.vmt.${Deno.pid}.1700000000000.tmp`, "mine");
 * const gone = await sweepStaleTemps(dir);
 * if (gone.join() !== ".t.vmt.2147483646.1700000000000.tmp") throw new Error(gone.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const gone: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = TEMP_RE.exec(e.name);
      if (!m || !e.isFile || processAlive(Number(m[1]))) continue;
      try {
        await Deno.remove(`${dir}/${e.name}`);
        gone.push(e.name);
      } catch { /* gone already, or not ours to remove */ }
    }
  } catch { /* an unreadable directory: nothing to sweep */ }
  return gone.sort();
}

/** The directory of `path` (`.` when it has none). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}
