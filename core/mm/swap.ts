/**
 * Swap space: devices with slots and priorities, cluster allocation of contiguous slots, and the
 * per-slot state the machine needs (reference counts, swap cache, contents).
 *
 * Slots of all devices share one numbering: a device owns `[base, base + size)`. A slot's
 * reference count (Linux's `swap_map` count) is the number of swap PTEs plus object swap-map
 * entries that hold it; the swap cache (`cache`) is separate, as `SWAP_HAS_CACHE` is. A slot is in
 * use while it has references or a swap-cache page.
 *
 * Allocation follows Linux: the highest-priority device with free slots first, devices of equal
 * priority in turn; within a device, slots come from the current 256-slot cluster so that pages
 * reclaimed together land next to each other and their writes merge into one request.
 *
 * @module
 */
import { NONE } from "./frames.ts";

/** Slots per allocation cluster (`SWAPFILE_CLUSTER`). */
export const CLUSTER = 256;

/** One swap device. */
export interface SwapDevice {
  /** Name from `swapon`. */
  readonly name: string;
  /** Priority: higher is used first. */
  readonly prio: number;
  /** First slot. */
  readonly base: number;
  /** Number of slots. */
  readonly size: number;
  /** Slots in use. */
  used: number;
  /** Only for shared anonymous memory (the `sharedAnonSwapPages` area). */
  readonly dedicated: boolean;
  /** Being emptied by `swapoff`: no new allocations. */
  removing: boolean;
  /** Next slot of the current cluster, and the cluster's end. */
  next: number;
  clusterEnd: number;
  /** Slots in use per cluster. */
  readonly clusterUsed: Int32Array;
}

/** All swap devices of a machine. */
export class SwapSpace {
  /** Reference count per slot. */
  refs: Int32Array = new Int32Array(0);
  /** Swap-cache frame per slot, or NONE. */
  cache: Int32Array = new Int32Array(0);
  /** Contents (stamp) written to each slot. */
  stamp: Float64Array = new Float64Array(0);
  /** 1 while the slot is allocated. */
  inUse: Uint8Array = new Uint8Array(0);
  /** Device index (in `#all`) of each slot. */
  #dev: Int32Array = new Int32Array(0);
  /** Devices, enabled ones, in priority order (highest first, then oldest first). */
  readonly devices: SwapDevice[] = [];
  #all: SwapDevice[] = [];
  #end = 0;
  /** Slot ranges of removed devices, by base. */
  #holes: { base: number; size: number }[] = [];
  #rr = 0;
  /** Slots in use over all devices. */
  used = 0;
  /** Slots over all enabled devices. */
  total = 0;
  /**
   * Slots of the device `swap` to make when swap is first needed (0: none), unless a `swapon`
   * came first (which sets it to 0).
   */
  pending = 0;
  #nextPrio = -1;

  /** The priority of a device given none: -1, -2, ... (Linux's `least_priority`). */
  defaultPrio(): number {
    return this.#nextPrio--;
  }

  /** Makes the pending device `swap` now, if there is one. */
  addPending(): void {
    if (this.pending > 0) {
      const size = this.pending;
      this.pending = 0;
      this.add("swap", size, this.defaultPrio());
    }
  }

  /** Adds a device of `size` slots; returns it. */
  add(name: string, size: number, prio: number, dedicated = false): SwapDevice {
    // Slot numbers of removed devices are reused (first fit), so swapon/swapoff cycles do not
    // grow the slot arrays.
    let base = -1;
    for (let k = 0; k < this.#holes.length; k++) {
      const h = this.#holes[k]!;
      if (h.size < size) continue;
      base = h.base;
      if (h.size === size) this.#holes.splice(k, 1);
      else this.#holes[k] = { base: h.base + size, size: h.size - size };
      break;
    }
    if (base < 0) {
      base = this.#end;
      this.#end += size;
      this.#grow(this.#end);
    }
    const d: SwapDevice = {
      name,
      prio,
      base,
      size,
      used: 0,
      dedicated,
      removing: false,
      next: base,
      clusterEnd: base,
      clusterUsed: new Int32Array(Math.ceil(size / CLUSTER)),
    };
    const idx = this.#all.length;
    this.#all.push(d);
    this.#dev.fill(idx, base, base + size);
    this.devices.push(d);
    this.devices.sort((a, b) => b.prio - a.prio || a.base - b.base);
    this.total += size;
    return d;
  }

