/**
 * The event contract between the traces (`trace/`) and the machine (`core/`): operation codes,
 * protection and mapping-flag bits, `madvise` advice codes, and the column layout of a batch of
 * events. Both sides import it; it imports nothing (as Linux's `include/uapi` is what user space
 * and the kernel share).
 *
 * A batch holds events column by column in typed arrays ({@linkcode EventColumns}; `EventBatch` of
 * `trace/batch.ts` is the implementation). An address is split into its page number (exact in a
 * float64 up to 2^57) and its offset within the 4 KiB page. Column use per op (unused columns hold
 * 0, `str` holds -1):
 *
 * | op | page/off | page2/off2 | n1 | n2 | small | str |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | mmap | addr | | len | offset | prot, flags << 3, HAS_OFFSET | object or -1 |
 * | munmap mlock munlock msync r w x | addr | | len | | | |
 * | mremap | old addr | new addr | old len | new len | | |
 * | mprotect | addr | | len | | prot | |
 * | madvise | addr | | len | | advice code | |
 * | fork clone | | | child | | | |
 * | create truncate | | | size | | | object |
 * | read write | | | offset | len | | object |
 * | unlink fsync | | | | | | object |
 * | swapon | | | size | prio | HAS_PRIO | name |
 * | swapoff | | | | | | name |
 * | reclaim | | | pages | | | |
 * | mark | | | | | | label |
 *
 * @example
 * ```ts
 * import { FLAGS_SHIFT, MapFlag, Op, Prot, PROT_MASK } from "./event.ts";
 * const small = (Prot.read | Prot.write) | ((MapFlag.private | MapFlag.anon) << FLAGS_SHIFT);
 * if ((small & PROT_MASK) !== 3 || Op.w !== 13) throw new Error("the layout changed");
 * ```
 *
 * @module
 */

/** Every operation of vmtrace v1, in the order of their numeric codes. */
export const OPS = [
  "mmap",
  "munmap",
  "mremap",
  "mprotect",
  "madvise",
  "mlock",
  "munlock",
  "msync",
  "fork",
  "clone",
  "exec",
  "exit",
  "r",
  "w",
  "x",
  "create",
  "read",
  "write",
  "truncate",
  "unlink",
  "fsync",
  "swapon",
  "swapoff",
  "reclaim",
  "mark",
] as const;

/** The name of an operation. */
export type OpName = typeof OPS[number];

/** Numeric operation codes, as stored in {@linkcode EventColumns.op}. */
export const Op = {
  mmap: 0,
  munmap: 1,
  mremap: 2,
  mprotect: 3,
  madvise: 4,
  mlock: 5,
  munlock: 6,
  msync: 7,
  fork: 8,
  clone: 9,
  exec: 10,
  exit: 11,
  r: 12,
  w: 13,
  x: 14,
  create: 15,
  read: 16,
  write: 17,
  truncate: 18,
  unlink: 19,
  fsync: 20,
  swapon: 21,
  swapoff: 22,
  reclaim: 23,
  mark: 24,
} as const satisfies Record<OpName, number>;

/** Operations whose PID is `-` (system events). */
export const SYSTEM_OPS: ReadonlySet<OpName> = new Set(["swapon", "swapoff", "reclaim", "mark"]);

/** Page size of the modelled machine, in bytes (x86-64 base pages). */
export const PAGE_SIZE = 4096;
/** log2 of {@linkcode PAGE_SIZE}. */
export const PAGE_SHIFT = 12;

/** Protection bits, as in `PROT` (`rw-`). */
export const Prot = { read: 1, write: 2, exec: 4 } as const;

/** Mapping flags, as in `FLAGS` (`private,anon`). Exactly one of `private`/`shared` is set. */
export const MapFlag = {
  private: 1,
  shared: 2,
  anon: 4,
  populate: 8,
  locked: 16,
  growsdown: 32,
  noreserve: 64,
} as const;

/** The name of a mapping flag. */
export type MapFlagName = keyof typeof MapFlag;

/** `madvise` advice values, in the order of their codes ({@linkcode Madv}). */
export const ADVICES = ["dontneed", "pageout", "willneed"] as const;
/** The name of an `madvise` advice. */
export type Advice = typeof ADVICES[number];
/** `madvise` advice codes, as stored in {@linkcode EventColumns.small}: the index in `ADVICES`. */
export const Madv = { dontneed: 0, pageout: 1, willneed: 2 } as const satisfies Record<
  Advice,
  number
>;

/** In {@linkcode EventColumns.small} of an `mmap`: the event carried an explicit OFFSET. */
export const HAS_OFFSET = 1 << 10;
/** In {@linkcode EventColumns.small} of a `swapon`: the event carried `prio=N`. */
export const HAS_PRIO = 1 << 11;
/** Mask of the protection bits in {@linkcode EventColumns.small}. */
export const PROT_MASK = 7;
/** Shift of the mapping flags in {@linkcode EventColumns.small}. */
export const FLAGS_SHIFT = 3;
/** Mask of the mapping flags after shifting. */
export const FLAGS_MASK = 0x7f;

/**
 * The columns of a batch of events, read by index (see the module doc for which column holds what
 * for each op). `EventBatch` (`trace/batch.ts`) implements it; the machine reads nothing else.
 */
export interface EventColumns {
  /** Number of events stored. */
  readonly length: number;
  /** Operation code ({@linkcode Op}). */
  readonly op: Uint8Array;
  /** Process id; 0 for system events. */
  readonly pid: Int32Array;
  /** Page number of the (first) address. */
  readonly page: Float64Array;
  /** Offset of the (first) address within its page. */
  readonly off: Uint16Array;
  /** Page number of mremap's new address. */
  readonly page2: Float64Array;
  /** Offset of mremap's new address within its page. */
  readonly off2: Uint16Array;
  /** First numeric argument. */
  readonly n1: Float64Array;
  /** Second numeric argument. */
  readonly n2: Float64Array;
  /** Small packed integers: prot, flags, advice, presence bits. */
  readonly small: Int32Array;
  /** Index into `strings`, or -1. */
  readonly str: Int32Array;
  /** Source line (or event number) of each event; 0 if unknown. */
  readonly line: Float64Array;
  /** Object names, swap device names and labels referenced by `str`. */
  readonly strings: readonly string[];
}
