/**
 * Swap space: devices with slots and priorities, cluster allocation of contiguous slots, and the
 * per-slot state the machine needs (reference counts, swap cache, contents).
 *
 * Slots of all devices share one numbering: a device owns `[base, base + size)`. The per-slot
 * arrays cover the slots handed out so far and grow by doubling (`growable.ts`), and a device keeps
 * state for the clusters it has used only, so a device of a terabyte that holds a few pages costs a
 * few pages. A slot's reference count (Linux's `swap_map` count) is the number of swap PTEs plus
 * object swap-map entries that hold it; the swap cache (`cache`) is separate, as `SWAP_HAS_CACHE` is. A slot is in
 * use while it has references or a swap-cache page.
 *
 * Allocation follows Linux: the highest-priority device with free slots first, devices of equal
 * priority in turn; within a device, slots come from clusters of 512 as Linux 6.18 hands them out
 * (`swap_clusters.ts`): on from the last slot taken, so that pages reclaimed together land next to
 * each other and their writes merge into one request, and into the holes that freed slots left
 * before a fresh cluster.
 *
 * @module
 */
import { NONE } from "./frames.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";
import { SWAP_TOTAL_MAX } from "../../uapi/limits.ts";
import { grown, MIN_CAPACITY, reservedArray, resizeReserved } from "./growable.ts";
import { SwapClusters } from "./swap_clusters.ts";

/**
 * Slot numbers end here (exclusive): a slot is an `Int32Array` entry (in PTEs and frames), so all
 * devices together hold at most 2^31 slots, `SWAP_TOTAL_MAX` (8 TiB) of swap.
 */
export const SLOT_LIMIT = SWAP_TOTAL_MAX / PAGE_SIZE;

/** One swap device. */
export interface SwapDevice {
  /** Name from `swapon`. */
  readonly name: string;
  /** Priority: higher is used first (a default one moves up when one above it goes: `remove`). */
  prio: number;
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
  /** Its clusters: which slot the next allocation takes. */
  readonly clusters: SwapClusters;
  /** One past the highest slot of the device ever handed out, relative to `base`. */
  top: number;
}

/** All swap devices of a machine. */
export class SwapSpace {
  /**
   * Reference count per slot. The per-slot arrays cover the slots handed out so far and grow by
   * doubling as more are; once a slot far beyond them is used (a device after a large, mostly
   * unused one), they become views of resizable buffers that grow in place, so that the slots in
   * between, never used, cost no memory. Either way they may be replaced: read them through the
   * swap space (`swap.refs[s]`).
   */
  refs: Int32Array = new Int32Array(0);
  /** Swap-cache frame per slot, or NONE. */
  cache: Int32Array = new Int32Array(0);
  /** Contents (stamp) written to each slot. */
  stamp: Float64Array = new Float64Array(0);
  /** Shadow of the page last evicted from each slot's swap cache, or -1 (`workingset.ts`). */
  shadow: Float64Array = new Float64Array(0);
  /** 1 while the slot is allocated. */
  inUse: Uint8Array = new Uint8Array(0);
  /**
   * Devices, enabled ones, in priority order: highest first, then the lowest slot numbers first (the
   * older device, unless a newer one took slot numbers a removed device gave back; Linux keeps
   * equal priorities in swapon order).
   */
  readonly devices: SwapDevice[] = [];
  /** The same devices by base, for {@linkcode SwapSpace.deviceOf}. */
  #byBase: SwapDevice[] = [];
  #end = 0;
  /** Whether the per-slot arrays are resizable views (see `refs`). */
  #sparse = false;
  /** Slot numbers they may then grow to in place. */
  #reserved = 0;
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
  #nextPrio = -2;

  /**
   * The priority of a device given none: -2, -3, ... (Linux's `least_priority`, -1 at boot and
   * decremented before each use since 3.15; a swapoff of such a device gives its number back, see
   * {@linkcode SwapSpace.remove}). Probed: `swapon FILE` on Linux 6.18 with no other swap gives -2.
   */
  defaultPrio(): number {
    return this.#nextPrio--;
  }

  /** The priority {@linkcode SwapSpace.defaultPrio} gives next, without taking it. */
  peekDefaultPrio(): number {
    return this.#nextPrio;
  }

