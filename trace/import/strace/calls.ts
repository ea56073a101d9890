/**
 * What each address-space system call of an strace trace becomes: mmap, munmap, mremap,
 * mprotect, madvise, mlock and friends, brk, System V shm, memfd and the fd bookkeeping that
 * names mapped files. {@linkcode StraceImporter} parses lines and keeps the processes; it calls
 * these with a {@linkcode CallContext} through which they emit events and warnings.
 *
 * @module
 */
import { type Addr, MapFlag, PAGE_SIZE, Prot } from "../../event.ts";
import type { Area } from "../area_map.ts";
import {
  type CallContext,
  clip,
  eventOfArea,
  hex,
  objectForPath,
  pageSpan,
  type Proc,
  rangeOf,
  sanitize,
} from "./_context.ts";
import {
  MAP_NAMES,
  parseCString,
  parseFd,
  parseFlags,
  parseInteger,
  parseSmall,
  PROT_NAMES,
} from "./args.ts";

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

/** Argument `i` of call `name`; fails naming what was expected when it is missing. */
export function arg(
  ctx: CallContext,
  name: string,
  args: string[],
  i: number,
  what: string,
): string {
  const a = args[i];
  if (a === undefined) {
    ctx.fail(
      `${name}: expected ${what} as argument ${i + 1}, found only ${args.length} arguments`,
    );
  }
  return a;
}

/** Argument `i` as an address. */
export function addrArg(ctx: CallContext, name: string, args: string[], i: number): number {
  const text = arg(ctx, name, args, i, "an address");
  const v = parseInteger(text);
  if (v === undefined) {
    ctx.fail(`${name}: expected an address as argument ${i + 1}, found '${clip(text)}'`);
  }
  return exact(ctx, name, v);
}

/** `v` as an exact number (user addresses are below 2^53). */
export function exact(ctx: CallContext, name: string, v: Addr): number {
  if (typeof v === "bigint") {
    ctx.fail(`${name}: address ${v.toString(16)} is beyond what a user address space holds`);
  }
  return v;
}

/** Argument `i` as an integer. */
export function numArg(
  ctx: CallContext,
  name: string,
  args: string[],
  i: number,
  what: string,
): number {
  const text = arg(ctx, name, args, i, what);
  const v = parseSmall(text);
  if (v === undefined) {
    ctx.fail(`${name}: expected ${what} as argument ${i + 1}, found '${clip(text)}'`);
  }
  return v;
}

/** Argument `i` as a flag set decoded with `names`. */
export function flagsArg(
  ctx: CallContext,
  name: string,
  args: string[],
  i: number,
  names: Record<string, number>,
  what: string,
): number {
  const text = arg(ctx, name, args, i, what);
  const v = parseFlags(text, names);
  if (v === undefined) {
    ctx.fail(`${name}: expected ${what} as argument ${i + 1}, found '${clip(text)}'`);
  }
  return v;
}

/** The result as an address. */
export function retAddr(ctx: CallContext, name: string, ret: string): number {
  const v = parseInteger(ret);
  if (v === undefined) {
    ctx.fail(`${name}: expected an address as the result, found '${clip(ret)}'`);
  }
  return exact(ctx, name, v);
}

