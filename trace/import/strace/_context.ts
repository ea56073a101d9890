/**
 * What the strace importer's call handlers share: the processes' state and a
 * {@linkcode CallContext} to emit events and warnings through. Private to `strace*.ts`.
 *
 * @module
 */
import { type Event, PAGE_SIZE } from "../../event.ts";
import { type Area, AreaMap, type PageRange } from "../area_map.ts";

export { eventOfArea, rangeOf } from "../area_map.ts";
import type { ImportStats } from "../import_stats.ts";
import { printable } from "../../printable.ts";

/** One address space as the importer sees it. */
export interface Mm {
  areas: AreaMap;
  /** Current program break in bytes, once a `brk` told us. */
  brk: number | null;
  /** `mlockall(MCL_FUTURE)` is in force. */
  lockFuture: boolean;
}

/** A call whose result is still to come (`<unfinished ...>`). */
export interface Pending {
  name: string;
  args: string;
  line: number;
  /** For fork-like calls: the child already assigned to it (it showed up before the result). */
  child: number | null;
  /** Order of arrival, to pick the oldest pending fork. */
  seq: number;
}

/** One process or thread. */
export interface Proc {
  pid: number;
  mm: Mm;
  /** fd → object name; shared between threads with CLONE_FILES. */
  fds: Map<number, string>;
  alive: boolean;
  pending: Pending | null;
  /** Whether the process exists in the trace already (its `exec` must then be replayed). */
  emitted: boolean;
}

/** What a call handler may do: emit, warn, fail, touch, and the import-wide object state. */
export interface CallContext {
  /** Emits an event. */
  emit(ev: Event): void;
  /** Records a warning at the current line. */
  warn(message: string): void;
  /** Stops the import: `FILE:LINE: message`. */
  fail(message: string): never;
  /** How messages name a process. */
  who(pid: number): string;
  /** The mapped parts of a range; warns about the rest. */
  mapped(proc: Proc, name: string, addr: number, len: number): PageRange[];
  /** Synthesizes an access over pages `[start, end)` as `--touch` says. */
  touchRange(proc: Proc, start: number, end: number, prot: number, flags: number): void;
  /** Synthesizes accesses over the areas within pages `[start, end)`. */
  touchAreas(proc: Proc, start: number, end: number): void;
  /** The object an fd names. */
  objectForFd(proc: Proc, fd: number, path: string | null): string;
  /** Emits `ev`, records `area`, and touches it. */
  mapArea(proc: Proc, area: Area, ev: Event): void;
  /** System V segment sizes by id. */
  shmSize: Map<number, number>;
  /** Objects already created (a later size change is a `truncate`). */
  created: Set<string>;
  /** Counters: memfds created so far. */
  counts: { memfds: number };
  /** The import's statistics. */
  stats: ImportStats;
}

/** The import-wide object state of a new {@linkcode CallContext}, counting into `stats`. */
export function objectState(
  stats: ImportStats,
): Pick<CallContext, "shmSize" | "created" | "counts" | "stats"> {
  return { shmSize: new Map(), created: new Set(), counts: { memfds: 0 }, stats };
}

/** The object a path names: `tmpfs:` under /dev/shm, a memfd, else `file:`. */
export function objectForPath(path: string): string {
  const p = sanitize(path);
  const memfd = /^\/memfd:(.*)$/.exec(p);
  if (memfd) return `tmpfs:memfd:${memfd[1]}`;
  if (p.startsWith("/dev/shm/") || p.startsWith("/run/shm/")) return `tmpfs:${p}`;
  return `file:${p}`;
}

/** Percent-encodes what a vmtrace token cannot hold (whitespace, `#`, `%`). */
export function sanitize(s: string): string {
  return s.replace(/[\s#%]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The pages `[start, end)` that `[addr, addr + len)` covers. */
export function pageSpan(addr: number, len: number): [number, number] {
  const s = Math.floor(addr / PAGE_SIZE);
  const e = Math.ceil((addr + len) / PAGE_SIZE);
  return [s, Math.max(e, s)];
}

/** `0x`-prefixed hex. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** `s`, cut to 80 characters for messages. */
export function clip(s: string): string {
  // Control characters (binary input) escaped, so a message never drives the terminal.
  return printable(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/** A live process `pid` with address space `mm` (a new, empty one by default) and fd table. */
export function makeProc(pid: number, mm?: Mm, fds?: Map<number, string>): Proc {
  return {
    pid,
    mm: mm ?? { areas: new AreaMap(), brk: null, lockFuture: false },
    fds: fds ?? new Map(),
    alive: true,
    pending: null,
    emitted: false,
  };
}

/**
 * The mapped parts of `[addr, addr + len)` in `proc`'s address space, and how many of its pages
 * are not mapped (`missing` of `pages`). A call wholly on memory the trace never mapped (what
 * `execve` maps, areas from before the trace) is counted in `stats.outsideCalls` and has `missing`
 * 0: it proves the memory was there and changes nothing replayed. One partly on it has `missing`
 * above 0, which the caller warns about.
 */
export function mappedParts(
  proc: Proc,
  addr: number,
  len: number,
  stats: ImportStats,
): { parts: PageRange[]; missing: number; pages: number } {
  const [s, e] = pageSpan(addr, len);
  const parts = proc.mm.areas.covered(s, e);
  let n = 0;
  for (const r of parts) n += r.end - r.start;
  if (n === 0 && e > s) {
    stats.outsideCalls++;
    return { parts, missing: 0, pages: e - s };
  }
  return { parts, missing: e - s - n, pages: e - s };
}

/**
 * The system calls that map, unmap, move, protect, advise, lock or sync memory, which both the
 * strace and the perf importer turn into events.
 */
export const MEMORY_SYSCALLS: readonly string[] = [
  "mmap",
  "munmap",
  "mremap",
  "mprotect",
  "pkey_mprotect",
  "madvise",
  "brk",
  "mlock",
  "mlock2",
  "munlock",
  "mlockall",
  "munlockall",
  "msync",
];
