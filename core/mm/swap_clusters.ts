/**
 * Slot allocation within one swap device, as Linux 6.18 does it for single pages
 * (`mm/swapfile.c`: `cluster_alloc_swap_entry`, `alloc_swap_scan_cluster`, `relocate_cluster`,
 * `partial_free_cluster`).
 *
 * A device's slots are grouped in aligned clusters of {@linkcode CLUSTER} slots, numbered in the
 * kernel's offsets: offset 0 is the swap header, so the device's first slot is offset 1 and
 * cluster 0 has a slot fewer; the last cluster ends with the device and may be short too (Linux
 * counts the missing slots as used). Every cluster is on one list:
 *
 * - free: no slot in use. At first every cluster but those two, in order; a cluster whose last
 *   slot is freed goes to the end.
 * - nonfull: a slot of it was freed since it was last allocated from. At first cluster 0 and a
 *   short last cluster; a cluster a slot is freed in goes to the end.
 * - frag: allocated from, neither full nor freed from since.
 * - full: every slot in use.
 *
 * The device remembers where its last allocation left off, as Linux does for a rotational device
 * (`global_cluster`; a solid-state one keeps it per CPU): the next one scans on from there to the
 * end of that cluster. When nothing is free
 * there it scans, from its start, the first cluster of the nonfull list, else the first of the
 * free list, else each frag cluster in turn. A cluster scanned goes to the end of the list its
 * count calls for (`relocate_cluster`) unless it is on it already.
 *
 * So, once slots have been freed here and there, reclaim's next writes fill those holes in slot
 * order before it takes a fresh cluster. tmpfs and System V shm pages give their slot up when they
 * are read back: after a random read-back, pages swapped out together land between pages written
 * long before, and slot readahead (`swap_in.ts`) reads both. (Measured on Linux 6.18, 16 MiB cgroup,
 * 24 MiB of shm: read the first third at random, then the middle third in order. The kernel took
 * 1100-1125 major and 923-948 minor faults; filling fresh clusters instead, the simulator took 259
 * and 1789, the readahead finding every neighbour in order.)
 *
 * Internal to the machine: each device of `swap.ts` has one.
 *
 * @module
 */
import { grown } from "./growable.ts";

/** Slots per cluster (`SWAPFILE_CLUSTER`: `HPAGE_PMD_NR`, 512, with `CONFIG_THP_SWAP`). */
export const CLUSTER = 512;

/** Clusters whose ids a device keeps in an array (beyond, in a Map): 128 GiB of slots. */
const DIRECT = 65536;

/** The list a cluster is on (Linux's `enum swap_cluster_flags`, in its order). */
export const CLUSTER_LIST = { none: 0, free: 1, nonfull: 2, frag: 3, full: 4 } as const;
const { none: NONE, free: FREE, nonfull: NONFULL, frag: FRAG, full: FULL } = CLUSTER_LIST;

/** The clusters of one swap device. */
export class SwapClusters {
  /** Slots of the device. */
  readonly size: number;
  /** Clusters of the device. */
  readonly count: number;
  /** Slot (relative to the device) the next allocation scans on from, or -1: the lists. */
  next = -1;
  // The clusters met so far have an id, and per id: the cluster, its slots in use, its list and
  // its neighbours there (-1: none). A cluster not met yet is on the free list, ahead of those
  // freed since: clusters from `#unmet` on, in order.
  // Ids by cluster: an array for the first DIRECT clusters (every cluster of a device up to 128
  // GiB), a Map beyond (a device of terabytes holding a few pages costs little).
  #low: Int32Array;
  #high = new Map<number, number>();
  #cluster = new Int32Array(8);
  #used = new Int32Array(8);
  #list = new Uint8Array(8);
  #prev = new Int32Array(8);
  #after = new Int32Array(8);
  // Per id: the first slot that may be free; every slot of the cluster before it is in use. A
  // scan starts there rather than at the cluster's start (the same slot found, fewer looked at).
  #hole = new Int32Array(8);
  #n = 0;
  #head = new Int32Array(5).fill(-1);
  #tail = new Int32Array(5).fill(-1);
  #unmet = 1;

