/**
 * Importing `strace -f` output into vmtrace events.
 *
 * strace shows the system calls that shape address spaces (mmap, munmap, mremap, mprotect,
 * madvise, mlock, msync, brk, fork/vfork/clone/clone3, execve, exit, System V shared memory,
 * memfd_create) but no loads or stores. {@linkcode StraceImporter} turns those calls into events,
 * keeps its own record of every address space ({@linkcode AreaMap}) so that operations on memory
 * the trace never mapped become warnings instead of nonsense, and can synthesize accesses
 * (`touch`): `none` (only the calls), `populate` (every page once, when it becomes accessible) or
 * `all` (`populate`, plus every process touching all its pages again right after each fork).
 *
 * @module
 */
import { type Addr, type Event, MapFlag, type MmapEvent, PAGE_SIZE, Prot } from "../event.ts";
import { type Area, AreaMap, type PageRange } from "./area_map.ts";
import { ImportError, type ImportStats, newImportStats, recordWarning } from "./import_stats.ts";
import {
  CLONE_NAMES,
  MAP_NAMES,
  parseCString,
  parseFd,
  parseFlags,
  parseInteger,
  parseSmall,
  PROT_NAMES,
  splitArgs,
} from "./strace_args.ts";
import { parseResult, parseStraceLine, type StraceLine } from "./strace_line.ts";

/** How accesses are synthesized (strace records none). */
export type TouchMode = "none" | "populate" | "all";

/** The accepted values of {@linkcode TouchMode}. */
export const TOUCH_MODES: readonly TouchMode[] = ["none", "populate", "all"];

/** Options of {@linkcode StraceImporter}. */
export interface StraceImportOptions {
  /** Input name used in messages (default `strace`). */
  name?: string;
  /** Access synthesis (default `none`). */
  touch?: TouchMode;
  /** Areas larger than this many bytes are never touched (default 1 GiB). */
  touchMax?: number;
  /** PID for a trace whose lines carry no PID prefix at all (default 1). */
  defaultPid?: number;
}

/** One address space as the importer sees it. */
interface Mm {
  areas: AreaMap;
  /** Current program break in bytes, once a `brk` told us. */
  brk: number | null;
  /** `mlockall(MCL_FUTURE)` is in force. */
  lockFuture: boolean;
}

/** A call whose result is still to come (`<unfinished ...>`). */
interface Pending {
  name: string;
  args: string;
  line: number;
  /** For fork-like calls: the child already assigned to it (it showed up before the result). */
  child: number | null;
  /** Order of arrival, to pick the oldest pending fork. */
  seq: number;
}

/** One process or thread. */
interface Proc {
  pid: number;
  mm: Mm;
  /** fd → object name; shared between threads with CLONE_FILES. */
  fds: Map<number, string>;
  alive: boolean;
  pending: Pending | null;
  /** Whether any event of this process was emitted (an `exec` before any other event is moot). */
  emitted: boolean;
}

const FORK_CALLS = new Set(["fork", "vfork", "clone", "clone2", "clone3"]);
/** The system calls the importer acts on; every other one is only counted. */
const HANDLED = new Set([
  ...FORK_CALLS,
  "mmap",
  "munmap",
  "mremap",
  "mprotect",
  "pkey_mprotect",
  "madvise",
  "mlock",
  "mlock2",
  "munlock",
  "msync",
  "mlockall",
  "munlockall",
  "brk",
  "execve",
  "execveat",
  "shmget",
  "shmat",
  "shmdt",
  "shmctl",
  "memfd_create",
  "open",
  "openat",
  "creat",
  "close",
  "dup",
  "dup2",
  "dup3",
  "fcntl",
  "ftruncate",
]);
const MCL_CURRENT = 1;
const MCL_FUTURE = 2;
const SHM_RDONLY = 0o10000;
const SHM_EXEC = 0o100000;
const MREMAP_DONTUNMAP = 4;
const ADVICE: Record<string, "dontneed" | "pageout" | "willneed"> = {
  MADV_DONTNEED: "dontneed",
  MADV_PAGEOUT: "pageout",
  MADV_WILLNEED: "willneed",
};
/** Placeholder PID of an unprefixed process whose real PID is not known yet. */
const UNRESOLVED = -1;
/** Events held back while the unprefixed root's PID is unknown, at most. */
const HOLD_LIMIT = 10000;

/**
 * Turns `strace -f` output, line by line, into vmtrace events. Feed every line with
 * {@linkcode StraceImporter.feed}, then call {@linkcode StraceImporter.finish}; both return the
 * events produced so far (the same array, emptied on each call).
 *
 * @example
 * ```ts
 * import { StraceImporter } from "./strace.ts";
 * const imp = new StraceImporter({ touch: "populate" });
 * const lines = [
 *   "100   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
 *   "100   +++ exited with 0 +++",
 * ];
 * const ops: string[] = [];
 * lines.forEach((l, i) => imp.feed(l, i + 1).forEach((e) => ops.push(e.op)));
 * imp.finish();
 * if (ops.join(" ") !== "mmap w exit") throw new Error(ops.join(" "));
 * ```
 */
