/**
 * Parsing one line of `perf script` output: the samples of the tracepoints a capture records
 * (page faults, the mapping system calls, new tasks) and the side-band records that
 * `--show-mmap-events --show-task-events --show-lost-events` print (MMAP2, COMM exec, FORK,
 * EXIT, LOST).
 *
 * Two prefixes are understood: `PID/TID ` (`perf script -F pid,tid,event,trace`, what `capture
 * --perf` runs) and perf's default `COMM TID [CPU] TIME: ` (a plain `perf script`).
 *
 * @module
 */

/** A page fault (`exceptions:page_fault_user` or `exceptions:page_fault_kernel`). */
export interface FaultRecord {
  /** What the line holds. */
  kind: "fault";
  /** The thread that faulted. */
  tid: number;
  /** The faulting address; -1 when it is not a user address below 2^53. */
  address: number;
  /** The x86 error code: bit 1 write, bit 4 instruction fetch. */
  errorCode: number;
}

/** `syscalls:sys_enter_NAME`: the arguments, as the hex text the tracepoint prints. */
export interface EnterRecord {
  /** What the line holds. */
  kind: "enter";
  /** The calling thread. */
  tid: number;
  /** The system call, e.g. `mmap`. */
  name: string;
  /** The arguments in the tracepoint's order (`0x...` text). */
  args: string[];
}

/** `syscalls:sys_exit_NAME`: the result. */
export interface ExitRecord {
  /** What the line holds. */
  kind: "exit";
  /** The calling thread. */
  tid: number;
  /** The system call. */
  name: string;
  /** The result as printed (`0x...`). */
  ret: string;
  /** Whether the result is an error (-4095..-1). */
  failed: boolean;
}

/** `task:task_newtask`: a task created, with its clone flags. */
export interface NewTaskRecord {
  /** What the line holds. */
  kind: "newtask";
  /** The creating thread. */
  tid: number;
  /** The new task's id. */
  child: number;
  /** `clone_flags` (`CLONE_VM` 0x100, `CLONE_THREAD` 0x10000). */
  flags: number;
}

/** `PERF_RECORD_MMAP2 PID/TID: [ADDR(LEN) @ PGOFF ...]: PROT PATH`: an area mapped or changed. */
export interface MmapRecord {
  /** What the line holds. */
  kind: "mmap";
  /** Process. */
  pid: number;
  /** Thread that mapped it. */
  tid: number;
  /** Start address. */
  addr: number;
  /** Length in bytes. */
  len: number;
  /** Offset in the file, in bytes. */
  pgoff: number;
  /** `Prot` bits. */
  prot: number;
  /** `s` (shared) rather than `p` (private). */
  shared: boolean;
  /** `//anon`, `[stack]`, `[heap]`, `[vdso]` or a file path (maybe ending in ` (deleted)`). */
  path: string;
  /** The file's inode number (0 when perf printed a build id instead). */
  inode: number;
}

/** `PERF_RECORD_FORK(PID:TID):(PPID:PTID)`: a process or thread created. */
export interface ForkRecord {
  /** What the line holds. */
  kind: "fork";
  /** The new task's process. */
  pid: number;
  /** The new task. */
  tid: number;
  /** The creator's process. */
  ppid: number;
  /** The creating thread. */
  ptid: number;
}

/** `PERF_RECORD_EXIT(PID:TID):(...)`: a thread ended. */
export interface TaskExitRecord {
  /** What the line holds. */
  kind: "task_exit";
  /** Process. */
  pid: number;
  /** The thread that ended. */
  tid: number;
}

/** `PERF_RECORD_COMM exec: NAME:PID/TID`: a thread executed a program. */
export interface ExecRecord {
  /** What the line holds. */
  kind: "exec";
  /** Process. */
  pid: number;
  /** Thread. */
  tid: number;
  /** The new command name. */
  comm: string;
}

/** `PERF_RECORD_LOST`: perf's buffer overflowed and events were dropped. */
export interface LostRecord {
  /** What the line holds. */
  kind: "lost";
  /** Events (or samples) lost. */
  count: number;
}

