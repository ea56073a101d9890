/**
 * Test helper: a machine's state (`Kernel`) built and driven without a `Machine`, so that a test
 * can set a scene with events (the same system calls and accesses a `Machine` makes for them),
 * then call one function of `core/mm/` directly (a reclaim pass, one page's reclaim) and look at
 * the frames, LRU lists, page tables and swap slots it left, and at the counters.
 *
 * Only the events the reclaim tests need are decoded (accesses, mmap, munmap, mlock, madvise,
 * fork, exit, create, read, write, fsync, swapon); any other throws.
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import { accessEvent } from "../core/_machine_fast.ts";
import { checkKernel } from "../core/check.ts";
import type { MachineConfig } from "../core/config.ts";
import { C, type CounterName, newCounters } from "../core/counters.ts";
import { mmOf } from "../core/mm/address_space.ts";
import { Kernel } from "../core/mm/kernel.ts";
import type { Mm } from "../core/mm/mm.ts";
import { P as PTE_P, PTE_SWAP } from "../core/mm/pte.ts";
import { create, fsync, read, write } from "../core/sys/file.ts";
import { madvise } from "../core/sys/madvise.ts";
import { mlock } from "../core/sys/mlock.ts";
import { mmap, munmap } from "../core/sys/mmap.ts";
import { exit, fork } from "../core/sys/process.ts";
import { swapon } from "../core/sys/swap.ts";
import type { TraceBuilder } from "../trace/builder.ts";
import { FLAGS_MASK, FLAGS_SHIFT, HAS_PRIO, Op, PROT_MASK } from "../uapi/event.ts";

/** A kernel under test, with its event numbering. */
export class KernelRig {
  readonly k: Kernel;
  #seq = 0;

  /**
   * A kernel of `memPages` frames running `strategy` (default `anon_vma_chain`). Its default swap
   * device of `swapPages` slots is made at once (a `Machine` makes it when reclaim first needs
   * swap), so that a function of reclaim called directly finds it.
   */
  constructor(cfg: Partial<MachineConfig> & { memPages: number; swapPages: number }) {
    this.k = new Kernel({ strategy: "anon_vma_chain", ...cfg }, newCounters());
    this.k.swap.addPending();
  }

  /** Applies every event of `t`; throws on a diagnostic or a broken invariant. */
  run(t: TraceBuilder): this {
    const k = this.k;
    const b = t.batch();
    const said: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const seq = ++this.#seq;
      const op = b.op[i]!;
      const before = k.counters[C.segv]! + k.counters[C.warnings]!;
      k.report.line = seq;
      k.report.pid = b.pid[i]!;
      if (op >= Op.r && op <= Op.x) accessEvent(k, b, i, op, seq);
      else this.#event(b, i, op, seq);
      if (k.counters[C.segv]! + k.counters[C.warnings]! !== before) said.push(`event ${seq}`);
    }
    deepStrictEqual(said, [], "no segv or warning while setting the scene");
    this.check();
    return this;
  }

  #event(b: ReturnType<TraceBuilder["batch"]>, i: number, op: number, seq: number): void {
    const k = this.k;
    const str = b.str[i]!;
    const name = str >= 0 ? b.strings[str]! : "";
    switch (op) {
      case Op.create:
        return create(k, name, b.n1[i]!);
      case Op.read:
        return read(k, name, b.n1[i]!, b.n2[i]!);
      case Op.write:
        return write(k, name, b.n1[i]!, b.n2[i]!, seq);
      case Op.fsync:
        return fsync(k, name);
      case Op.swapon:
        return swapon(k, name, b.n1[i]!, b.small[i]! & HAS_PRIO ? b.n2[i]! : undefined);
      case Op.exit:
        return exit(k, b.pid[i]!);
    }
    const mm = mmOf(k, b.pid[i]!);
    const page = b.page[i]!, n1 = b.n1[i]!;
    switch (op) {
      case Op.mmap: {
        const small = b.small[i]!;
        const flags = (small >> FLAGS_SHIFT) & FLAGS_MASK;
        return mmap(k, mm, page, n1, small & PROT_MASK, flags, str >= 0 ? name : null, b.n2[i]!);
      }
      case Op.munmap:
        return munmap(k, mm, page, n1);
      case Op.madvise:
        return madvise(k, mm, page, n1, b.small[i]!);
      case Op.mlock:
      case Op.munlock:
        return mlock(k, mm, page, n1, op === Op.mlock);
      case Op.fork:
        return fork(k, mm, n1);
    }
    throw new Error(`KernelRig: event op ${op} not supported`);
  }

  /** The machine's invariants (as `--check` tests them) must hold. */
  check(): void {
    deepStrictEqual(checkKernel(this.k), [], "invariants");
  }

  /** The address space of `pid`. */
  mm(pid: number): Mm {
    return this.k.procs.get(pid)!;
  }

  /** The frame mapped at virtual address `addr` of `pid` (-1: none present). */
  frameAt(pid: number, addr: number): number {
    const k = this.k;
    const s = k.pt.lookup(this.mm(pid), Math.floor(addr / 4096));
    return s >= 0 && (k.pt.flags[s]! & PTE_P) !== 0 ? k.pt.num[s]! : -1;
  }

  /** The swap slot the PTE at `addr` of `pid` holds (-1: none). */
  slotAt(pid: number, addr: number): number {
    const k = this.k;
    const s = k.pt.lookup(this.mm(pid), Math.floor(addr / 4096));
    return s >= 0 && (k.pt.flags[s]! & PTE_SWAP) !== 0 ? k.pt.num[s]! : -1;
  }

  /** The raw PTE flags at `addr` of `pid` (-1: no PTE). */
  pteAt(pid: number, addr: number): number {
    const k = this.k;
    const s = k.pt.lookup(this.mm(pid), Math.floor(addr / 4096));
    return s >= 0 ? k.pt.flags[s]! : -1;
  }

  /** Counter `name`, right now. */
  c(name: CounterName): number {
    return this.k.counters[C[name]]!;
  }

  /** The counters of `names`, right now. */
  pick(names: CounterName[]): Record<string, number> {
    return Object.fromEntries(names.map((n) => [n, this.c(n)]));
  }

  /** How much each of `names` grows while `f` runs; `f`'s result beside them. */
  delta<T>(names: CounterName[], f: () => T): { result: T } & Record<string, number | T> {
    const before = names.map((n) => this.c(n));
    const result = f();
    const out: { result: T } & Record<string, number | T> = { result } as never;
    names.forEach((n, q) => out[n] = this.c(n) - before[q]!);
    return out;
  }

  /** The frames of LRU list `list`, oldest (tail) first. */
  lru(list: number): number[] {
    const fr = this.k.frames;
    const out: number[] = [];
    for (let f = fr.lruTail[list]!; f !== -1; f = fr.lruPrev[f]!) out.push(f);
    return out;
  }

  /** The sizes of the LRU lists: inactive anon, active anon, inactive file, active file, unevictable. */
  sizes(): number[] {
    const s = this.k.frames.lruSize;
    return [s[1]!, s[2]!, s[3]!, s[4]!, s[5]!];
  }
}