export class StraceImporter {
  /** Counts and warnings. */
  readonly stats: ImportStats;
  #name: string;
  #touch: TouchMode;
  #touchMaxPages: number;
  #defaultPid: number;
  #procs = new Map<number, Proc>();
  #out: Event[] = [];
  #held: Event[] | null = null;
  #rootPid: number | null = null;
  #lastPid: number | null = null;
  #seq = 0;
  #line = 0;
  /** Text of a line strace's "Process N attached" interrupted; the next line continues it. */
  #cut: string | null = null;
  #cutLine = 0;
  #shmSize = new Map<number, number>();
  #memfds = 0;
  #created = new Set<string>();
  #unnamedFds = new Set<string>();

  /** Makes an importer; see {@linkcode StraceImportOptions}. */
  constructor(opts: StraceImportOptions = {}) {
    this.#name = opts.name ?? "strace";
    this.#touch = opts.touch ?? "none";
    this.#touchMaxPages = Math.floor((opts.touchMax ?? 2 ** 30) / PAGE_SIZE);
    this.#defaultPid = opts.defaultPid ?? 1;
    this.stats = newImportStats();
  }

  /** Processes one line (1-based number `lineNo`); returns the events it produced. */
  feed(text: string, lineNo: number): Event[] {
    this.#out.length = 0;
    this.stats.lines++;
    if (this.#cut !== null) {
      const cut = this.#cut;
      this.#cut = null;
      // The continuation has no prefix and starts where the cut text stopped.
      if (/^[\s,)=<]/.test(text) && !/^\s*\[pid\s/.test(text)) {
        this.#handle(cut + text, this.#cutLine);
        return this.#flushOut();
      }
      this.#handle(cut, this.#cutLine);
    }
    if (
      /strace: Process \d+ attached$/.test(text) && !/^\s*(\[pid\s+\d+\]\s*)?strace:/.test(text)
    ) {
      this.#cut = text.replace(/strace: Process \d+ attached$/, "");
      this.#cutLine = lineNo;
      return this.#flushOut();
    }
    this.#handle(text, lineNo);
    return this.#flushOut();
  }

  /** Ends the input: reports calls that never completed; returns the last events. */
  finish(): Event[] {
    this.#out.length = 0;
    if (this.#cut !== null) {
      this.#handle(this.#cut, this.#cutLine);
      this.#cut = null;
    }
    for (const p of this.#procs.values()) {
      if (p.pending && p.alive) {
        this.#warn(
          p.pending.line,
          `${p.pending.name} by ${this.#who(p.pid)} never completed`,
        );
      }
    }
    if (this.#held) this.#resolveRoot(this.#defaultPid);
    return this.#flushOut();
  }