/** A line that is perf script output but not one the importer uses (other events, records). */
export interface OtherRecord {
  /** What the line holds. */
  kind: "other";
  /** The event or record name, e.g. `sched:sched_switch` or `PERF_RECORD_COMM`. */
  event: string;
}

/** Blank lines, `#` comments (`perf script --header`), renames and the kernel's own map. */
export interface NoiseRecord {
  /** What the line holds. */
  kind: "noise";
}

/** What one `perf script` line holds. */
export type PerfRecord =
  | FaultRecord
  | EnterRecord
  | ExitRecord
  | NewTaskRecord
  | MmapRecord
  | ForkRecord
  | TaskExitRecord
  | ExecRecord
  | LostRecord
  | OtherRecord
  | NoiseRecord;

const FAULT = " exceptions:page_fault_";
const TWO53 = 2 ** 53;
/** Results at or above this are errors (-4095..-1 as unsigned 64-bit). */
const ERR_MIN = 2 ** 64 - 4096;
const PROT_BITS: Record<string, number> = { r: 1, w: 2, x: 4 };

/**
 * Parses one line of `perf script` output; `null` when it is not one (the caller reports it).
 *
 * @example
 * ```ts
 * import { parsePerfScriptLine } from "./line.ts";
 * const r = parsePerfScriptLine(
 *   "  4242/4243  exceptions:page_fault_user: address=0x7f0000001008 ip=0x401000 error_code=0x6",
 * );
 * if (r?.kind !== "fault" || r.tid !== 4243 || r.errorCode !== 6) throw new Error("parse");
 * ```
 */
export function parsePerfScriptLine(line: string): PerfRecord | null {
  const k = line.indexOf(FAULT);
  if (k >= 0) return fault(line, k);
  const r = line.indexOf("PERF_RECORD_");
  if (r >= 0) return sideBand(line, r);
  const t = line.trimStart();
  if (t === "" || t.startsWith("#")) return { kind: "noise" };
  const m = /\s([A-Za-z_][\w-]*:[A-Za-z_]\w*):(?:\s|$)/.exec(line);
  if (!m) return null;
  const tid = prefixTid(line, m.index);
  if (tid === null) return null;
  const event = m[1]!;
  const rest = line.slice(m.index + m[0].length);
  if (event.startsWith("syscalls:sys_enter_")) {
    const args: string[] = [];
    for (const a of rest.matchAll(/\w+: (0x[0-9a-fA-F]+)/g)) args.push(a[1]!);
    return { kind: "enter", tid, name: event.slice(19), args };
  }
  if (event.startsWith("syscalls:sys_exit_")) {
    const ret = rest.trim();
    if (!/^0x[0-9a-fA-F]+$/.test(ret)) return null;
    return { kind: "exit", tid, name: event.slice(18), ret, failed: parseInt(ret, 16) >= ERR_MIN };
  }
  if (event === "task:task_newtask") {
    const child = /(?:^|\s)pid=(\d+)/.exec(rest);
    const flags = /\sclone_flags=([0-9a-fA-F]+)/.exec(rest);
    if (!child || !flags) return null;
    return { kind: "newtask", tid, child: Number(child[1]), flags: parseInt(flags[1]!, 16) };
  }
  return { kind: "other", event };
}

/** A fault line; the event name starts at `k + 1`. */
function fault(line: string, k: number): FaultRecord | null {
  const tid = prefixTid(line, k);
  if (tid === null) return null;
  const a = line.indexOf("address=", k);
  const e = line.indexOf("error_code=0x", k);
  if (a < 0 || e < 0) return null;
  let address = -1;
  if (line.charCodeAt(a + 8) === 48 && line.charCodeAt(a + 9) === 120) {
    const v = parseInt(line.slice(a + 10, line.indexOf(" ", a)), 16);
    if (v < TWO53) address = v;
  }
  return { kind: "fault", tid, address, errorCode: parseInt(line.slice(e + 13), 16) };
}