  /** The clusters of a device of `size` slots, none in use. */
  constructor(size: number) {
    this.size = size;
    this.count = Math.ceil((size + 1) / CLUSTER);
    this.#low = new Int32Array(Math.min(this.count, DIRECT)).fill(-1);
    // setup_clusters: the header's cluster, then a short last one, start on the nonfull list.
    this.#append(this.#id(0), NONFULL);
    const last = this.count - 1;
    if (last > 0 && this.#capacity(last) < CLUSTER) this.#append(this.#id(last), NONFULL);
  }

  /** The cluster of slot `r` (relative to the device; the kernel's offset r + 1). */
  clusterOf(r: number): number {
    return Math.floor((r + 1) / CLUSTER);
  }

  /** Slots in use in cluster `c`. */
  used(c: number): number {
    const id = this.#lookup(c);
    return id < 0 ? 0 : this.#used[id]!;
  }

  /** The list cluster `c` is on (a value of {@linkcode CLUSTER_LIST}). */
  listOf(c: number): number {
    const id = this.#lookup(c);
    return id < 0 ? FREE : this.#list[id]!;
  }

  /**
   * The slots of the clusters that have some in use, in order: pairs of a first and a last slot
   * (relative to the device), flat. What a walk over the slots in use needs to look at, without
   * the rest of a large device.
   */
  rangesInUse(): number[] {
    const cs: number[] = [];
    for (let id = 0; id < this.#n; id++) if (this.#used[id]! > 0) cs.push(this.#cluster[id]!);
    cs.sort((a, b) => a - b);
    const out: number[] = [];
    for (const c of cs) out.push(this.#first(c), this.#last(c));
    return out;
  }

  /**
   * Takes a free slot and returns it (relative to the device), or -1 when the device has none. A
   * slot `r` is free when `inUse[base + r]` is 0 (or beyond the array).
   */
  take(inUse: Uint8Array, base: number): number {
    if (this.next >= 0) {
      // swap_alloc_fast: on from where the last allocation left off, unless its cluster is full.
      const c = this.clusterOf(this.next);
      const id = this.#id(c);
      if (this.#list[id]! <= FRAG) {
        const r = this.#scan(id, this.#empty(id) ? this.#first(c) : this.next, inUse, base);
        if (r >= 0) return r;
      }
    }
    let id = this.#head[NONFULL]!;
    if (id >= 0) {
      const r = this.#scanFromStart(id, inUse, base);
      if (r >= 0) return r;
    }
    id = this.#freeHead();
    if (id >= 0) {
      const r = this.#scanFromStart(id, inUse, base);
      if (r >= 0) return r;
    }
    // Each frag cluster in turn (one with a free slot is found at once: at most all of them).
    for (let tries = this.#n; tries > 0 && this.#head[FRAG]! >= 0; tries--) {
      const r = this.#scanFromStart(this.#head[FRAG]!, inUse, base);
      if (r >= 0) return r;
    }
    this.next = -1;
    return -1;
  }

  /** Slot `r` (relative to the device), in use, is freed. */
  free(r: number): void {
    const id = this.#id(this.clusterOf(r));
    this.#used[id]!--;
    if (r < this.#hole[id]!) this.#hole[id] = r;
    // swap_entries_free: free_cluster when it was the last, else partial_free_cluster.
    const l = this.#empty(id) ? FREE : NONFULL;
    if (this.#list[id] !== l) this.#move(id, l);
  }

  /** First slot of cluster `c`. */
  #first(c: number): number {
    return Math.max(0, c * CLUSTER - 1);
  }

  /** Last slot of cluster `c`. */
  #last(c: number): number {
    return Math.min(this.size - 1, c * CLUSTER + CLUSTER - 2);
  }

  /** Slots of cluster `c`. */
  #capacity(c: number): number {
    return this.#last(c) - this.#first(c) + 1;
  }

  /** Whether cluster `id` has no slot in use (Linux: a count of 0; never the header's). */
  #empty(id: number): boolean {
    return this.#used[id] === 0 && this.#capacity(this.#cluster[id]!) === CLUSTER;
  }

  /** Cluster `id` taken off its list (`isolate_lock_cluster`) and scanned from its start. */
  #scanFromStart(id: number, inUse: Uint8Array, base: number): number {
    this.#unlink(id);
    return this.#scan(id, this.#first(this.#cluster[id]!), inUse, base);
  }

