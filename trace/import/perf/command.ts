/**
 * The `perf` commands behind `capture --perf` and `import perf`: which events `perf record`
 * records, how `perf script` prints them, finding a `perf` that works, and reading a
 * `perf.data` file through `perf script`.
 *
 * @module
 */
import { commandOutput, toolRuns } from "../../_command.ts";
import { PERF_SYSCALLS } from "./importer.ts";

/**
 * The events a capture records: every page fault of the program tree (user mode, and kernel
 * mode at user addresses: below 2^47), the clone flags of every new task, and the entry and
 * exit of each mapping system call.
 */
export const PERF_EVENTS: readonly string[] = [
  "-e",
  "exceptions:page_fault_user",
  "-e",
  "exceptions:page_fault_kernel",
  "--filter",
  "address < 0x800000000000",
  "-e",
  "task:task_newtask",
  "-e",
  PERF_SYSCALLS.flatMap((s) => [`syscalls:sys_enter_${s}`, `syscalls:sys_exit_${s}`]).join(","),
];

/**
 * The arguments of `perf record` that record `command` into `data`: the {@linkcode PERF_EVENTS},
 * `-d` (MMAP2 records of data mappings too, which name mapped files), 4 MiB of buffer per CPU,
 * and nothing perf would otherwise spend its start-up on (BPF events, build ids, the system's
 * other tasks).
 *
 * @example
 * ```ts
 * import { perfRecordArgs } from "./command.ts";
 * const args = perfRecordArgs("app.data", ["./app", "-v"]);
 * if (args[0] !== "record" || args.at(-3) !== "--") throw new Error(args.join(" "));
 * ```
 */
export function perfRecordArgs(data: string, command: readonly string[]): string[] {
  return [
    "record",
    "-q",
    "--no-bpf-event",
    "-B",
    "--synth=no",
    "-d",
    "-m",
    "4M",
    "-o",
    data,
    ...PERF_EVENTS,
    "--",
    ...command,
  ];
}

/**
 * How to start `perf ARGS...` (`bin` found by {@linkcode findPerf}) so that the program it runs
 * sees the caller's `PATH`: perf puts its exec-path (/usr/lib/perf-core) and the directory of its
 * own `argv[0]` in front of `PATH`, and Deno starts a program with its full path as `argv[0]`, so
 * /usr/bin would come first and /usr/bin/python3 would run instead of a virtualenv's or pyenv's
 * `python3`. Through `bash -c 'exec -a perf ...'`, `argv[0]` has no directory. Without bash, perf
 * is started directly.
 *
 * @example
 * ```ts
 * import { perfLaunch } from "./command.ts";
 * const [cmd, args] = perfLaunch("perf", ["record", "--", "true"], "/bin/bash");
 * if (cmd !== "/bin/bash" || args[2] !== "perf" || args.at(-1) !== "true") throw new Error(cmd);
 * ```
 */
export function perfLaunch(
  bin: string,
  args: readonly string[],
  bash: string | null,
): [string, string[]] {
  if (bash === null) return [bin, [...args]];
  return [bash, ["-c", 'exec -a perf "$0" "$@"', bin, ...args]];
}

/**
 * The arguments of `perf script` that print `data` as `import perf` reads it: `PID/TID`, the
 * event and its fields, with the MMAP2, COMM, FORK, EXIT and LOST records.
 *
 * @example
 * ```ts
 * import { perfScriptArgs } from "./command.ts";
 * if (!perfScriptArgs("app.data").includes("--show-mmap-events")) throw new Error("mmap");
 * ```
 */
export function perfScriptArgs(data: string): string[] {
  return [
    "script",
    "-i",
    data,
    "--show-mmap-events",
    "--show-task-events",
    "--show-lost-events",
    "-F",
    "pid,tid,event,trace",
  ];
}

/**
 * A `perf` that runs here: `$PERF`, else `perf`, else the newest versioned binary Debian's
 * older `linux-perf-X.Y` packages install (`/usr/bin/perf_X.Y`), whose `perf` wrapper refuses
 * to run under a kernel of another version. `null` when there is none.
 */
export async function findPerf(): Promise<string | null> {
  const env = Deno.env.get("PERF");
  if (env) return await toolRuns(env) ? env : null;
  if (await toolRuns("perf")) return "perf";
  const versioned: string[] = [];
  try {
    for await (const e of Deno.readDir("/usr/bin")) {
      if (/^perf_\d+\.\d+$/.test(e.name)) versioned.push(`/usr/bin/${e.name}`);
    }
  } catch {
    // no /usr/bin to look in
  }
  versioned.sort((a, b) => version(b) - version(a));
  for (const p of versioned) if (await toolRuns(p)) return p;
  return null;
}

function version(path: string): number {
  const [major, minor] = path.slice(path.indexOf("_") + 1).split(".").map(Number);
  return (major ?? 0) * 1000 + (minor ?? 0);
}

/** Whether the file at `path` is a `perf.data` file (it starts with `PERFILE2`). */
export async function isPerfData(path: string): Promise<boolean> {
  if (path === "-") return false;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(8);
    const n = await file.read(head);
    return n === 8 && new TextDecoder().decode(head) === "PERFILE2";
  } catch {
    return false; // a directory, say: the reader names the problem
  } finally {
    file.close();
  }
}

/** `perf script` failed (a file that is not perf.data, a perf too old for it). */
export class PerfError extends Error {
  /** Makes the error; the message names the file and quotes perf. */
  constructor(message: string) {
    super(message);
    this.name = "PerfError";
  }
}

/**
 * Runs `perf script` ({@linkcode perfScriptArgs}) on `data` and yields its output in chunks.
 * Throws a {@linkcode PerfError} with perf's own message when perf fails.
 */
export function perfScriptChunks(perf: string, data: string): AsyncIterable<Uint8Array> {
  return commandOutput(perf, perfScriptArgs(data), (code, err) => {
    // perf prints notes on stderr ("'trace' not valid for hardware events"): left out.
    const msg = err.split("\n").filter((l) => l.trim() && !/not valid for/.test(l)).join("; ");
    return new PerfError(`${data}: perf script failed (exit ${code}): ${msg}`);
  });
}