  /**
   * Makes the pending device `swap` now, if there is one; false when its slots would run past
   * {@linkcode SLOT_LIMIT} (it is not made then).
   */
  addPending(): boolean {
    if (this.pending === 0) return true;
    const size = this.pending;
    this.pending = 0;
    if (this.add("swap", size, this.#nextPrio) === undefined) return false;
    this.#nextPrio--;
    return true;
  }

  /**
   * Adds a device of `size` slots; returns it, or `undefined` when the slot numbers would run past
   * {@linkcode SLOT_LIMIT}.
   */
  add(name: string, size: number, prio: number, dedicated = false): SwapDevice | undefined {
    // Slot numbers of removed devices are reused (first fit), so swapon/swapoff cycles do not
    // grow the slot arrays.
    let base = -1, hole = -1;
    for (let k = 0; k < this.#holes.length; k++) {
      if (this.#holes[k]!.size >= size) {
        hole = k;
        break;
      }
    }
    if (hole >= 0) {
      const h = this.#holes[hole]!;
      base = h.base;
      if (h.size === size) this.#holes.splice(hole, 1);
      else this.#holes[hole] = { base: h.base + size, size: h.size - size };
    } else {
      if (this.#end + size > SLOT_LIMIT) return undefined;
      base = this.#end;
      this.#end += size;
      if (this.#sparse && this.#end > this.#reserved) this.#reserve();
    }
    const d: SwapDevice = {
      name,
      prio,
      base,
      size,
      used: 0,
      dedicated,
      removing: false,
      clusters: new SwapClusters(size),
      top: 0,
    };
    this.devices.push(d);
    this.devices.sort((a, b) => b.prio - a.prio || a.base - b.base);
    this.#byBase.push(d);
    this.#byBase.sort((a, b) => a.base - b.base);
    this.total += size;
    return d;
  }

  /**
   * Removes device `d` (all its slots must be free); its slot numbers become reusable. A device
   * with a default (negative) priority gives its number back, as Linux's swapoff does: every
   * device below it moves up one, and so does the next default.
   */
  remove(d: SwapDevice): void {
    const k = this.devices.indexOf(d);
    if (k >= 0) this.devices.splice(k, 1);
    if (d.prio < 0) {
      for (const o of this.devices) if (o.prio < d.prio) o.prio++;
      this.#nextPrio++;
    }
    const j = this.#byBase.indexOf(d);
    if (j >= 0) this.#byBase.splice(j, 1);
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

  /** The device of slot `slot` (an enabled device's slot). */
  deviceOf(slot: number): SwapDevice {
    const ds = this.#byBase;
    let lo = 0, hi = ds.length - 1;
    // The last device whose base is at or below the slot.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ds[mid]!.base <= slot) lo = mid;
      else hi = mid - 1;
    }
    return ds[lo]!;
  }

  /**
   * New per-slot arrays that may grow to every slot number given out so far (at least double the
   * last reservation: address space, not memory), holding what the old ones held. Only the slots
   * devices have used are copied: a device's unused slots are zero (free) in both.
   */
  #reserve(): void {
    this.#reserved = Math.min(SLOT_LIMIT, Math.max(this.#end, 2 * this.#reserved, 4096));
    const n = this.inUse.length;
    const refs = reservedArray(Int32Array, n, this.#reserved);
    const cache = reservedArray(Int32Array, n, this.#reserved);
    const stamp = reservedArray(Float64Array, n, this.#reserved);
    const shadow = reservedArray(Float64Array, n, this.#reserved);
    const inUse = reservedArray(Uint8Array, n, this.#reserved);
    for (const d of this.#byBase) {
      const from = d.base, to = Math.min(n, d.base + d.top);
      if (to <= from) continue;
      refs.set(this.refs.subarray(from, to), from);
      cache.set(this.cache.subarray(from, to), from);
      stamp.set(this.stamp.subarray(from, to), from);
      shadow.set(this.shadow.subarray(from, to), from);
      inUse.set(this.inUse.subarray(from, to), from);
    }
    this.refs = refs;
    this.cache = cache;
    this.stamp = stamp;
    this.shadow = shadow;
    this.inUse = inUse;
  }

  /** Makes the per-slot arrays hold slot `s`. */
  #grow(s: number): void {
    // `cache` is not filled with NONE: a slot's entries are set when it is handed out, and no
    // entry of a slot never handed out is read.
    const len = this.inUse.length;
    if (!this.#sparse && s < 2 * Math.max(len, MIN_CAPACITY)) {
      this.refs = grown(this.refs, s, SLOT_LIMIT);
      this.cache = grown(this.cache, s, SLOT_LIMIT);
      this.stamp = grown(this.stamp, s, SLOT_LIMIT);
      this.shadow = grown(this.shadow, s, SLOT_LIMIT);
      this.inUse = grown(this.inUse, s, SLOT_LIMIT);
      return;
    }
    if (!this.#sparse) {
      // A jump: from now on, in place.
      this.#sparse = true;
      this.#reserve();
    }
    // Beyond `s` by as many slots as are in use (at least MIN_CAPACITY): growth follows the slots
    // used, not the slot numbers (a jump to a device far away adds little).
    const n = Math.min(this.#reserved, s + 1 + Math.max(MIN_CAPACITY, this.used));
    resizeReserved(this.refs, n);
    resizeReserved(this.cache, n);
    resizeReserved(this.stamp, n);
    resizeReserved(this.shadow, n);
    resizeReserved(this.inUse, n);
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
    const r = d.clusters.take(this.inUse, d.base);
    if (r < 0) return NONE;
    const s = d.base + r;
    if (s >= this.inUse.length) this.#grow(s);
    this.inUse[s] = 1;
    this.refs[s] = 0;
    this.cache[s] = NONE;
    this.shadow[s] = -1;
    d.used++;
    if (r >= d.top) d.top = r + 1;
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
    this.shadow[s] = -1;
    d.used--;
    d.clusters.free(s - d.base);
    this.used--;
  }

  /** Linux's `vm_swap_full()`: more than half of the swap space is in use. */
  get full(): boolean {
    return this.used * 2 > this.total;
  }
}