  /**
   * `alloc_swap_scan_cluster`: the first free slot of cluster `id` from slot `from` on, taken;
   * where the next allocation starts; then the cluster to the list its count calls for.
   */
  #scan(id: number, from: number, inUse: Uint8Array, base: number): number {
    const c = this.#cluster[id]!;
    const last = this.#last(c), capacity = this.#capacity(c);
    let found = -1;
    if (this.#used[id]! < capacity) {
      const hole = this.#hole[id]!;
      for (let r = from > hole ? from : hole; r <= last; r++) {
        if (!inUse[base + r]) {
          found = r;
          break;
        }
      }
      if (found >= 0 && from <= hole) this.#hole[id] = found + 1;
    }
    this.next = -1;
    if (found >= 0) {
      const u = ++this.#used[id]!;
      if (u < capacity && found < last) this.next = found + 1;
    }
    const l = this.#empty(id) ? FREE : this.#used[id] === capacity ? FULL : FRAG;
    if (this.#list[id] !== l) this.#move(id, l);
    return found;
  }

  /**
   * The first cluster of the free list, or -1: one not met yet comes first (given an id, off
   * every list, as if just taken off the free list's head).
   */
  #freeHead(): number {
    while (this.#unmet < this.count) {
      const c = this.#unmet++;
      if (this.#lookup(c) < 0) return this.#id(c); // (the short last cluster has one: not free)
    }
    return this.#head[FREE]!;
  }

  /** The id of cluster `c`, given one when it is met first (off every list). */
  #id(c: number): number {
    let id = this.#lookup(c);
    if (id >= 0) return id;
    id = this.#n++;
    if (id === this.#cluster.length) {
      this.#cluster = grown(this.#cluster, id, this.count);
      this.#used = grown(this.#used, id, this.count);
      this.#list = grown(this.#list, id, this.count);
      this.#prev = grown(this.#prev, id, this.count);
      this.#after = grown(this.#after, id, this.count);
      this.#hole = grown(this.#hole, id, this.count);
    }
    this.#cluster[id] = c;
    this.#used[id] = 0;
    this.#hole[id] = this.#first(c);
    this.#list[id] = NONE;
    if (c < this.#low.length) this.#low[c] = id;
    else this.#high.set(c, id);
    return id;
  }

  /** The id of cluster `c`, or -1 when it has not been met. */
  #lookup(c: number): number {
    return c < this.#low.length ? this.#low[c]! : this.#high.get(c) ?? -1;
  }

  #unlink(id: number): void {
    const l = this.#list[id]!;
    if (l === NONE) return;
    const p = this.#prev[id]!, n = this.#after[id]!;
    if (p >= 0) this.#after[p] = n;
    else this.#head[l] = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail[l] = p;
    this.#list[id] = NONE;
  }

  #append(id: number, l: number): void {
    const t = this.#tail[l]!;
    this.#prev[id] = t;
    this.#after[id] = -1;
    if (t >= 0) this.#after[t] = id;
    else this.#head[l] = id;
    this.#tail[l] = id;
    this.#list[id] = l;
  }

  /** `move_cluster`: to the end of list `l`. */
  #move(id: number, l: number): void {
    this.#unlink(id);
    this.#append(id, l);
  }
}
