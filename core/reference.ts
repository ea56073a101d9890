/**
 * The reference model behind `run --verify`: what every load must read, computed without frames,
 * swap, page cache, reclaim or reverse maps.
 *
 * Page contents are stamps: a store writes its 1-based global event number into every page it
 * touches, and the zero page reads 0. The model keeps
 * - per address space, its areas and a private page → stamp map (private anonymous pages and
 *   copy-on-write copies of private file pages), copied on `fork`, shared by `clone`, replaced by
 *   `exec`;
 * - per object (file, tmpfs file, System V segment, and one anonymous inode per shared anonymous
 *   mapping, inherited across fork), an index → stamp map and a size. Shared mappings alias the
 *   object's pages; private file mappings read the object's page until they write it.
 *
 * A load of a page with no valid mapping (unmapped, no permission, or past the end of the backing
 * object, which Linux answers with SIGBUS) has no expected stamp: the machine must count a `segv`.
 * An access is all or nothing: if any page it covers faults, none of it happens.
 *
 * @module
 */
import { PageStamps } from "./mm/page_stamps.ts";
import {
  type EventColumns,
  FLAGS_MASK,
  FLAGS_SHIFT,
  Madv,
  MapFlag,
  Op,
  PAGE_SIZE as PAGE,
  Prot,
  PROT_MASK,
} from "../uapi/event.ts";

const { locked: F_LOCKED, noreserve: MAP_NORESERVE, populate: F_POPULATE, shared: F_SHARED } =
  MapFlag;
const { exec: PROT_X, read: PROT_R, write: PROT_W } = Prot;
const ADVICE_DONTNEED = Madv.dontneed;
const {
  mmap: OP_MMAP,
  munmap: OP_MUNMAP,
  mremap: OP_MREMAP,
  mprotect: OP_MPROTECT,
  madvise: OP_MADVISE,
  mlock: OP_MLOCK,
  munlock: OP_MUNLOCK,
  fork: OP_FORK,
  clone: OP_CLONE,
  exec: OP_EXEC,
  exit: OP_EXIT,
  w: OP_W,
  x: OP_X,
  create: OP_CREATE,
  write: OP_WRITE,
  truncate: OP_TRUNCATE,
  unlink: OP_UNLINK,
} = Op;

/** The value {@linkcode ReferenceModel.expected} returns for a page that cannot be loaded. */
export const NO_STAMP: number = -1;

/** A backing object: its pages' stamps and its size in bytes (`Infinity` until sized). */
interface RefObject {
  pages: PageStamps;
  size: number;
}

/** One area (VMA) of an address space, in pages: `[start, end)`. */
interface RefArea {
  start: number;
  end: number;
  prot: number;
  flags: number;
  /** Backing object, or null for private anonymous memory. */
  obj: RefObject | null;
  /** Page index in `obj` of `start`. */
  pgoff: number;
}

/** An address space: sorted, non-overlapping areas and its private pages. */
interface RefMm {
  areas: RefArea[];
  priv: Map<number, number>;
}

/** Pages an access of `len` bytes starting `off` bytes into its first page covers. */
function accessPages(off: number, len: number): number {
  if (len <= 0) return 0;
  return Math.floor((off + len - 1) / PAGE) + 1;
}

/** Pages covered by `len` bytes from a page-aligned start. */
function lenPages(len: number): number {
  return Math.ceil(len / PAGE);
}

/**
 * The reference model: feed it every event (after the machine, so that loads are checked against
 * the state before them) and ask it what each load must read.
 *
 * @example
 * ```ts
 * import { ReferenceModel } from "./reference.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * const b = new EventBatch(8);
 * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
 * b.push({ pid: 1, op: "w", addr: 0x10000, len: 1 });
 * b.push({ pid: 1, op: "fork", child: 2 });
 * b.push({ pid: 2, op: "w", addr: 0x10000, len: 1 });
 * const ref = new ReferenceModel();
 * for (let i = 0; i < b.length; i++) ref.apply(b, i, i + 1);
 * if (ref.expected(1, 0x10) !== 2 || ref.expected(2, 0x10) !== 4) throw new Error("bad stamps");
 * if (ref.expected(1, 0x11) !== 0 || ref.expected(1, 0x12) !== -1) throw new Error("bad stamps");
 * ```
 */
export class ReferenceModel {
  #procs = new Map<number, RefMm>();
  #objects = new Map<string, RefObject>();
  /** Every address space alive, for truncate (which reaches private copies too). */
  #mms = new Set<RefMm>();