  /** How a message names a process (the unprefixed first one may not have a PID yet). */
  #who(pid: number): string {
    return pid === UNRESOLVED ? "the first process" : `PID ${pid}`;
  }

  #flushOut(): Event[] {
    return this.#out;
  }

  #emit(ev: Event): void {
    this.stats.events++;
    const p = this.#procs.get(ev.pid);
    if (p) p.emitted = true;
    if (this.#held) {
      this.#held.push(ev);
      if (this.#held.length >= HOLD_LIMIT) this.#resolveRoot(this.#defaultPid);
    } else this.#out.push(ev);
  }

  #warn(line: number, message: string): void {
    recordWarning(this.stats, line, message);
  }

  #fail(message: string): never {
    throw new ImportError(this.#name, this.#line, message);
  }

  // --- processes ---------------------------------------------------------------------------

  #newProc(pid: number, mm?: Mm, fds?: Map<number, string>): Proc {
    const p: Proc = {
      pid,
      mm: mm ?? { areas: new AreaMap(), brk: null, lockFuture: false },
      fds: fds ?? new Map(),
      alive: true,
      pending: null,
      emitted: false,
    };
    this.#procs.set(pid, p);
    return p;
  }

  /** Gives the unprefixed root its real PID: renames it and releases the held events. */
  #resolveRoot(pid: number): void {
    const p = this.#procs.get(UNRESOLVED);
    if (p) {
      this.#procs.delete(UNRESOLVED);
      p.pid = pid;
      this.#procs.set(pid, p);
    }
    if (this.#rootPid === UNRESOLVED) this.#rootPid = pid;
    if (this.#lastPid === UNRESOLVED) this.#lastPid = pid;
    const held = this.#held ?? [];
    this.#held = null;
    for (const ev of held) {
      if (ev.pid === UNRESOLVED) ev.pid = pid;
      if ((ev.op === "fork" || ev.op === "clone") && ev.child === UNRESOLVED) ev.child = pid;
      this.#out.push(ev);
    }
  }

  /** The process a line belongs to. */
  #procFor(l: StraceLine): Proc {
    if (l.pid !== null) {
      const known = this.#procs.get(l.pid);
      if (known) {
        if (!known.alive) {
          // PIDs are reused; a dead one that speaks again is a new process.
          this.#warn(
            this.#line,
            `PID ${l.pid} appears again after it exited; treated as a new process`,
          );
          return this.#appear(l.pid);
        }
        return known;
      }
      return this.#appear(l.pid);
    }
    // No prefix: either a single-process trace or strace on stderr with one tracee left.
    if (this.#rootPid === null) {
      this.#rootPid = UNRESOLVED;
      this.#held = [];
      return this.#newProc(UNRESOLVED);
    }
    if (l.kind === "resumed") {
      const waiting = [...this.#procs.values()].filter((p) =>
        p.alive && p.pending?.name === l.name
      );
      if (waiting.length === 1) return waiting[0]!;
    }
    const root = this.#procs.get(this.#rootPid);
    if (root?.alive) return root;
    const alive = [...this.#procs.values()].filter((p) => p.alive);
    if (alive.length === 1) return alive[0]!;
    const last = this.#lastPid !== null ? this.#procs.get(this.#lastPid) : undefined;
    if (last) return last;
    return this.#newProc(this.#defaultPid);
  }

  /** A PID seen for the first time. */
  #appear(pid: number): Proc {
    // A child often speaks before its parent's fork returns: give it to the oldest pending fork.
    let parent: Proc | null = null;
    for (const p of this.#procs.values()) {
      if (!p.alive || !p.pending || p.pending.child !== null) continue;
      if (!FORK_CALLS.has(p.pending.name)) continue;
      if (!parent || p.pending.seq < parent.pending!.seq) parent = p;
    }
    if (parent) {
      parent.pending!.child = pid;
      return this.#spawn(parent, pid, parent.pending!.name, parent.pending!.args);
    }
    if (this.#rootPid === null) {
      this.#rootPid = pid;
      return this.#newProc(pid);
    }
    if (this.#rootPid === UNRESOLVED && this.#procs.has(UNRESOLVED)) {
      this.#resolveRoot(pid);
      return this.#procs.get(pid)!;
    }
    this.#warn(
      this.#line,
      `PID ${pid} first appears without a fork in the trace; its earlier memory is unknown`,
    );
    return this.#newProc(pid);
  }

  /** Creates `child` of `parent` by a fork-like call and emits the event. */
  #spawn(parent: Proc, child: number, call: string, args: string): Proc {
    let flags = 0;
    if (call === "vfork") flags = CLONE_NAMES.CLONE_VM! | CLONE_NAMES.CLONE_VFORK!;
    else if (call !== "fork") {
      const m = /flags=([A-Za-z0-9_|]+)/.exec(args);
      if (m) {
        for (const part of m[1]!.split("|")) {
          const v = CLONE_NAMES[part] ?? (part.startsWith("SIG") ? 0 : parseSmall(part));
          if (v === undefined) this.#fail(`${call}: unknown clone flag '${part}'`);
          flags |= v;
        }
      }
    }
    const shareVm = (flags & CLONE_NAMES.CLONE_VM!) !== 0;
    const shareFiles = (flags & CLONE_NAMES.CLONE_FILES!) !== 0;
    const existing = this.#procs.get(child);
    if (existing?.alive) {
      this.#warn(this.#line, `${call} returned PID ${child}, which is already running`);
      return existing;
    }
    const fds = shareFiles ? parent.fds : new Map(parent.fds);
    let proc: Proc;
    if (shareVm) {
      // A thread, or a vfork child that borrows the address space until exec or exit.
      proc = this.#newProc(child, parent.mm, fds);
      this.#emit({ pid: parent.pid, op: "clone", child });
    } else {
      const mm: Mm = {
        areas: parent.mm.areas.clone(),
        brk: parent.mm.brk,
        lockFuture: false,
      };
      proc = this.#newProc(child, mm, fds);
      this.#emit({ pid: parent.pid, op: "fork", child });
      if (this.#touch === "all") {
        this.#touchAll(parent);
        this.#touchAll(proc);
      }
    }
    // The child exists in the trace from its fork event on, so its exec must be replayed.
    proc.emitted = true;
    this.stats.processes++;
    return proc;
  }

  // --- lines -------------------------------------------------------------------------------

  #handle(text: string, lineNo: number): void {
    this.#line = lineNo;
    const l = parseStraceLine(text);
    switch (l.kind) {
      case "noise":
        return;
      case "unknown":
        this.#fail(
          `expected a strace line (optional PID and timestamp, then NAME(ARGS) = RESULT, ` +
            `'<... NAME resumed>', '+++ ... +++' or '--- ... ---'), found '${clip(text)}'`,
        );
    }
    const proc = this.#procFor(l);
    this.#lastPid = proc.pid;
    switch (l.kind) {
      case "signal":
        this.stats.signals++;
        return;
      case "exited":
        if (/^(exited with|killed by)\b/.test(l.args)) this.#exit(proc);
        return;
      case "unfinished":
        if (proc.pending) {
          this.#warn(
            lineNo,
            `${proc.pending.name} by ${this.#who(proc.pid)} never completed`,
          );
        }
        proc.pending = { name: l.name, args: l.args, line: lineNo, child: null, seq: this.#seq++ };
        return;
      case "resumed": {
        const p = proc.pending;
        if (!p || p.name !== l.name) {
          this.#warn(lineNo, `'<... ${l.name} resumed>' without its start; skipped`);
          return;
        }
        proc.pending = null;
        if (l.ret === null) {
          this.#warn(lineNo, `${l.name}: no result; skipped`);
          return;
        }
        this.#call(proc, l.name, p.args + l.args, l.ret, p.child);
        return;
      }
      case "call":
        this.#call(proc, l.name, l.args, l.ret ?? "?", null);
        return;
    }
  }

  #exit(proc: Proc): void {
    if (!proc.alive) return;
    proc.alive = false;
    proc.pending = null;
    this.#emit({ pid: proc.pid, op: "exit" });
  }

  #call(proc: Proc, name: string, argText: string, retText: string, child: number | null): void {
    this.stats.syscalls++;
    const res = parseResult(retText);
    if (res.failed) {
      this.stats.failed++;
      if (child !== null) {
        this.#warn(this.#line, `${name} failed but PID ${child} had appeared as its child`);
      }
      return;
    }
    if (!HANDLED.has(name)) return;
    if (res.value === "?") {
      if (name !== "exit" && name !== "exit_group" && !FORK_CALLS.has(name)) {
        this.#warn(
          this.#line,
          `${name}: the result is unknown (the process ended during the call); skipped`,
        );
      }
      return;
    }
    this.stats.handled++;
    const args = splitArgs(argText);
    const ret = res.value;
    switch (name) {
      case "mmap":
        return this.#mmap(proc, args, ret);
      case "munmap":
        return this.#munmap(proc, args);
      case "mremap":
        return this.#mremap(proc, args, ret);
      case "mprotect":
      case "pkey_mprotect":
        return this.#mprotect(proc, args);
      case "madvise":
        return this.#madvise(proc, args);
      case "mlock":
      case "mlock2":
      case "munlock":
      case "msync":
        return this.#range(proc, args, name);
      case "mlockall":
      case "munlockall":
        return this.#lockAll(proc, args, name);
      case "brk":
        return this.#brk(proc, ret);
      case "execve":
      case "execveat":
        return this.#exec(proc);
      case "shmget":
        return this.#shmget(proc, args, ret);
      case "shmat":
        return this.#shmat(proc, args, ret);
      case "shmdt":
        return this.#shmdt(proc, args);
      case "shmctl":
        return this.#shmctl(proc, args);
      case "memfd_create":
        return this.#memfd(proc, args, ret);
      case "open":
      case "openat":
      case "creat":
        return this.#open(proc, args, ret, res.path, name);
      case "close":
        return this.#close(proc, args);
      case "dup":
      case "dup2":
      case "dup3":
      case "fcntl":
        return this.#dup(proc, args, ret, name);
      case "ftruncate":
        return this.#ftruncate(proc, args);
      default:
        return this.#forkLike(proc, ret, name, child, argText);
    }
  }

  // --- helpers for handlers ----------------------------------------------------------------

  #arg(name: string, args: string[], i: number, what: string): string {
    const a = args[i];
    if (a === undefined) {
      this.#fail(
        `${name}: expected ${what} as argument ${i + 1}, found only ${args.length} arguments`,
      );
    }
    return a;
  }

  #addr(name: string, args: string[], i: number): number {
    const text = this.#arg(name, args, i, "an address");
    const v = parseInteger(text);
    if (v === undefined) {
      this.#fail(`${name}: expected an address as argument ${i + 1}, found '${clip(text)}'`);
    }
    return this.#exact(name, v);
  }

  #exact(name: string, v: Addr): number {
    if (typeof v === "bigint") {
      this.#fail(`${name}: address ${v.toString(16)} is beyond what a user address space holds`);
    }
    return v;
  }

  #num(name: string, args: string[], i: number, what: string): number {
    const text = this.#arg(name, args, i, what);
    const v = parseSmall(text);
    if (v === undefined) {
      this.#fail(`${name}: expected ${what} as argument ${i + 1}, found '${clip(text)}'`);
    }
    return v;
  }

  #flags(
    name: string,
    args: string[],
    i: number,
    names: Record<string, number>,
    what: string,
  ): number {
    const text = this.#arg(name, args, i, what);
    const v = parseFlags(text, names);
    if (v === undefined) {
      this.#fail(`${name}: expected ${what} as argument ${i + 1}, found '${clip(text)}'`);
    }
    return v;
  }

  #retAddr(name: string, ret: string): number {
    const v = parseInteger(ret);
    if (v === undefined) {
      this.#fail(`${name}: expected an address as the result, found '${clip(ret)}'`);
    }
    return this.#exact(name, v);
  }

  /**
   * The mapped parts of `[addr, addr + len)`; warns about the rest (memory the trace never
   * mapped: the program image, the stack, areas from before the trace began).
   */
  #mapped(proc: Proc, name: string, addr: number, len: number): PageRange[] {
    const [s, e] = pageSpan(addr, len);
    const cov = proc.mm.areas.covered(s, e);
    let n = 0;
    for (const r of cov) n += r.end - r.start;
    if (n < e - s) {
      const what = n === 0 ? "memory" : `${e - s - n} of ${e - s} pages`;
      this.#warn(
        this.#line,
        `${name} of ${hex(addr)}+${len} by ${this.#who(proc.pid)}: ${what} the trace never ` +
          `mapped (program image, stack or earlier areas); ${
            n === 0 ? "skipped" : "only the mapped part kept"
          }`,
      );
    }
    return cov;
  }

  #touchRange(proc: Proc, start: number, end: number, prot: number, flags: number): void {
    if (this.#touch === "none" || end <= start) return;
    if (flags & MapFlag.noreserve || end - start > this.#touchMaxPages) return;
    const op = prot & Prot.write ? "w" : prot & Prot.read ? "r" : prot & Prot.exec ? "x" : null;
    if (op === null) return;
    this.stats.touches++;
    this.#emit({ pid: proc.pid, op, addr: start * PAGE_SIZE, len: (end - start) * PAGE_SIZE });
  }

  #touchAreas(proc: Proc, start: number, end: number): void {
    for (const a of proc.mm.areas.areas) {
      if (a.end <= start || a.start >= end) continue;
      this.#touchRange(proc, Math.max(a.start, start), Math.min(a.end, end), a.prot, a.flags);
    }
  }

  #touchAll(proc: Proc): void {
    this.#touchAreas(proc, 0, Infinity);
  }

  #objectForFd(proc: Proc, fd: number, path: string | null): string {
    const known = proc.fds.get(fd);
    if (known?.startsWith("tmpfs:memfd:")) return known;
    if (path !== null) return objectForPath(path);
    if (known) return known;
    const name = `file:unknown/pid${proc.pid === UNRESOLVED ? this.#defaultPid : proc.pid}.fd${fd}`;
    if (!this.#unnamedFds.has(name)) {
      this.#unnamedFds.add(name);
      this.#warn(
        this.#line,
        `fd ${fd} of ${this.#who(proc.pid)} is mapped but its file is unknown ` +
          `(no -y decoration and no open in the trace); named ${name}`,
      );
    }
    return name;
  }

  #mapArea(proc: Proc, area: Area, ev: Event): void {
    this.#emit(ev);
    proc.mm.areas.map(area);
    this.#touchRange(proc, area.start, area.end, area.prot, area.flags);
  }

  // --- system calls ------------------------------------------------------------------------

  /** `mmap(addr, len, prot, flags, fd, off) = addr`. */
  #mmap(proc: Proc, args: string[], ret: string): void {
    const len = this.#num("mmap", args, 1, "a length");
    const prot = this.#flags("mmap", args, 2, PROT_NAMES, "PROT_* flags") & 7;
    const mf = this.#flags("mmap", args, 3, MAP_NAMES, "MAP_* flags");
    const fdText = this.#arg("mmap", args, 4, "a file descriptor");
    const fd = parseFd(fdText);
    if (!fd) this.#fail(`mmap: expected a file descriptor as argument 5, found '${clip(fdText)}'`);
    const offset = this.#num("mmap", args, 5, "an offset");
    const addr = this.#retAddr("mmap", ret);
    let flags = (mf & 3) === 2 ? MapFlag.private : MapFlag.shared;
    const anon = (mf & MAP_NAMES.MAP_ANONYMOUS!) !== 0;
    if (anon) flags |= MapFlag.anon;
    if (mf & MAP_NAMES.MAP_POPULATE!) flags |= MapFlag.populate;
    if (mf & MAP_NAMES.MAP_LOCKED! || proc.mm.lockFuture) flags |= MapFlag.locked;
    if (mf & MAP_NAMES.MAP_GROWSDOWN!) flags |= MapFlag.growsdown;
    if (mf & MAP_NAMES.MAP_NORESERVE!) flags |= MapFlag.noreserve;
    const [s, e] = pageSpan(addr, len);
    if (anon) {
      this.#mapArea(proc, { start: s, end: e, prot, flags, pgoff: 0 }, {
        pid: proc.pid,
        op: "mmap",
        addr,
        len,
        prot,
        flags,
      });
      return;
    }
    const object = this.#objectForFd(proc, fd.fd, fd.path);
    const pgoff = Math.floor(offset / PAGE_SIZE);
    this.#mapArea(proc, { start: s, end: e, prot, flags, object, pgoff }, {
      pid: proc.pid,
      op: "mmap",
      addr,
      len,
      prot,
      flags,
      object,
      offset: pgoff * PAGE_SIZE,
    });
  }

  /** `munmap(addr, len) = 0`. */
  #munmap(proc: Proc, args: string[]): void {
    const addr = this.#addr("munmap", args, 0);
    const len = this.#num("munmap", args, 1, "a length");
    for (const r of this.#mapped(proc, "munmap", addr, len)) {
      this.#emit({ pid: proc.pid, op: "munmap", ...rangeOf(r) });
      proc.mm.areas.unmap(r.start, r.end);
    }
  }

  /** `mremap(old, oldlen, newlen, flags[, newaddr]) = newaddr`. */
  #mremap(proc: Proc, args: string[], ret: string): void {
    const addr = this.#addr("mremap", args, 0);
    const len = this.#num("mremap", args, 1, "the old length");
    const newLen = this.#num("mremap", args, 2, "the new length");
    const mflags = this.#flags("mremap", args, 3, {
      MREMAP_MAYMOVE: 1,
      MREMAP_FIXED: 2,
      MREMAP_DONTUNMAP: MREMAP_DONTUNMAP,
    }, "MREMAP_* flags");
    const newAddr = this.#retAddr("mremap", ret);
    const [os, oe] = pageSpan(addr, len);
    const [ns, ne] = pageSpan(newAddr, newLen);
    if (len === 0) {
      this.#warn(
        this.#line,
        `mremap with old length 0 (a second mapping of shared memory) is not modelled; skipped`,
      );
      return;
    }
    const first = proc.mm.areas.find(os);
    const cov = proc.mm.areas.covered(os, oe);
    if (!first || cov.length !== 1 || cov[0]!.end !== oe) {
      this.#warn(
        this.#line,
        `mremap of ${hex(addr)}+${len} by ${this.#who(proc.pid)}: memory the trace never mapped ` +
          `(program image, stack or earlier areas); skipped`,
      );
      proc.mm.areas.unmap(os, oe);
      return;
    }
    const template = { ...first };
    this.#emit({ pid: proc.pid, op: "mremap", addr, len, newAddr, newLen });
    proc.mm.areas.remap(os, oe - os, ns, ne - ns);
    if (mflags & MREMAP_DONTUNMAP) {
      // The old range stays mapped, empty: map it again as it was.
      this.#emit(eventOfArea(proc.pid, { ...template, start: os, end: oe }));
      proc.mm.areas.map({ ...template, start: os, end: oe });
    }
    if (ne - ns > oe - os) {
      const grown = proc.mm.areas.find(ne - 1);
      if (grown) this.#touchRange(proc, ns + (oe - os), ne, grown.prot, grown.flags);
    }
  }

  /** `mprotect(addr, len, prot) = 0` (and `pkey_mprotect`). */
  #mprotect(proc: Proc, args: string[]): void {
    const addr = this.#addr("mprotect", args, 0);
    const len = this.#num("mprotect", args, 1, "a length");
    const prot = this.#flags("mprotect", args, 2, PROT_NAMES, "PROT_* flags") & 7;
    for (const r of this.#mapped(proc, "mprotect", addr, len)) {
      this.#emit({ pid: proc.pid, op: "mprotect", ...rangeOf(r), prot });
      for (const opened of proc.mm.areas.protect(r.start, r.end, prot)) {
        this.#touchAreas(proc, opened.start, opened.end);
      }
    }
  }

  /** `madvise(addr, len, advice) = 0`. */
  #madvise(proc: Proc, args: string[]): void {
    const addr = this.#addr("madvise", args, 0);
    const len = this.#num("madvise", args, 1, "a length");
    const adviceText = this.#arg("madvise", args, 2, "an advice").trim();
    const advice = ADVICE[adviceText];
    if (!advice) {
      this.stats.ignored[`madvise ${adviceText}`] =
        (this.stats.ignored[`madvise ${adviceText}`] ?? 0) + 1;
      return;
    }
    for (const r of this.#mapped(proc, "madvise", addr, len)) {
      this.#emit({ pid: proc.pid, op: "madvise", ...rangeOf(r), advice });
    }
  }

  /** `mlock`, `mlock2`, `munlock`, `msync`: `(addr, len, ...) = 0`. */
  #range(proc: Proc, args: string[], name: string): void {
    const op = name === "mlock2" ? "mlock" : name as "mlock" | "munlock" | "msync";
    const addr = this.#addr(name, args, 0);
    const len = this.#num(name, args, 1, "a length");
    for (const r of this.#mapped(proc, name, addr, len)) {
      this.#emit({ pid: proc.pid, op, ...rangeOf(r) });
    }
  }

  /** `mlockall(flags)` / `munlockall()`. */
  #lockAll(proc: Proc, args: string[], name: string): void {
    let how = 0;
    if (name === "mlockall") {
      how = this.#flags(name, args, 0, { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT: 4 }, "MCL_* flags");
    }
    const op = name === "mlockall" ? "mlock" : "munlock";
    if (name === "munlockall" || how & MCL_CURRENT) {
      for (const a of proc.mm.areas.areas) {
        this.#emit({ pid: proc.pid, op, ...rangeOf(a) });
      }
    }
    proc.mm.lockFuture = name === "mlockall" && (how & MCL_FUTURE) !== 0;
  }

  /** `brk(addr) = newbrk`: heap growth maps, shrinking unmaps. */
  #brk(proc: Proc, ret: string): void {
    const now = this.#retAddr("brk", ret);
    const old = proc.mm.brk;
    proc.mm.brk = now;
    if (old === null || old === now) return;
    const s = Math.ceil(Math.min(old, now) / PAGE_SIZE);
    const e = Math.ceil(Math.max(old, now) / PAGE_SIZE);
    if (e <= s) return;
    if (now > old) {
      const area: Area = {
        start: s,
        end: e,
        prot: 3,
        flags: MapFlag.private | MapFlag.anon,
        pgoff: 0,
      };
      this.#mapArea(proc, area, eventOfArea(proc.pid, area));
    } else {
      this.#emit({ pid: proc.pid, op: "munmap", addr: s * PAGE_SIZE, len: (e - s) * PAGE_SIZE });
      proc.mm.areas.unmap(s, e);
    }
  }

  /** `fork`, `vfork`, `clone`, `clone3` `= CHILD` in the parent. */
  #forkLike(proc: Proc, ret: string, name: string, assigned: number | null, text: string): void {
    const child = parseSmall(ret);
    if (child === undefined || child <= 0) {
      if (child === 0) return; // strace -f shows the child's side of a fork only in odd cases
      this.#fail(`${name}: expected a PID as the result, found '${clip(ret)}'`);
    }
    if (assigned !== null) {
      if (assigned !== child) {
        this.#warn(
          this.#line,
          `${name} returned PID ${child}, but PID ${assigned} had appeared as its child`,
        );
      }
      if (this.#procs.get(child)?.alive) return;
    }
    const existing = this.#procs.get(child);
    if (existing?.alive && !existing.emitted) {
      // It was first seen in an ambiguous position; it is this parent's child after all.
      this.#procs.delete(child);
    }
    this.#spawn(proc, child, name, text);
  }

  /** `execve(...) = 0`: a new, empty address space. */
  #exec(proc: Proc): void {
    const fresh: Mm = { areas: new AreaMap(), brk: null, lockFuture: false };
    if (proc.emitted) this.#emit({ pid: proc.pid, op: "exec" });
    proc.mm = fresh;
  }

  /** `shmget(key, size, flags) = id`. */
  #shmget(proc: Proc, args: string[], ret: string): void {
    const size = this.#num("shmget", args, 1, "a size");
    const id = this.#num("shmget", [ret], 0, "an id");
    if (!this.#shmSize.has(id) && size > 0) {
      this.#shmSize.set(id, size);
      this.#emit({ pid: proc.pid, op: "create", object: `shm:${id}`, size });
      this.#created.add(`shm:${id}`);
    }
  }

  /** `shmat(id, addr, flags) = addr`. */
  #shmat(proc: Proc, args: string[], ret: string): void {
    const id = this.#num("shmat", args, 0, "an id");
    const how = this.#flags("shmat", args, 2, {
      SHM_RDONLY,
      SHM_RND: 0o20000,
      SHM_REMAP: 0o40000,
      SHM_EXEC,
    }, "SHM_* flags");
    const addr = this.#retAddr("shmat", ret);
    const size = this.#shmSize.get(id);
    if (size === undefined) {
      this.#warn(
        this.#line,
        `shmat of segment ${id}, which was created before the trace began (size unknown); skipped`,
      );
      return;
    }
    const prot = how & SHM_RDONLY
      ? Prot.read
      : Prot.read | Prot.write | (how & SHM_EXEC ? Prot.exec : 0);
    const [s, e] = pageSpan(addr, size);
    const area: Area = {
      start: s,
      end: e,
      prot,
      flags: MapFlag.shared,
      object: `shm:${id}`,
      pgoff: 0,
    };
    this.#mapArea(proc, area, { ...eventOfArea(proc.pid, area), len: size });
  }

  /** `shmdt(addr) = 0`. */
  #shmdt(proc: Proc, args: string[]): void {
    const addr = this.#addr("shmdt", args, 0);
    const [s] = pageSpan(addr, 1);
    const a = proc.mm.areas.find(s);
    if (!a || !a.object?.startsWith("shm:")) {
      this.#warn(
        this.#line,
        `shmdt of ${hex(addr)} by ${
          this.#who(proc.pid)
        }: no segment the trace attached there; skipped`,
      );
      return;
    }
    let e = a.end;
    for (const b of proc.mm.areas.areas) if (b.start === e && b.object === a.object) e = b.end;
    this.#emit({ pid: proc.pid, op: "munmap", addr: s * PAGE_SIZE, len: (e - s) * PAGE_SIZE });
    proc.mm.areas.unmap(s, e);
  }

  /** `shmctl(id, IPC_RMID, ...) = 0`. */
  #shmctl(proc: Proc, args: string[]): void {
    const id = this.#num("shmctl", args, 0, "an id");
    const cmd = this.#arg("shmctl", args, 1, "a command");
    if (!/\bIPC_RMID\b/.test(cmd)) return;
    if (this.#shmSize.delete(id)) this.#emit({ pid: proc.pid, op: "unlink", object: `shm:${id}` });
  }

  /** `memfd_create("name", flags) = fd`. */
  #memfd(proc: Proc, args: string[], ret: string): void {
    const name = parseCString(this.#arg("memfd_create", args, 0, "a name")) ?? "anon";
    const fd = this.#num("memfd_create", [ret], 0, "a file descriptor");
    this.#memfds++;
    proc.fds.set(fd, `tmpfs:memfd:${sanitize(name)}.${this.#memfds}`);
  }

  /** `open`, `openat`, `creat` `= fd`: remembers which file an fd is. */
  #open(proc: Proc, args: string[], ret: string, path: string | null, name: string): void {
    const fd = parseSmall(ret);
    if (fd === undefined) return;
    const pathArg = args[name === "openat" ? 1 : 0];
    const p = path ?? (pathArg !== undefined ? parseCString(pathArg) : undefined);
    if (p !== undefined) proc.fds.set(fd, objectForPath(p));
  }

  /** `close(fd) = 0`. */
  #close(proc: Proc, args: string[]): void {
    const fd = parseFd(args[0] ?? "");
    if (fd) proc.fds.delete(fd.fd);
  }

  /** `dup`, `dup2`, `dup3`, `fcntl(F_DUPFD...)` `= newfd`. */
  #dup(proc: Proc, args: string[], ret: string, name: string): void {
    if (name === "fcntl" && !/^F_DUPFD/.test(args[1] ?? "")) return;
    const from = parseFd(args[0] ?? "");
    const to = parseSmall(ret);
    if (!from || to === undefined) return;
    const obj = proc.fds.get(from.fd);
    if (obj) proc.fds.set(to, obj);
    else proc.fds.delete(to);
  }

  /** `ftruncate(fd, size) = 0`: the object's size. */
  #ftruncate(proc: Proc, args: string[]): void {
    const fd = parseFd(args[0] ?? "");
    if (!fd) return;
    const size = this.#num("ftruncate", args, 1, "a size");
    const obj = proc.fds.get(fd.fd) ?? (fd.path !== null ? objectForPath(fd.path) : undefined);
    if (!obj) return;
    const op = this.#created.has(obj) || obj.startsWith("file:") ? "truncate" : "create";
    this.#created.add(obj);
    this.#emit({ pid: proc.pid, op, object: obj, size });
  }
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
function sanitize(s: string): string {
  return s.replace(/[\s#%]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function pageSpan(addr: number, len: number): [number, number] {
  const s = Math.floor(addr / PAGE_SIZE);
  const e = Math.ceil((addr + len) / PAGE_SIZE);
  return [s, Math.max(e, s)];
}

function rangeOf(r: PageRange): { addr: number; len: number } {
  return { addr: r.start * PAGE_SIZE, len: (r.end - r.start) * PAGE_SIZE };
}

function eventOfArea(pid: number, a: Area): MmapEvent {
  const ev: MmapEvent = { pid, op: "mmap", ...rangeOf(a), prot: a.prot, flags: a.flags };
  if (a.object !== undefined) {
    ev.object = a.object;
    ev.offset = a.pgoff * PAGE_SIZE;
  }
  return ev;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Imports `strace -f` output line by line, yielding vmtrace events as they are produced.
 *
 * @example
 * ```ts
 * import { importStrace } from "./strace.ts";
 * const lines = ["brk(NULL) = 0x1000000", "brk(0x1002000) = 0x1002000", "+++ exited with 0 +++"];
 * const ops: string[] = [];
 * for await (const ev of importStrace(lines)) ops.push(`${ev.pid} ${ev.op}`);
 * if (ops.join(",") !== "1 mmap,1 exit") throw new Error(ops.join(","));
 * ```
 */
export async function* importStrace(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: StraceImportOptions & { stats?: (s: ImportStats) => void } = {},
): AsyncIterableIterator<Event> {
  const imp = new StraceImporter(opts);
  let n = 0;
  for await (const line of lines) {
    const out = imp.feed(line, ++n);
    if (out.length > 0) yield* out.splice(0);
  }
  yield* imp.finish().splice(0);
  opts.stats?.(imp.stats);
}
