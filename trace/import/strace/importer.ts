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
import { ACCESS_MAX } from "../../../uapi/limits.ts";
import { type Event, MapFlag, PAGE_SIZE, Prot } from "../../event.ts";
import { type Area, AreaMap, type PageRange } from "../area_map.ts";
import { ImportError, type ImportStats, newImportStats, recordWarning } from "../import_stats.ts";
import { CLONE_NAMES, parseSmall, splitArgs } from "./args.ts";
import {
  type CallContext,
  clip,
  hex,
  makeProc,
  mappedParts,
  MEMORY_SYSCALLS,
  type Mm,
  objectForPath,
  objectState,
  type Proc,
} from "./_context.ts";
import {
  brkCall,
  closeCall,
  dupCall,
  ftruncateCall,
  lockAllCall,
  madviseCall,
  memfdCall,
  mmapCall,
  mprotectCall,
  mremapCall,
  munmapCall,
  openCall,
  rangeCall,
  shmatCall,
  shmctlCall,
  shmdtCall,
  shmgetCall,
} from "./calls.ts";
import { parseResult, parseStraceLine, type StraceLine } from "./line.ts";

export { objectForPath } from "./_context.ts";

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

const FORK_CALLS = new Set(["fork", "vfork", "clone", "clone2", "clone3"]);
/** The system calls the importer acts on; every other one is only counted. */
const HANDLED = new Set([
  ...FORK_CALLS,
  ...MEMORY_SYSCALLS,
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
 * import { StraceImporter } from "./importer.ts";
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
  #unnamedFds = new Set<string>();
  #ctx: CallContext;

  /** Makes an importer; see {@linkcode StraceImportOptions}. */
  constructor(opts: StraceImportOptions = {}) {
    this.#name = opts.name ?? "strace";
    this.#touch = opts.touch ?? "none";
    this.#touchMaxPages = Math.floor((opts.touchMax ?? 2 ** 30) / PAGE_SIZE);
    this.#defaultPid = opts.defaultPid ?? 1;
    this.stats = newImportStats();
    this.#ctx = {
      emit: (ev) => this.#emit(ev),
      warn: (message) => this.#warn(this.#line, message),
      fail: (message) => this.#fail(message),
      who: (pid) => this.#who(pid),
      mapped: (proc, name, addr, len) => this.#mapped(proc, name, addr, len),
      touchRange: (proc, s, e, prot, flags) => this.#touchRange(proc, s, e, prot, flags),
      touchAreas: (proc, s, e) => this.#touchAreas(proc, s, e),
      objectForFd: (proc, fd, path) => this.#objectForFd(proc, fd, path),
      mapArea: (proc, area, ev) => this.#mapArea(proc, area, ev),
      ...objectState(this.stats),
    };
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
    if (!this.#recognized) {
      // An empty file, or nothing but attach messages: not a trace of anything.
      throw new ImportError(
        this.#name,
        0,
        `no strace output in ${this.stats.lines} lines: expected what 'strace -f -o FILE ` +
          `COMMAND' writes (PID NAME(ARGS) = RESULT per line)`,
      );
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

  /** Whether any line was strace's own (a call, a resumption, a signal, an exit). */
  #recognized = false;

  #warn(line: number, message: string): void {
    recordWarning(this.stats, line, message);
  }

  #fail(message: string): never {
    throw new ImportError(this.#name, this.#line, message);
  }

  // --- processes ---------------------------------------------------------------------------

  #newProc(pid: number, mm?: Mm, fds?: Map<number, string>): Proc {
    const p = makeProc(pid, mm, fds);
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
    this.#recognized = true;
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
        return mmapCall(this.#ctx, proc, args, ret);
      case "munmap":
        return munmapCall(this.#ctx, proc, args);
      case "mremap":
        return mremapCall(this.#ctx, proc, args, ret);
      case "mprotect":
      case "pkey_mprotect":
        return mprotectCall(this.#ctx, proc, args);
      case "madvise":
        return madviseCall(this.#ctx, proc, args);
      case "mlock":
      case "mlock2":
      case "munlock":
      case "msync":
        return rangeCall(this.#ctx, proc, args, name);
      case "mlockall":
      case "munlockall":
        return lockAllCall(this.#ctx, proc, args, name);
      case "brk":
        return brkCall(this.#ctx, proc, ret);
      case "execve":
      case "execveat":
        return this.#exec(proc);
      case "shmget":
        return shmgetCall(this.#ctx, proc, args, ret);
      case "shmat":
        return shmatCall(this.#ctx, proc, args, ret);
      case "shmdt":
        return shmdtCall(this.#ctx, proc, args);
      case "shmctl":
        return shmctlCall(this.#ctx, proc, args);
      case "memfd_create":
        return memfdCall(this.#ctx, proc, args, ret);
      case "open":
      case "openat":
      case "creat":
        return openCall(this.#ctx, proc, args, ret, res.path, name);
      case "close":
        return closeCall(this.#ctx, proc, args);
      case "dup":
      case "dup2":
      case "dup3":
      case "fcntl":
        return dupCall(this.#ctx, proc, args, ret, name);
      case "ftruncate":
        return ftruncateCall(this.#ctx, proc, args);
      default:
        return this.#forkLike(proc, ret, name, child, argText);
    }
  }

  // --- helpers for handlers ----------------------------------------------------------------

  /**
   * The mapped parts of `[addr, addr + len)`. A call wholly on memory the trace never mapped (the
   * program image, loader and stack `execve` maps, areas from before the trace began) is counted
   * in `outsideCalls`; one partly on it is a warning.
   */
  #mapped(proc: Proc, name: string, addr: number, len: number): PageRange[] {
    const { parts, missing, pages } = mappedParts(proc, addr, len, this.stats);
    if (missing > 0) {
      this.#warn(
        this.#line,
        `${name} of ${hex(addr)}+${len} by ${this.#who(proc.pid)}: ${missing} of ${pages} ` +
          `pages the trace never mapped (program image, stack or earlier areas); only the mapped ` +
          `part kept`,
      );
    }
    return parts;
  }

  #touchRange(proc: Proc, start: number, end: number, prot: number, flags: number): void {
    if (this.#touch === "none" || end <= start) return;
    if (flags & MapFlag.noreserve || end - start > this.#touchMaxPages) return;
    const op = prot & Prot.write ? "w" : prot & Prot.read ? "r" : prot & Prot.exec ? "x" : null;
    if (op === null) return;
    // One access covers at most 1 GiB (`limits.ts`): a larger area takes several.
    const most = ACCESS_MAX / PAGE_SIZE;
    for (let s = start; s < end; s += most) {
      this.stats.touches++;
      const pages = Math.min(most, end - s);
      this.#emit({ pid: proc.pid, op, addr: s * PAGE_SIZE, len: pages * PAGE_SIZE });
    }
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

  /** `fork`, `vfork`, `clone`, `clone3` `= CHILD` in the parent. */
  #forkLike(proc: Proc, ret: string, name: string, assigned: number | null, text: string): void {
    const child = parseSmall(ret);
    if (child === undefined || child <= 0) {
      if (child === 0) return; // strace -f shows the child's side of a fork only in odd cases
      this.#fail(`${name}: expected a PID as the result, found '${clip(ret)}'`);
    }
    if (assigned !== null) {
      // The child was created when it first spoke, before this return: alive or (a vfork child
      // that exited before its parent resumed) already gone, it is not created twice.
      if (assigned === child) return;
      this.#warn(
        this.#line,
        `${name} returned PID ${child}, but PID ${assigned} had appeared as its child`,
      );
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
}

/**
 * Imports `strace -f` output line by line, yielding vmtrace events as they are produced.
 *
 * @example
 * ```ts
 * import { importStrace } from "./importer.ts";
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
