/**
 * What `calibrate`'s pressure probes run in: a swap file and a memory cgroup that calibrate makes
 * for each probe run and removes afterwards (also when the run fails or is interrupted). It
 * touches no swap device and no cgroup it did not make.
 *
 * Needs root, `mkswap`, `swapon` and `swapoff` (util-linux), a filesystem that takes swap files
 * for the temporary directory, and a memory cgroup hierarchy: cgroup v1's `memory` controller, or
 * cgroup v2 with `memory` enabled for the root's children.
 *
 * Deno lets a program touch /proc and /sys only with every permission (`--allow-all`), which
 * `deno task vmreplay` does not give, so those files are read and the cgroup made and removed
 * through small commands (`cat`, `mkdir`, `rmdir`).
 *
 * @module
 */

/**
 * Size of the swap file each pressure probe run gets by default. A probe the cgroup's OOM killer
 * ends (its memory did not fit the limit plus the swap file) runs again, all of its runs, with
 * `SWAP_GROWTH` times as large a file, up to {@linkcode MAX_SWAP_FILE_BYTES}.
 */
export const SWAP_FILE_BYTES = 64 << 20;
/** How many times larger the swap file is for a probe's next try after an OOM kill. */
export const SWAP_GROWTH = 4;
/** The largest swap file a pressure probe gets (1 GiB). */
export const MAX_SWAP_FILE_BYTES = 1 << 30;

/** Where memory cgroups can be made. */
export interface MemcgRoot {
  /** Directory under which calibrate makes its cgroups. */
  dir: string;
  /** 1: cgroup v1 memory controller (`memory.limit_in_bytes`); 2: cgroup v2 (`memory.max`). */
  version: 1 | 2;
}

/** Why pressure probes cannot run here (one line), or where cgroups go. */
export type PressureSupport = { ok: true; root: MemcgRoot } | { ok: false; why: string };

/**
 * Whether this machine can run pressure probes: root, the swap tools, a writable memory cgroup
 * hierarchy, and the reclaim vmreplay models ({@linkcode unmodelledReclaim}). The swap file itself
 * is tried when a probe runs.
 */
export async function pressureSupport(): Promise<PressureSupport> {
  if (Deno.build.os !== "linux") return { ok: false, why: "not Linux" };
  if (Deno.uid() !== 0) {
    return { ok: false, why: "not root (they switch a swap file on and make a memory cgroup)" };
  }
  for (const tool of ["mkswap", "swapon", "swapoff"]) {
    if (!await runs(tool, ["--version"])) {
      return { ok: false, why: `'${tool}' not found (apt-get install util-linux)` };
    }
  }
  const root = await findMemcgRoot();
  if (root === null) {
    return {
      ok: false,
      why: "no memory cgroup hierarchy (cgroup v1 'memory' or v2 with memory for its children)",
    };
  }
  const unmodelled = await unmodelledReclaim();
  if (unmodelled !== null) return { ok: false, why: unmodelled };
  return { ok: true, root };
}

/**
 * Why this kernel's reclaim is not the one the simulator models (one line, with how to switch it
 * off), or null: the multi-generational LRU (`/sys/kernel/mm/lru_gen/enabled`, bit 0 its main
 * switch) ages pages by generations, not on the active and inactive lists; zswap keeps pages it
 * compresses in memory, neither written to the swap file nor counted in `pswpout`/`pswpin`.
 * `read` gives a file's text, or null where there is none.
 *
 * @example
 * ```ts
 * import { unmodelledReclaim } from "./pressure.ts";
 * const files: Record<string, string> = { "/sys/kernel/mm/lru_gen/enabled": "0x0000\n" };
 * const why = await unmodelledReclaim((p) => Promise.resolve(files[p] ?? null));
 * if (why !== null) throw new Error("the multi-generational LRU is off here");
 * ```
 */
export async function unmodelledReclaim(
  read: (path: string) => Promise<string | null> = cat,
): Promise<string | null> {
  const lruGen = "/sys/kernel/mm/lru_gen/enabled";
  const gen = (await read(lruGen))?.trim();
  if (gen !== undefined && gen !== "" && (parseInt(gen, 16) & 1) === 1) {
    return `this kernel reclaims with the multi-generational LRU (${lruGen} is ${gen}); ` +
      "vmreplay models the active and inactive lists, so the counts would not agree " +
      `('echo n > ${lruGen}' switches it off, 'echo y' back on)`;
  }
  const zswap = "/sys/module/zswap/parameters/enabled";
  const z = (await read(zswap))?.trim();
  if (z === "Y" || z === "1") {
    return `zswap is on (${zswap} is ${z}): the pages it compresses stay in memory, not ` +
      "counted in /proc/vmstat's pswpout and pswpin, which the simulator's swap counts are " +
      `compared with ('echo N > ${zswap}' switches it off, 'echo Y' back on)`;
  }
  return null;
}