/** `mmap(addr, len, prot, flags, fd, off) = addr`. */
export function mmapCall(ctx: CallContext, proc: Proc, args: string[], ret: string): void {
  const len = numArg(ctx, "mmap", args, 1, "a length");
  const prot = flagsArg(ctx, "mmap", args, 2, PROT_NAMES, "PROT_* flags") & 7;
  const mf = flagsArg(ctx, "mmap", args, 3, MAP_NAMES, "MAP_* flags");
  const fdText = arg(ctx, "mmap", args, 4, "a file descriptor");
  const fd = parseFd(fdText);
  if (!fd) ctx.fail(`mmap: expected a file descriptor as argument 5, found '${clip(fdText)}'`);
  const offset = numArg(ctx, "mmap", args, 5, "an offset");
  const addr = retAddr(ctx, "mmap", ret);
  let flags = (mf & 3) === 2 ? MapFlag.private : MapFlag.shared;
  const anon = (mf & MAP_NAMES.MAP_ANONYMOUS!) !== 0;
  if (anon) flags |= MapFlag.anon;
  if (mf & MAP_NAMES.MAP_POPULATE!) flags |= MapFlag.populate;
  if (mf & MAP_NAMES.MAP_LOCKED! || proc.mm.lockFuture) flags |= MapFlag.locked;
  if (mf & MAP_NAMES.MAP_GROWSDOWN!) flags |= MapFlag.growsdown;
  if (mf & MAP_NAMES.MAP_NORESERVE!) flags |= MapFlag.noreserve;
  const [s, e] = pageSpan(addr, len);
  const ev = { pid: proc.pid, op: "mmap", addr, len, prot, flags } as const;
  if (anon) {
    ctx.mapArea(proc, { start: s, end: e, prot, flags, pgoff: 0 }, ev);
    return;
  }
  const object = ctx.objectForFd(proc, fd.fd, fd.path);
  const pgoff = Math.floor(offset / PAGE_SIZE);
  ctx.mapArea(proc, { start: s, end: e, prot, flags, object, pgoff }, {
    ...ev,
    object,
    offset: pgoff * PAGE_SIZE,
  });
}

/** `munmap(addr, len) = 0`. */
export function munmapCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const addr = addrArg(ctx, "munmap", args, 0);
  const len = numArg(ctx, "munmap", args, 1, "a length");
  for (const r of ctx.mapped(proc, "munmap", addr, len)) {
    ctx.emit({ pid: proc.pid, op: "munmap", ...rangeOf(r) });
    proc.mm.areas.unmap(r.start, r.end);
  }
}

/** `mremap(old, oldlen, newlen, flags[, newaddr]) = newaddr`. */
export function mremapCall(ctx: CallContext, proc: Proc, args: string[], ret: string): void {
  const addr = addrArg(ctx, "mremap", args, 0);
  const len = numArg(ctx, "mremap", args, 1, "the old length");
  const newLen = numArg(ctx, "mremap", args, 2, "the new length");
  const mflags = flagsArg(ctx, "mremap", args, 3, {
    MREMAP_MAYMOVE: 1,
    MREMAP_FIXED: 2,
    MREMAP_DONTUNMAP: MREMAP_DONTUNMAP,
  }, "MREMAP_* flags");
  const newAddr = retAddr(ctx, "mremap", ret);
  const [os, oe] = pageSpan(addr, len);
  const [ns, ne] = pageSpan(newAddr, newLen);
  if (len === 0) {
    ctx.warn(
      `mremap with old length 0 (a second mapping of shared memory) is not modelled; skipped`,
    );
    return;
  }
  const first = proc.mm.areas.find(os);
  const cov = proc.mm.areas.covered(os, oe);
  if (cov.length === 0) {
    // Wholly on memory exec mapped (or from before the trace): counted, as for other calls.
    ctx.stats.outsideCalls++;
    return;
  }
  if (!first || cov.length !== 1 || cov[0]!.end !== oe) {
    ctx.warn(
      `mremap of ${hex(addr)}+${len} by ${ctx.who(proc.pid)}: not one area the trace mapped ` +
        `(partly the program image, stack or earlier areas); skipped`,
    );
    proc.mm.areas.unmap(os, oe);
    return;
  }
  const template = { ...first };
  ctx.emit({ pid: proc.pid, op: "mremap", addr, len, newAddr, newLen });
  proc.mm.areas.remap(os, oe - os, ns, ne - ns);
  if (mflags & MREMAP_DONTUNMAP) {
    // The old range stays mapped, empty: map it again as it was.
    ctx.emit(eventOfArea(proc.pid, { ...template, start: os, end: oe }));
    proc.mm.areas.map({ ...template, start: os, end: oe });
  }
  if (ne - ns > oe - os) {
    const grown = proc.mm.areas.find(ne - 1);
    if (grown) ctx.touchRange(proc, ns + (oe - os), ne, grown.prot, grown.flags);
  }
}

