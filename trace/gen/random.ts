/**
 * `random`: a seeded, semantically meaningful random workload for testing the whole machine. Several
 * processes map private and shared anonymous memory, regular, tmpfs and System V objects, touch
 * mostly what they mapped (with a hot set), and now and then fork, clone, exec, exit, unmap part of
 * an area, mprotect it, mremap it (move, grow, shrink), madvise it, mlock it, truncate and write
 * files, add and remove a swap device, and force reclaim. Memory is a fraction of the footprint,
 * so the replay runs under swap pressure.
 *
 * It is what `--verify` and `--check` are tested on: every strategy must read back exactly the
 * stamps the reference model predicts, whatever reclaim did in between.
 *
 * @module
 */
import { type Event, MapFlag, PAGE_SIZE, Prot, type TraceHeader } from "../event.ts";
import { Rng } from "../_rng.ts";
import { type GeneratedTrace, lazyEvents, type Workload } from "./workload.ts";

/** Options of {@linkcode randomWorkload}. */
export interface RandomWorkloadOptions {
  /** Random seed: the same seed gives the same trace. */
  seed: number;
  /** Number of events, setup included. */
  events: number;
  /** Most processes (and threads) alive at once (default 6). */
  processes?: number;
  /** Physical memory in pages (default 256); the footprint grows to about 2.5 times that. */
  memPages?: number;
  /** Swap device `swap0` in pages (default 4 × `memPages`). */
  swapPages?: number;
  /** Share of events that are loads and stores, 0..1 (default 0.85). */
  accessShare?: number;
  /**
   * Most pages that may need memory or swap at once (default: half of memory plus swap). Below
   * `memPages` nothing is ever swapped.
   */
  footprintPages?: number;
}

/** One mapped region as the generator knows it, in pages. */
interface Region {
  start: number;
  pages: number;
  prot: number;
  /** The protection it was mapped with (mprotect restores it). */
  orig: number;
  flags: number;
  object: string | undefined;
  /** The object mapped (it keeps its identity after `unlink`, as the kernel's inode does). */
  obj: Obj | undefined;
  pgoff: number;
  locked: boolean;
}

/** An address space: its regions and the next free page for new mappings. */
interface Mm {
  regions: Region[];
  users: number;
  next: number;
}

/** A named object and its full and current size, in pages. */
interface Obj {
  name: string;
  full: number;
  size: number;
  truncatable: boolean;
  /** False after an `unlink` until the name is created again. */
  created: boolean;
}

const RW = Prot.read | Prot.write;
const RX = Prot.read | Prot.exec;
const PRIVATE_ANON = MapFlag.private | MapFlag.anon;
const SHARED_ANON = MapFlag.shared | MapFlag.anon;
/** First page of every new address space's mappings (address 0x10000000). */
const BASE_PAGE = 0x10000;
/** Unmapped pages left between mappings, so that in-place growth usually has room. */
const GAP = 16;

/**
 * Generates a random workload: a header and a lazily generated, re-iterable event stream.
 *
 * @example
 * ```ts
 * import { randomWorkload } from "./random.ts";
 * const t = randomWorkload({ seed: 7, events: 500 });
 * const events = [...t.events];
 * if (events.length !== 500 || t.header.mem !== 256 * 4096) throw new Error("unexpected trace");
 * if (JSON.stringify(events) !== JSON.stringify([...randomWorkload({ seed: 7, events: 500 }).events])) {
 *   throw new Error("not deterministic");
 * }
 * ```
 */
export function randomWorkload(opts: RandomWorkloadOptions): GeneratedTrace {
  const memPages = opts.memPages ?? 256;
  const swapPages = opts.swapPages ?? 4 * memPages;
  const header: TraceHeader = {
    version: 1,
    mem: memPages * PAGE_SIZE,
    swap: swapPages * PAGE_SIZE,
    extra: { workload: "random" },
  };
  return {
    header,
    events: lazyEvents(() =>
      new RandomGen({ ...opts, memPages, swapPages }).run() as Generator<Event>
    ),
  };
}

class RandomGen {
  #rng: Rng;
  #total: number;
  #maxProcs: number;
  #memPages: number;
  #swapPages: number;
  #accessShare: number;
  #budgetPages: number;
  #procs = new Map<number, Mm>();
  #pids: number[] = [];
  #nextPid = 1;
  #objects: Obj[] = [];
  #swap1 = false;
  #lockedPages = 0;