  /** The stamp a load by `pid` of virtual page `vpage` must read, or {@linkcode NO_STAMP}. */
  expected(pid: number, vpage: number): number {
    const mm = this.#procs.get(pid);
    if (mm === undefined) return NO_STAMP;
    const a = findArea(mm, vpage);
    if (a === undefined || (a.prot & PROT_MASK) === 0) return NO_STAMP;
    return readPage(mm, a, vpage);
  }

  /**
   * Whether access `op` (`r`, `w` or `x` code) by `pid` of the given pages succeeds as a whole.
   * Loads need any permission (x86 cannot express write-only or exec-only pages), stores need
   * write, instruction fetches need exec; pages past the end of a backing object fault (SIGBUS).
   */
  accessOk(pid: number, op: number, first: number, count: number): boolean {
    const mm = this.#procs.get(pid);
    if (mm === undefined) return false;
    const need = op === OP_W ? PROT_W : op === OP_X ? PROT_X : PROT_R | PROT_W | PROT_X;
    for (let p = first; p < first + count;) {
      const a = findArea(mm, p);
      if (a === undefined || (a.prot & need) === 0) return false;
      const stop = Math.min(a.end, first + count);
      if (a.obj !== null && (a.pgoff + (stop - 1 - a.start)) * PAGE >= a.obj.size) return false;
      p = stop;
    }
    return true;
  }

  /** Number of processes (threads) alive. */
  get processes(): number {
    return this.#procs.size;
  }

  /** Applies event `i` of `batch`, whose global 1-based event number is `seq`. */
  apply(b: EventColumns, i: number, seq: number): void {
    const op = b.op[i]!;
    const pid = b.pid[i]!;
    if (op >= OP_CREATE) {
      this.#objectOp(b, i, op, seq);
      return;
    }
    let mm = this.#procs.get(pid);
    if (mm === undefined) {
      // A process appears with its first event.
      mm = this.#newMm();
      this.#procs.set(pid, mm);
    }
    const page = b.page[i]!;
    const n1 = b.n1[i]!;
    switch (op) {
      case OP_MMAP: {
        const small = b.small[i]!;
        const flags = small >> FLAGS_SHIFT & FLAGS_MASK;
        const pages = lenPages(n1);
        if (pages <= 0) break;
        const s = b.str[i]!;
        let obj: RefObject | null = null;
        if (s >= 0) obj = this.#object(b.strings[s]!);
        else if (flags & F_SHARED) obj = { pages: new PageStamps(), size: pages * PAGE };
        unmapRange(mm, page, page + pages);
        insertArea(mm, {
          start: page,
          end: page + pages,
          prot: small & PROT_MASK,
          // As vm_flags: MAP_POPULATE and MAP_NORESERVE are not kept (they do not stop merging).
          flags: flags & ~(F_POPULATE | MAP_NORESERVE),
          obj,
          pgoff: Math.floor(b.n2[i]! / PAGE),
        });
        if (flags & (F_POPULATE | F_LOCKED)) populate(mm, page, page + pages);
        break;
      }
      case OP_MUNMAP:
        unmapRange(mm, page, page + lenPages(n1));
        break;
      case OP_MPROTECT:
        for (const a of isolate(mm, page, page + lenPages(n1))) a.prot = b.small[i]! & PROT_MASK;
        break;
      case OP_MLOCK:
      case OP_MUNLOCK:
        for (const a of isolate(mm, page, page + lenPages(n1))) {
          a.flags = op === OP_MLOCK ? a.flags | F_LOCKED : a.flags & ~F_LOCKED;
        }
        if (op === OP_MLOCK) populate(mm, page, page + lenPages(n1));
        break;
      case OP_MADVISE:
        if (b.small[i] === ADVICE_DONTNEED) dontneed(mm, page, page + lenPages(n1));
        break;
      case OP_MREMAP:
        mremap(mm, page, lenPages(n1), b.page2[i]!, lenPages(b.n2[i]!));
        break;
      case OP_FORK: {
        if (this.#procs.has(n1)) break; // onto a live pid: refused
        const child: RefMm = this.#newMm();
        // Memory locks are not inherited across fork.
        child.areas = mm.areas.map((a) => ({ ...a, flags: a.flags & ~F_LOCKED }));
        child.priv = new Map(mm.priv);
        this.#procs.set(n1, child);
        break;
      }
      case OP_CLONE:
        if (!this.#procs.has(n1)) this.#procs.set(n1, mm);
        break;
      case OP_EXEC:
        this.#release(pid, mm);
        this.#procs.set(pid, this.#newMm());
        break;
      case OP_EXIT:
        this.#release(pid, mm);
        break;
      case OP_W: {
        const count = accessPages(b.off[i]!, n1);
        if (!this.accessOk(pid, op, page, count)) break;
        for (let p = page; p < page + count; p++) writePage(mm, findArea(mm, p)!, p, seq);
        break;
      }
        // r, x, msync and the rest change no contents.
    }
  }

  #newMm(): RefMm {
    const mm: RefMm = { areas: [], priv: new Map() };
    this.#mms.add(mm);
    return mm;
  }

  #release(pid: number, mm: RefMm): void {
    this.#procs.delete(pid);
    for (const other of this.#procs.values()) if (other === mm) return;
    this.#mms.delete(mm);
  }

  /** The object named `name`; one used before any `create` exists implicitly, unbounded. */
  #object(name: string): RefObject {
    let o = this.#objects.get(name);
    if (o === undefined) {
      o = { pages: new PageStamps(), size: Infinity };
      this.#objects.set(name, o);
    }
    return o;
  }