/** `mprotect(addr, len, prot) = 0` (and `pkey_mprotect`). */
export function mprotectCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const addr = addrArg(ctx, "mprotect", args, 0);
  const len = numArg(ctx, "mprotect", args, 1, "a length");
  const prot = flagsArg(ctx, "mprotect", args, 2, PROT_NAMES, "PROT_* flags") & 7;
  for (const r of ctx.mapped(proc, "mprotect", addr, len)) {
    ctx.emit({ pid: proc.pid, op: "mprotect", ...rangeOf(r), prot });
    for (const opened of proc.mm.areas.protect(r.start, r.end, prot)) {
      ctx.touchAreas(proc, opened.start, opened.end);
    }
  }
}

/** `madvise(addr, len, advice) = 0`. */
export function madviseCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const addr = addrArg(ctx, "madvise", args, 0);
  const len = numArg(ctx, "madvise", args, 1, "a length");
  const adviceText = arg(ctx, "madvise", args, 2, "an advice").trim();
  const advice = ADVICE[adviceText];
  if (!advice) {
    ctx.stats.ignored[`madvise ${adviceText}`] = (ctx.stats.ignored[`madvise ${adviceText}`] ?? 0) +
      1;
    return;
  }
  for (const r of ctx.mapped(proc, "madvise", addr, len)) {
    ctx.emit({ pid: proc.pid, op: "madvise", ...rangeOf(r), advice });
  }
}

/** `mlock`, `mlock2`, `munlock`, `msync`: `(addr, len, ...) = 0`. */
export function rangeCall(ctx: CallContext, proc: Proc, args: string[], name: string): void {
  const op = name === "mlock2" ? "mlock" : name as "mlock" | "munlock" | "msync";
  const addr = addrArg(ctx, name, args, 0);
  const len = numArg(ctx, name, args, 1, "a length");
  for (const r of ctx.mapped(proc, name, addr, len)) {
    ctx.emit({ pid: proc.pid, op, ...rangeOf(r) });
  }
}

/** `mlockall(flags)` / `munlockall()`. */
export function lockAllCall(ctx: CallContext, proc: Proc, args: string[], name: string): void {
  let how = 0;
  if (name === "mlockall") {
    how = flagsArg(ctx, name, args, 0, { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT: 4 }, "MCL_* flags");
  }
  const op = name === "mlockall" ? "mlock" : "munlock";
  if (name === "munlockall" || how & MCL_CURRENT) {
    for (const a of proc.mm.areas.areas) {
      ctx.emit({ pid: proc.pid, op, ...rangeOf(a) });
    }
  }
  proc.mm.lockFuture = name === "mlockall" && (how & MCL_FUTURE) !== 0;
}

/** `brk(addr) = newbrk`: heap growth maps, shrinking unmaps. */
export function brkCall(ctx: CallContext, proc: Proc, ret: string): void {
  const now = retAddr(ctx, "brk", ret);
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
    ctx.mapArea(proc, area, eventOfArea(proc.pid, area));
  } else {
    ctx.emit({ pid: proc.pid, op: "munmap", addr: s * PAGE_SIZE, len: (e - s) * PAGE_SIZE });
    proc.mm.areas.unmap(s, e);
  }
}

/** `shmget(key, size, flags) = id`. */
export function shmgetCall(ctx: CallContext, proc: Proc, args: string[], ret: string): void {
  const size = numArg(ctx, "shmget", args, 1, "a size");
  const id = numArg(ctx, "shmget", [ret], 0, "an id");
  if (!ctx.shmSize.has(id) && size > 0) {
    ctx.shmSize.set(id, size);
    ctx.emit({ pid: proc.pid, op: "create", object: `shm:${id}`, size });
    ctx.created.add(`shm:${id}`);
  }
}