/**
 * The thread id in the prefix before `end`: `PID/TID` (`-F pid,tid,...`) or perf's default
 * `COMM TID [CPU] TIME:`; `null` if neither.
 */
function prefixTid(line: string, end: number): number | null {
  let p = end;
  while (p > 0 && line.charCodeAt(p - 1) === 32) p--;
  // TIME: (digits and a dot, then ':')
  if (line.charCodeAt(p - 1) === 58) {
    let q = p - 1;
    while (q > 0 && isTimeChar(line.charCodeAt(q - 1))) q--;
    if (q < p - 1) p = q;
    while (p > 0 && line.charCodeAt(p - 1) === 32) p--;
  }
  // [CPU]
  if (line.charCodeAt(p - 1) === 93) {
    const o = line.lastIndexOf("[", p - 1);
    if (o < 0) return null;
    p = o;
    while (p > 0 && line.charCodeAt(p - 1) === 32) p--;
  }
  let q = p;
  while (q > 0 && isDigit(line.charCodeAt(q - 1))) q--;
  if (q === p) return null;
  return Number(line.slice(q, p));
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isTimeChar(c: number): boolean {
  return isDigit(c) || c === 46;
}

/** A `PERF_RECORD_*` line; the name starts at `r`. */
function sideBand(line: string, r: number): PerfRecord | null {
  const rest = line.slice(r + 12);
  const name = /^\w+/.exec(rest)?.[0] ?? "";
  switch (name) {
    case "MMAP2": {
      const m =
        /^MMAP2 (-?\d+)\/(\d+): \[(0x[0-9a-fA-F]+)\((0x[0-9a-fA-F]+)\) @ (0x[0-9a-fA-F]+|0)(?: [0-9a-fA-F]+:[0-9a-fA-F]+ (\d+) \d+| <[0-9a-fA-F]*>)?\]: ([r-])([w-])([x-])([sp]) (.*)$/
          .exec(rest);
      if (!m) return null;
      const prot = (PROT_BITS[m[7]!] ?? 0) | (PROT_BITS[m[8]!] ?? 0) | (PROT_BITS[m[9]!] ?? 0);
      return {
        kind: "mmap",
        pid: Number(m[1]),
        tid: Number(m[2]),
        addr: parseInt(m[3]!, 16),
        len: parseInt(m[4]!, 16),
        pgoff: parseInt(m[5]!, 16),
        prot,
        shared: m[10] === "s",
        path: m[11]!,
        inode: m[6] === undefined ? 0 : Number(m[6]),
      };
    }
    case "FORK":
    case "EXIT": {
      const m = /^\w+\((\d+):(\d+)\):\((\d+):(\d+)\)/.exec(rest);
      if (!m) return null;
      if (name === "EXIT") return { kind: "task_exit", pid: Number(m[1]), tid: Number(m[2]) };
      return {
        kind: "fork",
        pid: Number(m[1]),
        tid: Number(m[2]),
        ppid: Number(m[3]),
        ptid: Number(m[4]),
      };
    }
    case "COMM": {
      const m = /^COMM( exec)?: (.*):(\d+)\/(\d+)\s*$/.exec(rest);
      if (!m) return null;
      if (!m[1]) return { kind: "noise" }; // a thread renamed (prctl), or perf's own child
      return { kind: "exec", pid: Number(m[3]), tid: Number(m[4]), comm: m[2]! };
    }
    case "LOST":
    case "LOST_SAMPLES": {
      const m = /(\d+)\s*$/.exec(rest);
      return { kind: "lost", count: m ? Number(m[1]) : 0 };
    }
    case "MMAP":
      // The kernel's own map (pid -1) that perf writes first; user mappings are MMAP2.
      if (/^MMAP -1\//.test(rest)) return { kind: "noise" };
      return { kind: "other", event: "PERF_RECORD_MMAP" };
    default:
      return { kind: "other", event: `PERF_RECORD_${name}` };
  }
}
