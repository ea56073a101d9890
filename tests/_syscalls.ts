/**
 * Test helper: a `Kernel` driven system call by system call (`core/sys/`), so that a test can read
 * PTE bits, frame flags and slots between calls and call a machine function directly. Each call
 * counts one event, as `Machine` does (pte_chain tells a fork's PTE copies by the event count).
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import { checkKernel } from "../core/check.ts";
import { C, COUNTER_NAMES, type CounterName, newCounters } from "../core/counters.ts";
import { mmOf } from "../core/mm/address_space.ts";
import { touch } from "../core/mm/access.ts";
import { Kernel } from "../core/mm/kernel.ts";
import { madvise } from "../core/sys/madvise.ts";
import { mlock } from "../core/sys/mlock.ts";
import { mmap, munmap } from "../core/sys/mmap.ts";
import { mprotect } from "../core/sys/mprotect.ts";
import { fork } from "../core/sys/process.ts";
import { Madv, MapFlag, Op, PAGE_SIZE, Prot } from "../uapi/event.ts";
import type { VmKnobs } from "../uapi/knobs.ts";

/** A private anonymous, readable and writable area: the default of {@linkcode SyscallBox.mmap}. */
const RW = Prot.read | Prot.write, ANON = MapFlag.private | MapFlag.anon;

/**
 * A memory cgroup (`memcg=1`) of 8192 frames running `anon_vma_chain`, with `swap` slots (0: no
 * swap), `swappiness`, `page_cluster` 0 (one slot a read), and `read_ahead_kb` 0 (a disk file read
 * with read(2) comes page by page, in single pages, which reclaim takes one at a time).
 */
export function memcgKernel(swap: number, swappiness = 60, vm: Partial<VmKnobs> = {}): Kernel {
  return new Kernel(
    {
      memPages: 8192,
      swapPages: swap,
      strategy: "anon_vma_chain",
      vm: { memcg: true, swappiness, page_cluster: 0, read_ahead_kb: 0, ...vm },
    },
    newCounters(),
  );
}

/** A kernel driven by system calls; addresses are virtual page numbers, sizes pages. */
export class SyscallBox {
  readonly k: Kernel;
  #seq = 0;

  constructor(k: Kernel) {
    this.k = k;
  }

  /** One more event. */
  protected event(): void {
    this.k.counters[C.events]!++;
  }

  /** mmap of `pages` pages at page `v` in `pid` (file areas: `obj` and a page offset). */
  mmap(
    pid: number,
    v: number,
    pages: number,
    prot = RW,
    flags = ANON,
    obj: string | null = null,
    off = 0,
  ): this {
    this.event();
    mmap(this.k, mmOf(this.k, pid), v, pages * PAGE_SIZE, prot, flags, obj, off * PAGE_SIZE);
    return this;
  }

  /** Accesses `n` pages from `v`, each must succeed. */
  touch(pid: number, v: number, n: number, op: number = Op.w): this {
    const mm = mmOf(this.k, pid);
    for (let p = 0; p < n; p++) {
      this.event();
      if (!touch(this.k, mm, v + p, op, ++this.#seq)) throw new Error(`access at ${v + p}`);
    }
    return this;
  }

  /** Reads `n` pages from `v`. */
  r(pid: number, v: number, n = 1): this {
    return this.touch(pid, v, n, Op.r);
  }

  fork(pid: number, child: number): this {
    this.event();
    fork(this.k, mmOf(this.k, pid), child);
    return this;
  }

  mprotect(pid: number, v: number, n: number, prot: number): this {
    this.event();
    mprotect(this.k, mmOf(this.k, pid), v, n * PAGE_SIZE, prot);
    return this;
  }

  munmap(pid: number, v: number, n: number): this {
    this.event();
    munmap(this.k, mmOf(this.k, pid), v, n * PAGE_SIZE);
    return this;
  }

  mlock(pid: number, v: number, n: number): this {
    this.event();
    mlock(this.k, mmOf(this.k, pid), v, n * PAGE_SIZE, true);
    return this;
  }

  /** madvise `advice` (a `Madv` code) of `n` pages from `v`. */
  madvise(pid: number, v: number, n: number, advice: number): this {
    this.event();
    madvise(this.k, mmOf(this.k, pid), v, n * PAGE_SIZE, advice);
    return this;
  }

  pageout(pid: number, v: number, n: number): this {
    return this.madvise(pid, v, n, Madv.pageout);
  }

  willneed(pid: number, v: number, n: number): this {
    return this.madvise(pid, v, n, Madv.willneed);
  }

  /** The pool index of the PTE of `v` in `pid`. */
  slot(pid: number, v: number): number {
    return this.k.pt.lookup(mmOf(this.k, pid), v);
  }

  /** The PTE of `v` in `pid`: [flags, frame or slot]. */
  pte(pid: number, v: number): [number, number] {
    const s = this.slot(pid, v);
    return [this.k.pt.flags[s]!, this.k.pt.num[s]!];
  }

  /** The frame `v` of `pid` maps. */
  frame(pid: number, v: number): number {
    return this.pte(pid, v)[1];
  }

  /** Frame flags and mapcount of the frame `v` of `pid` maps. */
  page(pid: number, v: number): [number, number] {
    const f = this.frame(pid, v);
    return [this.k.frames.flags[f]!, this.k.frames.mapcount[f]!];
  }

  /**
   * The counters that `fn` changed, by name, but for `events` and the peaks (the strategy's
   * metadata is its own affair).
   */
  delta(fn: () => void): Partial<Record<CounterName, number>> {
    const before = this.k.counters.slice();
    fn();
    const out: Partial<Record<CounterName, number>> = {};
    for (const n of COUNTER_NAMES) {
      if (n === "events" || n.endsWith("_peak")) continue;
      const d = this.k.counters[C[n]]! - before[C[n]]!;
      if (d !== 0) out[n] = d;
    }
    return out;
  }

  /** The invariant checker has nothing to say (counters as they were, as `Machine` does it). */
  check(): void {
    deepStrictEqual(checkKernel(this.k), []);
  }
}