/** `shmat(id, addr, flags) = addr`. */
export function shmatCall(ctx: CallContext, proc: Proc, args: string[], ret: string): void {
  const id = numArg(ctx, "shmat", args, 0, "an id");
  const how = flagsArg(ctx, "shmat", args, 2, {
    SHM_RDONLY,
    SHM_RND: 0o20000,
    SHM_REMAP: 0o40000,
    SHM_EXEC,
  }, "SHM_* flags");
  const addr = retAddr(ctx, "shmat", ret);
  const size = ctx.shmSize.get(id);
  if (size === undefined) {
    ctx.warn(
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
  ctx.mapArea(proc, area, { ...eventOfArea(proc.pid, area), len: size });
}

/** `shmdt(addr) = 0`. */
export function shmdtCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const addr = addrArg(ctx, "shmdt", args, 0);
  const [s] = pageSpan(addr, 1);
  const a = proc.mm.areas.find(s);
  if (!a || !a.object?.startsWith("shm:")) {
    ctx.warn(
      `shmdt of ${hex(addr)} by ${ctx.who(proc.pid)}: no segment the trace attached there; skipped`,
    );
    return;
  }
  let e = a.end;
  for (const b of proc.mm.areas.areas) if (b.start === e && b.object === a.object) e = b.end;
  ctx.emit({ pid: proc.pid, op: "munmap", addr: s * PAGE_SIZE, len: (e - s) * PAGE_SIZE });
  proc.mm.areas.unmap(s, e);
}

/** `shmctl(id, IPC_RMID, ...) = 0`. */
export function shmctlCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const id = numArg(ctx, "shmctl", args, 0, "an id");
  const cmd = arg(ctx, "shmctl", args, 1, "a command");
  if (!/\bIPC_RMID\b/.test(cmd)) return;
  if (ctx.shmSize.delete(id)) ctx.emit({ pid: proc.pid, op: "unlink", object: `shm:${id}` });
}

/** `memfd_create("name", flags) = fd`. */
export function memfdCall(ctx: CallContext, proc: Proc, args: string[], ret: string): void {
  const name = parseCString(arg(ctx, "memfd_create", args, 0, "a name")) ?? "anon";
  const fd = numArg(ctx, "memfd_create", [ret], 0, "a file descriptor");
  ctx.counts.memfds++;
  proc.fds.set(fd, `tmpfs:memfd:${sanitize(name)}.${ctx.counts.memfds}`);
}

/** `open`, `openat`, `creat` `= fd`: remembers which file an fd is. */
export function openCall(
  _ctx: CallContext,
  proc: Proc,
  args: string[],
  ret: string,
  path: string | null,
  name: string,
): void {
  const fd = parseSmall(ret);
  if (fd === undefined) return;
  const pathArg = args[name === "openat" ? 1 : 0];
  const p = path ?? (pathArg !== undefined ? parseCString(pathArg) : undefined);
  if (p !== undefined) proc.fds.set(fd, objectForPath(p));
}

/** `close(fd) = 0`. */
export function closeCall(_ctx: CallContext, proc: Proc, args: string[]): void {
  const fd = parseFd(args[0] ?? "");
  if (fd) proc.fds.delete(fd.fd);
}

/** `dup`, `dup2`, `dup3`, `fcntl(F_DUPFD...)` `= newfd`. */
export function dupCall(
  _ctx: CallContext,
  proc: Proc,
  args: string[],
  ret: string,
  name: string,
): void {
  if (name === "fcntl" && !/^F_DUPFD/.test(args[1] ?? "")) return;
  const from = parseFd(args[0] ?? "");
  const to = parseSmall(ret);
  if (!from || to === undefined) return;
  const obj = proc.fds.get(from.fd);
  if (obj) proc.fds.set(to, obj);
  else proc.fds.delete(to);
}

/** `ftruncate(fd, size) = 0`: the object's size. */
export function ftruncateCall(ctx: CallContext, proc: Proc, args: string[]): void {
  const fd = parseFd(args[0] ?? "");
  if (!fd) return;
  const size = numArg(ctx, "ftruncate", args, 1, "a size");
  const obj = proc.fds.get(fd.fd) ?? (fd.path !== null ? objectForPath(fd.path) : undefined);
  if (!obj) return;
  const op = ctx.created.has(obj) || obj.startsWith("file:") ? "truncate" : "create";
  ctx.created.add(obj);
  ctx.emit({ pid: proc.pid, op, object: obj, size });
}
