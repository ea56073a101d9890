/**
 * Temporary files of atomic writes (a trace, a report, an upload) that survive no crash for long:
 * each is named `.NAME.PID.MS.tmp` beside the file it becomes, and its writer holds an exclusive
 * lock on it (`flock`) from its creation until it is renamed into place or removed. The kernel
 * drops that lock when the writer dies, however it dies (SIGKILL included, when no handler of its
 * own runs), so the next write into the same directory, or the next start of the dashboard, finds
 * the file unlocked and removes it, while the files of writers still at work stay locked and stay.
 *
 * @module
 */

const TEMP_RE = /^\..+\.\d+\.\d+\.tmp$/;

/** The last MS given by {@linkcode tempPathFor}: each call gives a later one, so names never repeat. */
let lastMs = 0;

/**
 * The temporary path to write `path` through: `.BASENAME.PID.MS.tmp` in the same directory (so
 * that a rename puts it in place atomically). MS is the time in milliseconds, one more than the
 * last call's when that was as late, so two calls of one process never give the same path.
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
  lastMs = Math.max(Date.now(), lastMs + 1);
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}.${lastMs}.tmp`;
}

/**
 * Creates the temporary file to write `path` through ({@linkcode tempPathFor}), empty, and takes
 * the lock that marks it as in use, on a handle of its own (so the file may be written through other
 * handles, closed and renamed meanwhile). Call `release` once it is renamed or removed.
 *
 * @example
 * ```ts
 * import { createTemp, sweepStaleTemps } from "./tempfiles.ts";
 * const dir = await Deno.makeTempDir();
 * const { tmp, release } = await createTemp(`${dir}/t.vmt`);
 * await Deno.writeTextFile(tmp, "being written");
 * if ((await sweepStaleTemps(dir)).length !== 0) throw new Error("held: kept");
 * release();
 * if ((await sweepStaleTemps(dir)).length !== 1) throw new Error("let go: removed");
 * await Deno.remove(dir);
 * ```
 */
export async function createTemp(
  path: string,
  mode?: number,
): Promise<{ tmp: string; release: () => void }> {
  let tmp: string, f: Deno.FsFile;
  for (let attempt = 1;; attempt++) {
    tmp = tempPathFor(path);
    f = await Deno.open(tmp, {
      write: true,
      createNew: true,
      ...(mode !== undefined ? { mode } : {}),
    });
    try {
      await f.lock(true);
    } catch (e) {
      f.close();
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    // A sweeper that came between the creation and the lock found the file unlocked and removed
    // it: then the name no longer leads to the locked file, and a new one is made.
    if (await sameFile(f, tmp) || attempt === 3) break;
    f.close();
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      f.close(); // closing drops the lock
    } catch { /* closed already */ }
  };
  return { tmp, release };
}

/** Whether `path` still names the file open as `f`. */
async function sameFile(f: Deno.FsFile, path: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([f.stat(), Deno.stat(path)]);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/**
 * Removes the temporary files of {@linkcode tempPathFor} in `dir` that nobody holds (their writer
 * is gone); returns their names. Errors (an unreadable directory, a file removed meanwhile) are
 * ignored: this is housekeeping, never a reason to fail a write.
 *
 * @example
 * ```ts
 * import { sweepStaleTemps } from "./tempfiles.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.t.vmt.2147483646.1700000000000.tmp`, "half");
 * await Deno.writeTextFile(`${dir}/notes.tmp`, "not ours");
 * const gone = await sweepStaleTemps(dir);
 * if (gone.join() !== ".t.vmt.2147483646.1700000000000.tmp") throw new Error(gone.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const gone: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !TEMP_RE.test(e.name)) continue;
      const path = `${dir}/${e.name}`;
      let f: Deno.FsFile | undefined;
      try {
        f = await Deno.open(path, { read: true });
        // Held by a writer at work: not ours to touch. Taken: nobody writes it any more.
        if (!await f.tryLock(true)) continue;
        await Deno.remove(path);
        gone.push(e.name);
      } catch {
        /* gone already, or not ours to remove */
      } finally {
        f?.close();
      }
    }
  } catch { /* an unreadable directory: nothing to sweep */ }
  return gone.sort();
}

/** The directory of `path` (`.` when it has none). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}
