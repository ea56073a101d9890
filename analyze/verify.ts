/**
 * The comparison behind `--verify`: what the machine did for one access against what the
 * {@linkcode ReferenceModel} says it must do.
 *
 * @module
 */
import { NO_STAMP, type ReferenceModel } from "../core/reference.ts";
import type { EventBatch } from "../trace/batch.ts";
import { Op, PAGE_SIZE } from "../trace/event.ts";

/** The loads the machine recorded for one event (`Machine` with `recordLoads`). */
export interface LoadRecord {
  /** Number of pages the last event loaded. */
  readonly loadCount: number;
  /** Virtual page of each load, `loadCount` of them. */
  readonly loadVpage: Float64Array;
  /** Stamp each load read, `loadCount` of them. */
  readonly loadStamp: Float64Array;
  /** The stamp page `vpage` of `pid` holds now (`Machine.pageStamp`): stores are checked by it. */
  pageStamp?(pid: number, vpage: number): number | undefined;
}

/** Pages an access of `len` bytes starting `off` bytes into its first page covers. */
function accessPages(off: number, len: number): number {
  return len <= 0 ? 0 : Math.floor((off + len - 1) / PAGE_SIZE) + 1;
}

/**
 * Compares what the machine did for access `i` of `b` (an `r`, `w` or `x`; `segvs` is how many
 * segvs it counted for it) with the reference model, which must not have applied the event yet:
 * a segv exactly when the model says the access faults; for loads the same pages, each with the
 * expected stamp; for a store applied as `seq`, when the machine offers `pageStamp`, every page
 * written that the process still maps or has on swap holding `seq`. Returns a description of the
 * first difference, or undefined.
 *
 * @example
 * ```ts
 * import { verifyAccess } from "./verify.ts";
 * import { ReferenceModel } from "../core/reference.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * import { Op } from "../trace/event.ts";
 * const b = new EventBatch(4);
 * b.push({ pid: 1, op: "mmap", addr: 0x10000, len: 4096, prot: 3, flags: 5 });
 * b.push({ pid: 1, op: "r", addr: 0x10000, len: 8 });
 * const ref = new ReferenceModel();
 * ref.apply(b, 0, 1);
 * const good = { loadCount: 1, loadVpage: Float64Array.of(0x10), loadStamp: Float64Array.of(0) };
 * const bad = { loadCount: 1, loadVpage: Float64Array.of(0x10), loadStamp: Float64Array.of(7) };
 * if (verifyAccess(good, ref, b, 1, Op.r, 0) !== undefined) throw new Error("false alarm");
 * if (!verifyAccess(bad, ref, b, 1, Op.r, 0)?.includes("read stamp 7, expected 0")) throw new Error();
 * ```
 */
export function verifyAccess(
  machine: LoadRecord,
  ref: ReferenceModel,
  b: EventBatch,
  i: number,
  op: number,
  segvs: number,
  seq?: number,
): string | undefined {
  const pid = b.pid[i]!;
  const first = b.page[i]!;
  const count = accessPages(b.off[i]!, b.n1[i]!);
  const ok = ref.accessOk(pid, op, first, count);
  const what = `pid ${pid} ${op === Op.w ? "w" : op === Op.r ? "r" : "x"} page 0x${
    first.toString(16)
  }`;
  if (ok === segvs > 0) {
    return ok
      ? `${what}: the machine reported a segv; the reference model allows the access`
      : `${what}: the reference model expects a segv; the machine allowed the access`;
  }
  if (op === Op.w) {
    if (!ok || seq === undefined || machine.pageStamp === undefined) return undefined;
    for (let p = first; p < first + count; p++) {
      // No stamp: the page left the process's page table during the access (reclaim for a later
      // page of it unmapped a file or shared page, whose copy is its object's): loads check it.
      const held = machine.pageStamp(pid, p);
      if (held !== undefined && held !== seq) {
        return `${what}: page 0x${p.toString(16)} holds stamp ${held} after the store, ` +
          `expected ${seq}`;
      }
    }
    return undefined;
  }
  const loaded = machine.loadCount;
  if (loaded !== (ok ? count : 0)) {
    return `${what}: the machine loaded ${loaded} pages, expected ${ok ? count : 0}`;
  }
  for (let k = 0; k < loaded; k++) {
    const vpage = machine.loadVpage[k]!;
    const want = ref.expected(pid, vpage);
    const got = machine.loadStamp[k]!;
    if (vpage !== first + k) {
      return `${what}: load ${k} was of page 0x${vpage.toString(16)}, expected 0x${
        (first + k).toString(16)
      }`;
    }
    if (got !== want) {
      return `${what}: page 0x${vpage.toString(16)} read stamp ${got}, expected ${
        want === NO_STAMP ? "no load" : want
      }`;
    }
  }
  return undefined;
}