  constructor(
    o:
      & Required<Pick<RandomWorkloadOptions, "seed" | "events" | "memPages" | "swapPages">>
      & RandomWorkloadOptions,
  ) {
    this.#rng = new Rng(o.seed);
    this.#total = o.events;
    this.#maxProcs = Math.max(1, o.processes ?? 6);
    this.#memPages = o.memPages;
    this.#swapPages = o.swapPages;
    this.#accessShare = o.accessShare ?? 0.85;
    this.#budgetPages = o.footprintPages ?? Math.floor((o.memPages + o.swapPages) / 2);
  }

  *run(): Generator<Event> {
    let n = 0;
    const setup: Event[] = [{
      pid: 0,
      op: "swapon",
      name: "swap0",
      size: this.#swapPages * PAGE_SIZE,
    }];
    const objSize = Math.max(8, Math.floor(this.#memPages / 4));
    for (
      const [name, truncatable] of [
        ["file:/data/a", true],
        ["file:/data/b", true],
        ["tmpfs:/run/c", true],
        ["shm:42", false],
      ] as const
    ) {
      this.#objects.push({ name, full: objSize, size: objSize, truncatable, created: true });
      setup.push({ pid: 1, op: "create", object: name, size: objSize * PAGE_SIZE });
      setup.push({
        pid: 1,
        op: "write",
        object: name,
        offset: 0,
        len: Math.floor(objSize / 2) * PAGE_SIZE,
      });
    }
    this.#pids.push(this.#nextPid++);
    this.#procs.set(1, { regions: [], users: 1, next: BASE_PAGE });
    for (const e of setup) {
      if (n++ >= this.#total) return;
      yield e;
    }
    const marks = 5;
    let nextMark = 1;
    while (n < this.#total) {
      if (nextMark <= marks && n >= (this.#total * nextMark) / (marks + 1)) {
        yield { pid: 0, op: "mark", label: `phase-${nextMark++}` };
        n++;
        continue;
      }
      yield this.#step();
      n++;
    }
  }

  /** One event: an access most of the time, else some other operation that applies now. */
  #step(): Event {
    const rng = this.#rng;
    const pid = this.#pids[rng.int(this.#pids.length)]!;
    const mm = this.#procs.get(pid)!;
    if (mm.regions.length === 0) return this.#mmap(pid, mm);
    if (rng.next() < this.#accessShare) return this.#access(pid, mm);
    const k = rng.int(100);
    const e = k < 18
      ? this.#mmap(pid, mm)
      : k < 30
      ? this.#munmap(pid, mm)
      : k < 38
      ? this.#mprotect(pid, mm)
      : k < 48
      ? this.#mremap(pid, mm)
      : k < 56
      ? this.#madvise(pid, mm)
      : k < 60
      ? this.#mlock(pid, mm)
      : k < 67
      ? this.#fork(pid, mm)
      : k < 70
      ? this.#clone(pid, mm)
      : k < 75
      ? this.#exit(pid, mm)
      : k < 77
      ? this.#exec(pid, mm)
      : k < 90
      ? this.#objectOp(pid)
      : k < 98
      ? { pid: 0, op: "reclaim", pages: Math.max(1, Math.min(256, this.#memPages >> 3)) } as Event
      : this.#swap();
    return e ?? this.#access(pid, mm);
  }

  /** Pages that could need memory or swap: private regions of every space, all shared objects. */
  #footprint(): number {
    let pages = this.#objects.reduce((s, o) => s + o.full, 0);
    const seen = new Set<Mm>();
    for (const mm of this.#procs.values()) {
      if (seen.has(mm)) continue;
      seen.add(mm);
      for (const r of mm.regions) pages += r.pages;
    }
    return pages;
  }

  #budget(): number {
    return this.#budgetPages;
  }

  #access(pid: number, mm: Mm): Event {
    const rng = this.#rng;
    // Inaccessible regions and pages a truncated object no longer has (SIGBUS) are mostly
    // avoided: a few segvs test their handling, more would waste events.
    const strict = rng.next() < 0.9;
    let r = mm.regions[rng.int(mm.regions.length)]!;
    let pages = this.#accessible(r);
    for (let tries = 0; strict && pages === 0 && tries < 8; tries++) {
      r = mm.regions[rng.int(mm.regions.length)]!;
      pages = this.#accessible(r);
    }
    if (!strict || pages === 0) pages = r.pages;
    // A hot quarter of each region takes most accesses.
    const page = rng.next() < 0.75
      ? r.start + rng.int(Math.max(1, pages >> 2))
      : r.start + rng.int(pages);
    let op: "r" | "w" | "x" = rng.next() < 0.45 ? "w" : "r";
    if (r.prot & Prot.exec && rng.next() < 0.5) op = "x";
    // Stores to read-only memory are mostly turned into loads; the rest test segv handling.
    if (op === "w" && !(r.prot & Prot.write) && rng.next() < 0.95) op = "r";
    let off = rng.int(PAGE_SIZE / 8) * 8;
    let len = 8;
    const left = r.start + pages - page;
    if (rng.next() < 0.1 && left > 1) {
      // Crosses into the next page (or two).
      off = PAGE_SIZE - 64;
      len = 64 + rng.int(Math.min(2, left - 1)) * PAGE_SIZE + 1;
    }
    return { pid, op, addr: page * PAGE_SIZE + off, len };
  }

  /** Pages at the start of `r` that an access may touch without a segv (0 if none). */
  #accessible(r: Region): number {
    if (r.prot === 0) return 0;
    const o = r.obj;
    if (o === undefined) return r.pages;
    return Math.max(0, Math.min(r.pages, o.size - r.pgoff));
  }

  #mmap(pid: number, mm: Mm): Event {
    const rng = this.#rng;
    let pages = 4 + rng.int(45);
    if (this.#footprint() + pages > this.#budget()) pages = 1 + rng.int(4);
    const start = mm.next;
    mm.next += pages + GAP + 64;
    const k = rng.int(100);
    let prot = RW;
    let flags: number = PRIVATE_ANON;
    let object: string | undefined;
    let obj: Obj | undefined;
    let pgoff = 0;
    if (k >= 50 && k < 60) flags = SHARED_ANON;
    else if (k >= 60) {
      const objs = k < 78 ? this.#objects.filter((o) => o.name.startsWith("file:")) : this.#objects;
      const o = objs[rng.int(objs.length)]!;
      object = o.name;
      obj = o;
      pages = Math.min(pages, o.full);
      // Within the object's current size, so that it can be used at once.
      pgoff = rng.int(Math.max(1, o.size - pages + 1));
      if (k < 70) flags = MapFlag.private;
      else if (k < 73) {
        flags = MapFlag.private;
        prot = RX;
      } else flags = MapFlag.shared;
    }
    if (rng.next() < 0.05) flags |= MapFlag.populate;
    let locked = false;
    if (rng.next() < 0.03 && this.#lockedPages + pages <= this.#memPages / 8) {
      flags |= MapFlag.locked;
      locked = true;
      this.#lockedPages += pages;
    }
    this.#forget(mm, start, pages);
    mm.regions.push({ start, pages, prot, orig: prot, flags, object, obj, pgoff, locked });
    const e: Event = {
      pid,
      op: "mmap",
      addr: start * PAGE_SIZE,
      len: pages * PAGE_SIZE,
      prot,
      flags,
    };
    if (object !== undefined) {
      e.object = object;
      e.offset = pgoff * PAGE_SIZE;
    }
    return e;
  }

  /** A random sub-range of `r`: the whole of it, its head, its tail or its middle. */
  #range(r: Region): [start: number, pages: number] {
    const rng = this.#rng;
    if (r.pages < 3 || rng.next() < 0.4) return [r.start, r.pages];
    const a = 1 + rng.int(r.pages - 2);
    const b = a + 1 + rng.int(r.pages - a - 1);
    switch (rng.int(3)) {
      case 0:
        return [r.start, a];
      case 1:
        return [r.start + a, r.pages - a];
      default:
        return [r.start + a, b - a];
    }
  }

  /** Splits regions so that `[start, start + pages)` is covered by whole regions; returns them. */
  #isolate(mm: Mm, start: number, pages: number): Region[] {
    const end = start + pages;
    const out: Region[] = [];
    const next: Region[] = [];
    for (const r of mm.regions) {
      const rEnd = r.start + r.pages;
      if (rEnd <= start || r.start >= end) {
        next.push(r);
        continue;
      }
      const cuts = [r.start, Math.max(r.start, start), Math.min(rEnd, end), rEnd];
      for (let c = 0; c < 3; c++) {
        const s = cuts[c]!, e = cuts[c + 1]!;
        if (e <= s) continue;
        const piece = { ...r, start: s, pages: e - s, pgoff: r.pgoff + (s - r.start) };
        next.push(piece);
        if (c === 1) out.push(piece);
      }
    }
    next.sort((a, b) => a.start - b.start);
    mm.regions = next;
    return out;
  }

  /** Drops the regions in a range (after munmap, or before a mapping replaces them). */
  #forget(mm: Mm, start: number, pages: number): void {
    const gone = new Set(this.#isolate(mm, start, pages));
    for (const r of gone) if (r.locked) this.#lockedPages -= r.pages;
    mm.regions = mm.regions.filter((r) => !gone.has(r));
  }

  #pick(mm: Mm): Region {
    return mm.regions[this.#rng.int(mm.regions.length)]!;
  }

  #munmap(pid: number, mm: Mm): Event {
    const [start, pages] = this.#range(this.#pick(mm));
    this.#forget(mm, start, pages);
    return { pid, op: "munmap", addr: start * PAGE_SIZE, len: pages * PAGE_SIZE };
  }

