/**
 * {@linkcode SwapClusters} against a plain model of the same policy (Linux 6.18's single-page
 * cluster allocator, as its module doc states it): every cluster on an array list, each scan from
 * the slot the policy names, one slot after another. Random takes and frees on devices of several
 * sizes (a short last cluster or none) must hand out the same slots and leave every cluster on the
 * same list.
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import { CLUSTER, CLUSTER_LIST, SwapClusters } from "./swap_clusters.ts";
import { Rng } from "../../trace/_rng.ts";

const { none: NONE, free: FREE, nonfull: NONFULL, frag: FRAG, full: FULL } = CLUSTER_LIST;

/** The policy written out plainly: lists as arrays, every scan slot by slot. */
class Model {
  readonly count: number;
  readonly used: number[];
  readonly list: number[];
  readonly lists: number[][] = [[], [], [], [], []];
  next = -1;

  constructor(readonly size: number) {
    this.count = Math.ceil((size + 1) / CLUSTER);
    this.used = new Array(this.count).fill(0);
    this.list = new Array(this.count).fill(NONE);
    this.#move(0, NONFULL);
    const last = this.count - 1;
    if (last > 0 && this.#capacity(last) < CLUSTER) this.#move(last, NONFULL);
    for (let c = 1; c < this.count; c++) if (this.list[c] === NONE) this.#move(c, FREE);
  }

  take(inUse: Uint8Array): number {
    if (this.next >= 0) {
      const c = Math.floor((this.next + 1) / CLUSTER);
      if (this.list[c]! <= FRAG) {
        const r = this.#scan(c, this.#empty(c) ? this.#first(c) : this.next, inUse);
        if (r >= 0) return r;
      }
    }
    for (const l of [NONFULL, FREE]) {
      const c = this.lists[l]![0];
      if (c === undefined) continue;
      this.#unlink(c);
      const r = this.#scan(c, this.#first(c), inUse);
      if (r >= 0) return r;
    }
    for (let tries = this.count; tries > 0 && this.lists[FRAG]!.length > 0; tries--) {
      const c = this.lists[FRAG]![0]!;
      this.#unlink(c);
      const r = this.#scan(c, this.#first(c), inUse);
      if (r >= 0) return r;
    }
    this.next = -1;
    return -1;
  }

  free(r: number): void {
    const c = Math.floor((r + 1) / CLUSTER);
    this.used[c]!--;
    const l = this.#empty(c) ? FREE : NONFULL;
    if (this.list[c] !== l) this.#move(c, l);
  }

  #scan(c: number, from: number, inUse: Uint8Array): number {
    let found = -1;
    for (let r = from; r <= this.#last(c); r++) {
      if (!inUse[r]) {
        found = r;
        break;
      }
    }
    this.next = -1;
    if (found >= 0) {
      const u = ++this.used[c]!;
      if (u < this.#capacity(c) && found < this.#last(c)) this.next = found + 1;
    }
    const l = this.#empty(c) ? FREE : this.used[c] === this.#capacity(c) ? FULL : FRAG;
    if (this.list[c] !== l) this.#move(c, l);
    return found;
  }

  #first(c: number): number {
    return Math.max(0, c * CLUSTER - 1);
  }

  #last(c: number): number {
    return Math.min(this.size - 1, c * CLUSTER + CLUSTER - 2);
  }

  #capacity(c: number): number {
    return this.#last(c) - this.#first(c) + 1;
  }

  #empty(c: number): boolean {
    return this.used[c] === 0 && this.#capacity(c) === CLUSTER;
  }

  #unlink(c: number): void {
    const l = this.list[c]!;
    if (l !== NONE) this.lists[l]!.splice(this.lists[l]!.indexOf(c), 1);
    this.list[c] = NONE;
  }

  #move(c: number, l: number): void {
    this.#unlink(c);
    this.lists[l]!.push(c);
    this.list[c] = l;
  }
}

for (const size of [100, 1535, 4 * CLUSTER - 1, 3000]) {
  Deno.test(`swap clusters: ${size} slots, random takes and frees, as the plain model`, () => {
    const rng = new Rng(size);
    const a = new SwapClusters(size), m = new Model(size);
    const inUse = new Uint8Array(size);
    const held: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      // Mostly takes while the device fills, mostly frees once it is nearly full.
      if (held.length > 0 && rng.next() < held.length / size) {
        const r = held.splice(rng.int(held.length), 1)[0]!;
        inUse[r] = 0;
        a.free(r);
        m.free(r);
        continue;
      }
      const got = a.take(inUse, 0), want = m.take(inUse);
      deepStrictEqual(got, want, `take at step ${step}`);
      if (got >= 0) {
        inUse[got] = 1;
        held.push(got);
      }
      deepStrictEqual(a.next, m.next, `next at step ${step}`);
    }
    for (let c = 0; c < m.count; c++) {
      deepStrictEqual([a.used(c), a.listOf(c)], [m.used[c], m.list[c]], `cluster ${c}`);
    }
  });
}