  #objectOp(b: EventColumns, i: number, op: number, seq: number): void {
    const s = b.str[i]!;
    const name = s >= 0 ? b.strings[s]! : "";
    switch (op) {
      case OP_CREATE:
      case OP_TRUNCATE: {
        const size = b.n1[i]!;
        if (op === OP_CREATE && !this.#objects.has(name)) {
          this.#objects.set(name, { pages: new PageStamps(), size });
        } else this.#truncate(this.#object(name), size);
        break;
      }
      case OP_WRITE: {
        const off = b.n1[i]!;
        const len = b.n2[i]!;
        if (len <= 0) break;
        const o = this.#object(name);
        const last = Math.floor((off + len - 1) / PAGE);
        for (let p = Math.floor(off / PAGE); p <= last; p++) o.pages.set(p, seq);
        if (off + len > o.size) o.size = off + len;
        break;
      }
      case OP_UNLINK:
        // The name goes; mappings keep the object, and the name may be created afresh.
        this.#objects.delete(name);
        break;
        // read, fsync and the system events change no contents.
    }
  }

  /** Sets `o`'s size; its pages past the end vanish, private copies of them too (Linux zaps COWs). */
  #truncate(o: RefObject, size: number): void {
    o.size = size;
    const keep = Math.ceil(size / PAGE);
    o.pages.deleteFrom(keep);
    for (const mm of this.#mms) {
      for (const a of mm.areas) {
        if (a.obj !== o || a.flags & F_SHARED) continue;
        const from = Math.max(a.start, a.start + keep - a.pgoff);
        for (let p = from; p < a.end; p++) mm.priv.delete(p);
      }
    }
  }
}

function readPage(mm: RefMm, a: RefArea, vpage: number): number {
  if (a.obj === null) return mm.priv.get(vpage) ?? 0;
  const idx = a.pgoff + (vpage - a.start);
  if (idx * PAGE >= a.obj.size) return NO_STAMP;
  if (!(a.flags & F_SHARED)) {
    const own = mm.priv.get(vpage);
    if (own !== undefined) return own;
  }
  return a.obj.pages.get(idx) ?? 0;
}

function writePage(mm: RefMm, a: RefArea, vpage: number, stamp: number): void {
  if (a.obj !== null && a.flags & F_SHARED) a.obj.pages.set(a.pgoff + (vpage - a.start), stamp);
  else mm.priv.set(vpage, stamp);
}

/** Binary search for the area containing `p`. */
function findArea(mm: RefMm, p: number): RefArea | undefined {
  const areas = mm.areas;
  let lo = 0, hi = areas.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = areas[mid]!;
    if (p < a.start) hi = mid - 1;
    else if (p >= a.end) lo = mid + 1;
    else return a;
  }
  return undefined;
}

/** Splits the area containing `p` (if `p` is strictly inside it) so that an area starts at `p`. */
function splitAt(mm: RefMm, p: number): void {
  const a = findArea(mm, p);
  if (a === undefined || a.start === p) return;
  const tail: RefArea = { ...a, start: p, pgoff: a.pgoff + (p - a.start) };
  a.end = p;
  mm.areas.splice(mm.areas.indexOf(a) + 1, 0, tail);
}

/** Splits at `start` and `end` and returns the areas inside `[start, end)`. */
function isolate(mm: RefMm, start: number, end: number): RefArea[] {
  splitAt(mm, start);
  splitAt(mm, end);
  return mm.areas.filter((a) => a.start >= start && a.end <= end);
}