  #mprotect(pid: number, mm: Mm): Event {
    const r = this.#pick(mm);
    const [start, pages] = this.#range(r);
    const prot = r.prot !== r.orig ? r.orig : this.#rng.next() < 0.05 ? 0 : r.orig & ~Prot.write;
    for (const p of this.#isolate(mm, start, pages)) p.prot = prot;
    return { pid, op: "mprotect", addr: start * PAGE_SIZE, len: pages * PAGE_SIZE, prot };
  }

  /** Moves, grows or shrinks a whole region (never a shared anonymous one's size). */
  #mremap(pid: number, mm: Mm): Event | undefined {
    const rng = this.#rng;
    const r = this.#pick(mm);
    const shared = !!(r.flags & MapFlag.shared);
    const obj = r.obj;
    const maxPages = obj ? obj.full - r.pgoff : r.pages + 16;
    let newPages = r.pages;
    const c = rng.int(3);
    if (c === 1 && r.pages > 1 && !(shared && !obj)) newPages = 1 + rng.int(r.pages - 1);
    if (c === 2 && !(shared && !obj) && maxPages > r.pages) {
      newPages = r.pages + 1 + rng.int(Math.min(8, maxPages - r.pages));
      if (!obj && this.#footprint() + newPages - r.pages > this.#budget()) newPages = r.pages;
    }
    const old = r.start;
    let dst = old;
    const roomAfter = !mm.regions.some((o) => o.start >= old + r.pages && o.start < old + newPages);
    if (rng.next() < 0.6 || !roomAfter) {
      dst = mm.next;
      mm.next += newPages + GAP + 64;
    }
    if (dst === old && newPages === r.pages) return undefined;
    const oldPages = r.pages;
    mm.regions = mm.regions.filter((o) => o !== r);
    this.#forget(mm, dst, newPages);
    mm.regions.push({ ...r, start: dst, pages: newPages });
    mm.regions.sort((a, b) => a.start - b.start);
    if (r.locked) this.#lockedPages += newPages - oldPages;
    return {
      pid,
      op: "mremap",
      addr: old * PAGE_SIZE,
      len: oldPages * PAGE_SIZE,
      newAddr: dst * PAGE_SIZE,
      newLen: newPages * PAGE_SIZE,
    };
  }

