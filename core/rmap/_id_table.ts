/**
 * {@linkcode IdTable}: the anon_vmas of a strategy by id, so that a page's owner id (a number in
 * the frame table) finds its anon_vma, or nothing once it is freed; with the count alive and each
 * one's metadata bytes reported to the machine.
 *
 * @module
 */
import type { RmapContext } from "./strategy.ts";

/** Objects by id: ids from 1 in creation order, never reused. */
export class IdTable<T extends { readonly id: number }> {
  /** The live objects by id; a freed id's entry, and entry 0, are undefined. */
  readonly at: (T | undefined)[] = [undefined];
  /** Objects alive. */
  live = 0;
  /** Most objects alive at once. */
  peak = 0;
  #ctx: RmapContext;
  #bytes: number;

  /** A table whose objects each take `bytes` of metadata, reported through `ctx.addMeta`. */
  constructor(ctx: RmapContext, bytes: number) {
    this.#ctx = ctx;
    this.#bytes = bytes;
  }

  /** The id the next object gets. */
  get next(): number {
    return this.at.length;
  }

  /** Adds `x`, made with id {@linkcode IdTable.next}, and returns it. */
  add(x: T): T {
    if (x.id !== this.at.length) throw new Error(`IdTable: id ${x.id} is not the next id`);
    this.at.push(x);
    if (++this.live > this.peak) this.peak = this.live;
    this.#ctx.addMeta(this.#bytes);
    return x;
  }

  /** Removes `x` (its id stays unused). */
  remove(x: T): void {
    this.at[x.id] = undefined;
    this.live--;
    this.#ctx.addMeta(-this.#bytes);
  }
}
