/**
 * Typed arrays that grow as they are used: the machine's per-frame and per-slot state is sized by
 * what a trace touches, not by the memory and swap it declares, so a trace that declares terabytes
 * and touches megabytes costs megabytes.
 *
 * {@linkcode grown} returns a larger copy (at least double, at most the declared limit), so a
 * caller must not keep a reference to the old array across an operation that may grow it: the
 * machine reads its arrays through their owner (`k.frames.flags[f]`), or reloads a local copy after
 * any call that may allocate.
 *
 * @module
 */

/** The typed arrays the machine keeps its state in. */
export type GrowableArray =
  | Int32Array
  | Float64Array
  | Uint8Array
  | Uint16Array;

/** Smallest capacity a grown array gets (elements). */
export const MIN_CAPACITY = 256;

/**
 * The capacity to give an array of `length` elements that must hold index `index`: double the
 * current length (or {@linkcode MIN_CAPACITY}), enough for `index`, and never above `limit`.
 * Throws a RangeError when `index` is at or beyond `limit`.
 *
 * @example
 * ```ts
 * import { growCapacity } from "./growable.ts";
 * if (growCapacity(256, 256, 1000) !== 512) throw new Error("doubles");
 * if (growCapacity(512, 900, 1000) !== 1000) throw new Error("stops at the limit");
 * if (growCapacity(0, 5000, 1 << 20) !== 5001) throw new Error("fits the index");
 * ```
 */
export function growCapacity(length: number, index: number, limit: number): number {
  if (!(index < limit)) {
    throw new RangeError(`Index ${index} beyond the limit of ${limit} elements`);
  }
  return Math.min(limit, Math.max(index + 1, length * 2, MIN_CAPACITY));
}

/**
 * `a`, or a copy of it grown by doubling (see {@linkcode growCapacity}) so that it holds index
 * `index`; the new elements are `fill` (default 0). Only the new part is filled: elements never
 * used cost address space, not memory, when the copy is large.
 *
 * @example
 * ```ts
 * import { grown } from "./growable.ts";
 * const a = new Int32Array(2).fill(7);
 * const b = grown(a, 3, 1 << 20, -1);
 * if (b.length !== 256 || b[1] !== 7 || b[2] !== -1 || b[255] !== -1) throw new Error("grown");
 * if (grown(b, 10, 1 << 20) !== b) throw new Error("big enough: the same array");
 * ```
 */
export function grown<T extends GrowableArray>(a: T, index: number, limit: number, fill = 0): T {
  if (index < a.length) return a;
  const cap = growCapacity(a.length, index, limit);
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** A typed array constructor the machine uses. */
type ArrayOf<T extends GrowableArray> = {
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * A typed array of `length` elements that can grow in place, without a copy, up to `reserved`
 * elements ({@linkcode resizeReserved}): a view of a resizable `ArrayBuffer`, so references to it
 * stay valid as it grows, and elements in between that are never written cost address space only.
 * For state indexed by numbers that are used sparsely (swap slots of several devices, the first of
 * them large and mostly unused).
 *
 * @example
 * ```ts
 * import { reservedArray, resizeReserved } from "./growable.ts";
 * const a = reservedArray(Int32Array, 4, 1 << 20);
 * resizeReserved(a, 1000);
 * a[999] = 5;
 * if (a.length !== 1000 || a[999] !== 5 || a[3] !== 0) throw new Error("reserved");
 * ```
 */
export function reservedArray<T extends GrowableArray>(
  ctor: ArrayOf<T>,
  length: number,
  reserved: number,
): T {
  const size = ctor.BYTES_PER_ELEMENT;
  const Rab = ArrayBuffer as unknown as new (
    n: number,
    o: { maxByteLength: number },
  ) => ArrayBuffer;
  return new ctor(new Rab(length * size, { maxByteLength: Math.max(length, reserved) * size }));
}

/** Makes an array of {@linkcode reservedArray} `length` elements long (in place; new ones 0). */
export function resizeReserved(a: GrowableArray, length: number): void {
  (a.buffer as unknown as { resize(n: number): void }).resize(length * a.BYTES_PER_ELEMENT);
}