/** The memory cgroup hierarchy's root from /proc/self/mountinfo, or null. */
export async function findMemcgRoot(): Promise<MemcgRoot | null> {
  const text = await cat("/proc/self/mountinfo");
  if (text === null) return null;
  let v2: string | null = null;
  for (const line of text.split("\n")) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE SOURCE SUPEROPTIONS
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    const mountPoint = left[4], fsType = right[0], superOpts = right[2] ?? "";
    if (mountPoint === undefined || left[3] !== "/") continue;
    if (!(left[5] ?? "").split(",").includes("rw")) continue;
    if (fsType === "cgroup" && superOpts.split(",").includes("memory")) {
      return { dir: unescapeMount(mountPoint), version: 1 };
    }
    if (fsType === "cgroup2") v2 ??= unescapeMount(mountPoint);
  }
  if (v2 === null) return null;
  const control = await cat(`${v2}/cgroup.subtree_control`);
  if (control !== null && control.split(/\s+/).includes("memory")) return { dir: v2, version: 2 };
  return null;
}

/** The text of `path` (read by `cat`: see the module doc), or null when it cannot be read. */
export async function cat(path: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** Octal escapes of /proc/self/mountinfo (`\040` for a space). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; err: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, err: new TextDecoder().decode(out.stderr).trim() };
  } catch (e) {
    return { ok: false, err: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The lock file that keeps calibrations' pressure probes apart: the pages swapped in and out they
 * count are the whole machine's (`/proc/vmstat`), so two calibrations at once would each count the
 * other's.
 */
export const PRESSURE_LOCK = "/tmp/vmreplay-calibrate.lock";

/**
 * Takes the pressure probes' lock (an advisory lock on `path`, which any process that has it open
 * may take: the lock goes with the process, also when it is killed). When another calibration holds
 * it, waits, and after half a second calls `onWait` once with what that one wrote there (its pid).
 * Returns the release.
 */
export async function lockPressure(
  path = PRESSURE_LOCK,
  onWait?: (holder: string) => void,
): Promise<() => void> {
  const f = await Deno.open(path, { read: true, write: true, create: true, mode: 0o666 });
  let held = false;
  const timer = setTimeout(() => {
    if (held) return;
    Deno.readTextFile(path).then((t) => t.trim(), () => "").then((who) => {
      if (!held) onWait?.(who);
    });
  }, 500);
  try {
    await f.lock(true);
    held = true;
  } catch (e) {
    f.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  await f.truncate(0);
  await f.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return () => {
    try {
      f.close(); // closing the file releases its lock
    } catch {
      // closed already
    }
  };
}

/**
 * One probe run's swap file and memory cgroup. `open()` makes them, `close()` removes them and
 * may be called any number of times (and from a signal handler: it only undoes what was done).
 */
export class PressureEnv {
  /** The swap file's path. */
  readonly swapFile: string;
  /** The cgroup's directory. */
  readonly cgroup: string;
  #swapOn = false;
  #cgroupMade = false;
  #fileMade = false;

  readonly #version: 1 | 2;
  readonly #swapBytes: number;

  /**
   * An environment with its swap file of `swapBytes` (whole MiB) in `dir` and its cgroup under
   * `root`, named `name`.
   */
  constructor(root: MemcgRoot, dir: string, name: string, swapBytes = SWAP_FILE_BYTES) {
    this.swapFile = `${dir}/${name}.swap`;
    this.cgroup = `${root.dir}/${name}`;
    this.#version = root.version;
    this.#swapBytes = swapBytes;
  }

  /**
   * Processes the cgroup's OOM killer has ended so far: `oom_kill` in cgroup v1's
   * `memory.oom_control` or v2's `memory.events`; 0 when the file says nothing (a kernel before
   * 4.13 has no such count).
   */
  async oomKills(): Promise<number> {
    const file = this.#version === 1 ? "memory.oom_control" : "memory.events";
    return await this.#count(file, "oom_kill") ?? 0;
  }

  /** The count on line `KEY N` of the cgroup's `file`, or null when it has none. */
  async #count(file: string, key: string): Promise<number | null> {
    const m = (await cat(`${this.cgroup}/${file}`))?.match(new RegExp(`^${key} (\\d+)$`, "m"));
    return m ? Number(m[1]) : null;
  }

  /**
   * Whether the cgroup may have run out of swap: false when it surely did not, so that a larger
   * swap file would not help a probe the OOM killer ended (what it needs in memory at once does not
   * fit the limit: swapoff, say). cgroup v1: the most memory and swap it held together
   * (`memory.memsw.max_usage_in_bytes`) is under 90 % of the swap file; cgroup v2: no swap
   * allocation failed (`fail` in `memory.swap.events`). Null when the cgroup does not say (v1
   * without swap accounting).
   */
  async swapRanOut(): Promise<boolean | null> {
    if (this.#version === 1) {
      const text = await cat(`${this.cgroup}/memory.memsw.max_usage_in_bytes`);
      const peak = text === null ? NaN : Number(text.trim());
      return Number.isFinite(peak) ? peak >= 0.9 * this.#swapBytes : null;
    }
    const fails = await this.#count("memory.swap.events", "fail");
    return fails === null ? null : fails > 0;
  }

  /** Makes the swap file and switches it on, then makes the cgroup. Throws on failure. */
  async open(): Promise<void> {
    const f = await Deno.open(this.swapFile, { write: true, createNew: true, mode: 0o600 });
    this.#fileMade = true;
    try {
      // Written out, not sparse: swapon refuses files with holes.
      const chunk = new Uint8Array(1 << 20);
      for (let n = 0; n < this.#swapBytes;) {
        n += await f.write(chunk.subarray(0, Math.min(chunk.length, this.#swapBytes - n)));
      }
    } finally {
      f.close();
    }
    const mk = await run("mkswap", [this.swapFile]);
    if (!mk.ok) throw new Error(`mkswap ${this.swapFile} failed: ${mk.err}`);
    const on = await run("swapon", ["-p", "32767", this.swapFile]);
    if (!on.ok) {
      throw new Error(
        `swapon ${this.swapFile} failed (the temporary directory's filesystem may not take swap files): ${on.err}`,
      );
    }
    this.#swapOn = true;
    const mk2 = await run("mkdir", [this.cgroup]);
    if (!mk2.ok) throw new Error(`mkdir ${this.cgroup} failed: ${mk2.err}`);
    this.#cgroupMade = true;
  }

  #closing: Promise<void> | null = null;

  /**
   * Removes the cgroup (ending the processes left in it: the probe's own) and the swap file. Calls
   * while one runs (a signal handler's and the main flow's) share it.
   */
  close(): Promise<void> {
    const p = this.#closing ?? this.#close().finally(() => this.#closing = null);
    this.#closing = p;
    return p;
  }

  async #close(): Promise<void> {
    if (this.#cgroupMade) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const pids = await this.#pids();
        for (const pid of pids) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // gone already
          }
        }
        if ((await run("rmdir", [this.cgroup])).ok) {
          this.#cgroupMade = false;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (this.#swapOn) {
      if (await this.#listed()) await run("swapoff", [this.swapFile]);
      if (!await this.#listed()) this.#swapOn = false;
    }
    if (this.#fileMade && !this.#swapOn) {
      await Deno.remove(this.swapFile).catch(() => {});
      this.#fileMade = false;
    }
  }

  /** True when something is left that `close` could not undo. */
  get leftOver(): boolean {
    return this.#cgroupMade || this.#swapOn;
  }

  async #pids(): Promise<number[]> {
    const text = await cat(`${this.cgroup}/cgroup.procs`);
    if (text === null) return [];
    return text.split("\n").filter((l) => /^[0-9]+$/.test(l.trim())).map(Number);
  }

  /** Whether /proc/swaps lists the swap file (a probe may have switched it off itself). */
  async #listed(): Promise<boolean> {
    // Unknown (unreadable) counts as listed: never leave a swap file on without saying so.
    const text = await cat("/proc/swaps");
    if (text === null) return true;
    return text.split("\n").some((l) => l.split(/\s+/)[0] === this.swapFile);
  }
}