function insertArea(mm: RefMm, area: RefArea): void {
  let k = 0;
  while (k < mm.areas.length && mm.areas[k]!.start < area.start) k++;
  mm.areas.splice(k, 0, area);
}

function dropPrivate(mm: RefMm, start: number, end: number): void {
  if (end - start < mm.priv.size) {
    for (let p = start; p < end; p++) mm.priv.delete(p);
  } else {
    for (const p of mm.priv.keys()) if (p >= start && p < end) mm.priv.delete(p);
  }
}

function unmapRange(mm: RefMm, start: number, end: number): void {
  const gone = new Set(isolate(mm, start, end));
  if (gone.size > 0) mm.areas = mm.areas.filter((a) => !gone.has(a));
  dropPrivate(mm, start, end);
}

/**
 * MADV_DONTNEED: private pages in the range are gone (anonymous memory reads zero again, private
 * file pages read the file again); shared pages live on in their object. Linux refuses locked
 * areas (EINVAL) and stops there.
 */
function dontneed(mm: RefMm, start: number, end: number): void {
  for (const a of mm.areas) {
    if (a.end <= start || a.start >= end) continue;
    if (a.flags & F_LOCKED) return;
    if (a.obj === null || !(a.flags & F_SHARED)) {
      dropPrivate(mm, Math.max(a.start, start), Math.min(a.end, end));
    }
  }
}

/** True when `b` continues `a` as one area would (what Linux would have merged). */
function continues(a: RefArea, b: RefArea): boolean {
  return a.end === b.start && a.prot === b.prot && a.flags === b.flags && a.obj === b.obj &&
    (a.obj === null || b.pgoff === a.pgoff + (a.end - a.start));
}

/**
 * mremap: the old range must lie in one area (or areas Linux would have merged); shrinking unmaps
 * the tail, growing extends the area, and a move carries the pages along (page tables move).
 */
function mremap(mm: RefMm, old: number, oldPages: number, dst: number, newPages: number): void {
  const first = findArea(mm, old);
  if (first === undefined || oldPages <= 0 || newPages <= 0) return;
  // A move onto an overlapping range is refused (EINVAL).
  if (dst !== old && dst < old + oldPages && old < dst + newPages) return;
  let last = first;
  for (let k = mm.areas.indexOf(first) + 1; last.end < old + oldPages; k++) {
    const next = mm.areas[k];
    if (next === undefined || !continues(last, next)) return;
    last = next;
  }
  if (newPages < oldPages) {
    unmapRange(mm, old + newPages, old + oldPages);
    oldPages = newPages;
  }
  const pieces = isolate(mm, old, old + oldPages);
  const moved: [number, number][] = [];
  if (dst !== old) {
    for (const [p, v] of mm.priv) if (p >= old && p < old + oldPages) moved.push([p - old, v]);
    const gone = new Set(pieces);
    mm.areas = mm.areas.filter((a) => !gone.has(a));
    dropPrivate(mm, old, old + oldPages);
    unmapRange(mm, dst, dst + newPages);
    for (const a of pieces) {
      a.start += dst - old;
      a.end += dst - old;
      insertArea(mm, a);
    }
    for (const [d, v] of moved) mm.priv.set(dst + d, v);
  } else if (newPages > oldPages) {
    unmapRange(mm, old + oldPages, old + newPages);
  }
  const tail = pieces[pieces.length - 1];
  if (tail === undefined) return;
  const grownFrom = tail.end;
  tail.end = dst + newPages;
  if (tail.flags & F_LOCKED && tail.end > grownFrom) populate(mm, grownFrom, tail.end);
}

/**
 * MAP_POPULATE, mlock and growing a locked area fault pages in as get_user_pages does: with write
 * faults in private writable areas, which copies private file pages then (later writes to the
 * file no longer show through). Pages past the end of the object are skipped.
 */
function populate(mm: RefMm, start: number, end: number): void {
  for (const a of mm.areas) {
    if (a.end <= start || a.start >= end) continue;
    const o = a.obj;
    if (o === null || a.flags & F_SHARED || !(a.prot & PROT_W)) continue;
    for (let p = Math.max(a.start, start); p < Math.min(a.end, end); p++) {
      const idx = a.pgoff + (p - a.start);
      if (idx * PAGE >= o.size || mm.priv.has(p)) continue;
      mm.priv.set(p, o.pages.get(idx) ?? 0);
    }
  }
}