  /** Removes device `d` (all its slots must be free); its slot numbers become reusable. */
  remove(d: SwapDevice): void {
    const k = this.devices.indexOf(d);
    if (k >= 0) this.devices.splice(k, 1);
    this.total -= d.size;
    this.#holes.push({ base: d.base, size: d.size });
    this.#holes.sort((a, b) => a.base - b.base);
    // Merge neighbouring holes.
    for (let j = this.#holes.length - 1; j > 0; j--) {
      const a = this.#holes[j - 1]!, b = this.#holes[j]!;
      if (a.base + a.size === b.base) {
        this.#holes[j - 1] = { base: a.base, size: a.size + b.size };
        this.#holes.splice(j, 1);
      }
    }
  }

  /** The enabled device named `name`. */
  find(name: string): SwapDevice | undefined {
    return this.devices.find((d) => d.name === name);
  }

  /** The device of slot `slot`. */
  deviceOf(slot: number): SwapDevice {
    return this.#all[this.#dev[slot]!]!;
  }

  #grow(n: number): void {
    if (n <= this.refs.length) return;
    const cap = Math.max(n, this.refs.length * 2);
    const refs = new Int32Array(cap);
    refs.set(this.refs);
    const cache = new Int32Array(cap).fill(NONE);
    cache.set(this.cache);
    const stamp = new Float64Array(cap);
    stamp.set(this.stamp);
    const inUse = new Uint8Array(cap);
    inUse.set(this.inUse);
    const dev = new Int32Array(cap);
    dev.set(this.#dev);
    this.refs = refs;
    this.cache = cache;
    this.stamp = stamp;
    this.inUse = inUse;
    this.#dev = dev;
  }

  /**
   * Allocates a slot, or returns NONE when swap is full. `sharedAnon` requests try dedicated
   * devices first; other requests never use them.
   */
  alloc(sharedAnon = false): number {
    if (sharedAnon) {
      for (const d of this.devices) {
        if (d.dedicated && !d.removing && d.used < d.size) return this.#take(d);
      }
    }
    const devs = this.devices;
    for (let k = 0; k < devs.length; k++) {
      const d = devs[k]!;
      if (d.dedicated || d.removing || d.used >= d.size) continue;
      // Devices of the same priority take turns.
      let n = 0;
      for (let j = k; j < devs.length && devs[j]!.prio === d.prio; j++) n++;
      for (let t = 0; t < n; t++) {
        const c = devs[k + ((this.#rr + t) % n)]!;
        if (c.dedicated || c.removing || c.used >= c.size) continue;
        this.#rr = (this.#rr + t + 1) % n;
        return this.#take(c);
      }
    }
    return NONE;
  }

  #take(d: SwapDevice): number {
    let s = NONE;
    // The current cluster first.
    while (d.next < d.clusterEnd) {
      const c = d.next++;
      if (!this.inUse[c]) {
        s = c;
        break;
      }
    }
    if (s === NONE) {
      // A wholly free cluster next, else any free slot.
      const nc = d.clusterUsed.length;
      for (let k = 0; k < nc; k++) {
        const cs = d.base + k * CLUSTER;
        const ce = Math.min(cs + CLUSTER, d.base + d.size);
        if (d.clusterUsed[k] === 0 && ce - cs === CLUSTER) {
          s = cs;
          d.next = cs + 1;
          d.clusterEnd = ce;
          break;
        }
      }
      if (s === NONE) {
        for (let c = d.base; c < d.base + d.size; c++) {
          if (!this.inUse[c]) {
            s = c;
            break;
          }
        }
        d.next = s + 1;
        d.clusterEnd = Math.min(
          d.base + d.size,
          (Math.floor((s - d.base) / CLUSTER) + 1) * CLUSTER + d.base,
        );
      }
    }
    this.inUse[s] = 1;
    this.refs[s] = 0;
    this.cache[s] = NONE;
    d.used++;
    d.clusterUsed[Math.floor((s - d.base) / CLUSTER)]!++;
    this.used++;
    return s;
  }

  /** Frees slot `s` (no references, no swap-cache page). */
  free(s: number): void {
    const d = this.deviceOf(s);
    this.inUse[s] = 0;
    this.refs[s] = 0;
    this.cache[s] = NONE;
    this.stamp[s] = 0;
    d.used--;
    d.clusterUsed[Math.floor((s - d.base) / CLUSTER)]!--;
    this.used--;
  }

  /** Linux's `vm_swap_full()`: more than half of the swap space is in use. */
  get full(): boolean {
    return this.used * 2 > this.total;
  }
}