  #madvise(pid: number, mm: Mm): Event {
    const r = this.#pick(mm);
    const [start, pages] = this.#range(r);
    if (r.flags & MapFlag.shared && r.obj !== undefined && this.#rng.next() < 0.3) {
      return { pid, op: "msync", addr: start * PAGE_SIZE, len: pages * PAGE_SIZE };
    }
    const k = this.#rng.int(3);
    // Linux refuses MADV_DONTNEED and MADV_PAGEOUT on locked memory (EINVAL).
    const locked = mm.regions.some((o) =>
      o.locked && o.start < start + pages && o.start + o.pages > start
    );
    const advice = locked || k === 2 ? "willneed" : k === 0 ? "dontneed" : "pageout";
    return { pid, op: "madvise", addr: start * PAGE_SIZE, len: pages * PAGE_SIZE, advice };
  }

  #mlock(pid: number, mm: Mm): Event | undefined {
    const r = this.#pick(mm);
    const addr = r.start * PAGE_SIZE, len = r.pages * PAGE_SIZE;
    if (r.locked) {
      r.locked = false;
      this.#lockedPages -= r.pages;
      return { pid, op: "munlock", addr, len };
    }
    if (this.#lockedPages + r.pages > this.#memPages / 8) return undefined;
    r.locked = true;
    this.#lockedPages += r.pages;
    return { pid, op: "mlock", addr, len };
  }

  #fork(pid: number, mm: Mm): Event | undefined {
    if (this.#pids.length >= this.#maxProcs) return undefined;
    const priv = mm.regions.reduce((s, r) => s + (r.flags & MapFlag.shared ? 0 : r.pages), 0);
    if (this.#footprint() + priv > this.#budget()) return undefined;
    const child = this.#nextPid++;
    // Memory locks are not inherited across fork.
    const regions = mm.regions.map((r) => ({ ...r, locked: false }));
    this.#procs.set(child, { regions, users: 1, next: mm.next });
    this.#pids.push(child);
    return { pid, op: "fork", child };
  }

  #clone(pid: number, mm: Mm): Event | undefined {
    if (this.#pids.length >= this.#maxProcs) return undefined;
    const child = this.#nextPid++;
    mm.users++;
    this.#procs.set(child, mm);
    this.#pids.push(child);
    return { pid, op: "clone", child };
  }

  #exit(pid: number, mm: Mm): Event | undefined {
    if (this.#pids.length <= 1) return undefined;
    this.#procs.delete(pid);
    this.#pids = this.#pids.filter((p) => p !== pid);
    if (--mm.users === 0) {
      for (const r of mm.regions) if (r.locked) this.#lockedPages -= r.pages;
    }
    return { pid, op: "exit" };
  }

  #exec(pid: number, mm: Mm): Event | undefined {
    if (mm.users !== 1) return undefined;
    for (const r of mm.regions) if (r.locked) this.#lockedPages -= r.pages;
    this.#procs.set(pid, { regions: [], users: 1, next: BASE_PAGE });
    return { pid, op: "exec" };
  }

  /**
   * write(2), read(2), fsync, truncating a file to half its size and back, or unlinking it (its
   * mappings keep the old object) and creating the name afresh.
   */
  #objectOp(pid: number): Event {
    const rng = this.#rng;
    const at = rng.int(this.#objects.length);
    let o = this.#objects[at]!;
    if (!o.created) {
      o.created = true;
      return { pid, op: "create", object: o.name, size: o.full * PAGE_SIZE };
    }
    const k = rng.int(20);
    if (k === 0) {
      o = { ...o, size: o.full, created: false };
      this.#objects[at] = o;
      return { pid, op: "unlink", object: o.name };
    }
    if (k === 1) return { pid, op: "fsync", object: o.name };
    if (k < 6 && o.truncatable) {
      o.size = o.size === o.full ? Math.floor(o.full / 2) : o.full;
      return { pid, op: "truncate", object: o.name, size: o.size * PAGE_SIZE };
    }
    const pages = 1 + rng.int(Math.min(4, o.size));
    const first = rng.int(o.size - pages + 1);
    const op = k < 14 ? "write" : "read";
    return { pid, op, object: o.name, offset: first * PAGE_SIZE, len: pages * PAGE_SIZE };
  }

  /** Adds a second, smaller swap device, or takes it away again. */
  #swap(): Event {
    this.#swap1 = !this.#swap1;
    return this.#swap1
      ? { pid: 0, op: "swapon", name: "swap1", size: this.#memPages * PAGE_SIZE, prio: 5 }
      : { pid: 0, op: "swapoff", name: "swap1" };
  }
}

/** The `random` workload for `gen random`. */
export const random: Workload = {
  name: "random",
  summary: "seeded random mix of every operation under swap pressure (for --verify and --check)",
  exposes: "nothing in particular: it exercises every path so that strategies can be verified",
  params: [
    { name: "events", description: "number of events", kind: "int", default: 100_000, min: 1 },
    {
      name: "processes",
      description: "most processes alive at once",
      kind: "int",
      default: 6,
      min: 1,
    },
    {
      name: "mem",
      description: "physical memory (trace header mem=); the footprint is about 2.5 times it",
      kind: "size",
      default: 256 * PAGE_SIZE,
      min: 16 * PAGE_SIZE,
    },
    {
      name: "swap",
      description: "size of the swap device swap0",
      kind: "size",
      default: (p) => 4 * p.mem!,
      defaultText: "4 × mem",
      min: PAGE_SIZE,
    },
    { name: "seed", description: "random seed", kind: "int", default: 1 },
  ],
  generate(p) {
    return randomWorkload({
      seed: p.seed!,
      events: p.events!,
      processes: p.processes!,
      memPages: Math.floor(p.mem! / PAGE_SIZE),
      swapPages: Math.floor(p.swap! / PAGE_SIZE),
    });
  },
};
