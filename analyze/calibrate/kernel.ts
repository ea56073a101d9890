/**
 * The kernel's side of calibration: finding a C compiler, building the probes, running them and
 * reading the fault counts they measured with `getrusage`.
 *
 * @module
 */
import { dirOf } from "../../trace/tempfiles.ts";

/** What one process measured around one phase. */
export interface KernelPhase {
  /** The phase's label (also its `mark` in the probe's trace). */
  label: string;
  /** The process that ran the phase. */
  pid: number;
  /** `ru_minflt` delta. */
  minor: number;
  /** `ru_majflt` delta. */
  major: number;
  /** Pages swapped in meanwhile (`/proc/vmstat` `pswpin` delta), when the probe measured it. */
  swapIn?: number;
  /** Pages swapped out meanwhile (`pswpout` delta), when the probe measured it. */
  swapOut?: number;
}

/** A missing C compiler, a failed build or a failed probe run. */
export class CalibrateError extends Error {
  /** Makes the error with a message saying what to do. */
  constructor(message: string) {
    super(message);
    this.name = "CalibrateError";
  }
}

/**
 * Parses a probe's results file: one `LABEL PID MINFLT MAJFLT [PSWPIN PSWPOUT]` line per phase.
 *
 * @example
 * ```ts
 * import { parseKernelResults } from "./kernel.ts";
 * const r = parseKernelResults("read 42 64 0\nwrite 42 64 0 3 5\n", "x.res");
 * if (r.length !== 2 || r[1]!.minor !== 64 || r[1]!.swapOut !== 5) throw new Error("parse");
 * ```
 */
export function parseKernelResults(text: string, name: string): KernelPhase[] {
  const out: KernelPhase[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^(\S+) (\d+) (-?\d+) (-?\d+)(?: (-?\d+) (-?\d+))?$/.exec(line.trim());
    if (!m) {
      throw new CalibrateError(
        `${name}:${i + 1}: expected 'LABEL PID MINFLT MAJFLT [PSWPIN PSWPOUT]', found '${line}'`,
      );
    }
    const p: KernelPhase = {
      label: m[1]!,
      pid: Number(m[2]),
      minor: Number(m[3]),
      major: Number(m[4]),
    };
    if (m[5] !== undefined) {
      p.swapIn = Number(m[5]);
      p.swapOut = Number(m[6]);
    }
    out.push(p);
  });
  return out;
}

/**
 * Finds a working C compiler: `preferred` if given, else `$CC`, `cc`, `gcc`, `clang`. Throws
 * {@linkcode CalibrateError} saying how to install one when there is none.
 */
export async function findCompiler(preferred?: string): Promise<string> {
  const candidates = preferred ? [preferred] : [Deno.env.get("CC"), "cc", "gcc", "clang"];
  for (const cc of candidates) {
    if (!cc) continue;
    try {
      const out = await new Deno.Command(cc, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (out.success) return cc;
    } catch {
      // not installed: try the next one
    }
  }
  throw new CalibrateError(
    `calibrate needs a C compiler to build its probes, and ${
      preferred ? `'${preferred}' does not run` : "none of $CC, cc, gcc or clang was found"
    }. Install one (Debian/Ubuntu: apt-get install gcc; Fedora: dnf install gcc) or pass --cc PATH.`,
  );
}

/** Where the probe sources are. */
export const PROBES_DIR = new URL("./probes/", import.meta.url);

/**
 * Compiles `probes/NAME.c` (with `probe.h`), or the user's probe `source` when given, into
 * `outDir/NAME`; returns the binary's path.
 */
export async function buildProbe(
  cc: string,
  name: string,
  outDir: string,
  source?: string,
): Promise<string> {
  const srcDir = `${outDir}/src`;
  await Deno.mkdir(srcDir, { recursive: true });
  for (const f of ["probe.h", `${name}.c`]) {
    // A user's own probe (calibrate --probe FILE.c) is copied from its file, beside probe.h.
    const text = f !== "probe.h" && source !== undefined
      ? await Deno.readTextFile(source)
      : await (await fetch(new URL(f, PROBES_DIR))).text();
    await Deno.writeTextFile(`${srcDir}/${f}`, text);
  }
  const bin = `${outDir}/${name}`;
  const out = await new Deno.Command(cc, {
    // A probe of your own finds headers of its own beside it (probe.h is found beside the copy).
    args: [
      "-O2",
      "-Wall",
      ...(source !== undefined ? ["-I", dirOf(source)] : []),
      "-o",
      bin,
      `${srcDir}/${name}.c`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new CalibrateError(`building probe ${name} with ${cc} failed:\n${err}`);
  }
  return bin;
}

/**
 * How long one run of a probe may take before calibrate ends it: the slowest shipped probe runs in
 * a few seconds, a large held-out-style one (64 MiB of file read at random in 32 MiB) in about three
 * minutes.
 */
export const PROBE_TIMEOUT_MS = 20 * 60 * 1000;

/**
 * Runs a probe binary; it writes its vmtrace to `trace` and its measured phases to `results`.
 * `extra` are further arguments (a pressure probe's cgroup and swap file). Returns the kernel's
 * counts. A probe still running after `timeoutMs` is ended (SIGTERM) and reported.
 */
export async function runProbe(
  bin: string,
  trace: string,
  results: string,
  extra: string[] = [],
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<KernelPhase[]> {
  const limit = AbortSignal.timeout(timeoutMs);
  const child = new Deno.Command(bin, {
    args: [trace, results, ...extra],
    stdout: "null",
    stderr: "piped",
    signal: limit,
  }).spawn();
  // Its error output, read as it comes: a process the probe left behind may hold the pipe open
  // after the probe itself is gone, so once it has ended the rest is waited for a second at most.
  let stderr = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      stderr += decoder.decode(r.value, { stream: true });
    }
  })().catch(() => {});
  const status = await child.status;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => timer = setTimeout(resolve, 1000));
  await Promise.race([drained, late]);
  clearTimeout(timer);
  await reader.cancel().catch(() => {});
  if (limit.aborted && !status.success) {
    throw new CalibrateError(
      `probe ${bin} did not finish within ${
        timeoutMs / 1000
      } s and was ended (a wait that never returns?)`,
    );
  }
  if (!status.success) {
    throw new CalibrateError(`probe ${bin} failed (exit ${status.code}): ${stderr.trim()}`);
  }
  return parseKernelResults(await Deno.readTextFile(results), results);
}
