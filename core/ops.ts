/**
 * Operation codes and packed-field layout of the columnar event batch, repeated inside `core/`.
 *
 * `core/` may import nothing but types from `trace/` (SPEC.md "Layout"), so the machine keeps its
 * own copy of the constants it needs from `trace/event.ts` and `trace/batch.ts`; `ops_test.ts`
 * checks that both copies agree.
 *
 * @module
 */

/** Operation codes, as in `Op` of `trace/event.ts`. */
export const OP = {
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
} as const;

/** Protection bits (`Prot` of `trace/event.ts`). */
export const PROT_READ = 1;
/** Write permission bit. */
export const PROT_WRITE = 2;
/** Execute permission bit. */
export const PROT_EXEC = 4;
/** Mask of the protection bits in a batch's `small` column. */
export const PROT_MASK = 7;

/** Mapping flags (`MapFlag` of `trace/event.ts`). */
export const MAP_PRIVATE = 1;
/** Shared mapping. */
export const MAP_SHARED = 2;
/** Anonymous mapping. */
export const MAP_ANON = 4;
/** Fault every page in at mmap time. */
export const MAP_POPULATE = 8;
/** Locked mapping (as `mlock`). */
export const MAP_LOCKED = 16;
/** Stack-like mapping (recorded, not modelled). */
export const MAP_GROWSDOWN = 32;
/** No swap reservation (recorded, not modelled). */
export const MAP_NORESERVE = 64;

/** Shift of the mapping flags in a batch's `small` column (`FLAGS_SHIFT` of `trace/batch.ts`). */
export const FLAGS_SHIFT = 3;
/** Mask of the mapping flags after shifting. */
export const FLAGS_MASK = 0x7f;
/** In `small` of a `swapon`: the event carried `prio=N`. */
export const HAS_PRIO = 1 << 11;

/** `madvise` advice codes (index in `ADVICES` of `trace/event.ts`). */
export const ADVICE_DONTNEED = 0;
/** `madvise pageout`. */
export const ADVICE_PAGEOUT = 1;
/** `madvise willneed`. */
export const ADVICE_WILLNEED = 2;

/** Page size in bytes. */
export const PAGE_SIZE = 4096;
