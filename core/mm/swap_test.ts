/**
 * The swap space of `core/mm/swap.ts` on its own: priorities (Linux's `least_priority` -2, -3, ...
 * for devices given none), equal priorities taken in turn, per-device clusters of
 * {@linkcode CLUSTER} slots handed out as Linux 6.18 does (`swap_clusters.ts`: on from the last
 * slot taken to the end of its cluster, then the holes of the first cluster a slot was freed in,
 * then a fresh cluster), the slot numbers shared by all devices and reused after swapoff (holes),
 * `used`/`total`/`full`, `deviceOf`, the per-slot arrays (grown by doubling, or resizable views
 * grown in place once a slot far beyond them is used) and {@linkcode SLOT_LIMIT}.
 *
 * Every expected number is reasoned in a comment from the rule it checks. The machine calls
 * `alloc`/`free` from reclaim and release, `add`/`remove` from swapon/swapoff (`core/sys/swap.ts`),
 * `addPending` when reclaim first needs swap and `deviceOf` for a slot's device.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { SLOT_LIMIT, type SwapDevice, SwapSpace } from "./swap.ts";
import { CLUSTER, CLUSTER_LIST } from "./swap_clusters.ts";
import { NONE } from "./frames.ts";

/** `n` allocations, in order. */
function allocN(s: SwapSpace, n: number, sharedAnon = false): number[] {
  const got: number[] = [];
  for (let i = 0; i < n; i++) got.push(s.alloc(sharedAnon));
  return got;
}

/** `from`, `from + 1`, ..., `to - 1`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The fields of a device that allocation changes. */
function state(d: SwapDevice) {
  return { used: d.used, top: d.top, next: d.clusters.next };
}

/** The lists clusters `0..n-1` of `d` are on. */
function lists(d: SwapDevice, n: number): string[] {
  const name = Object.fromEntries(Object.entries(CLUSTER_LIST).map(([k, v]) => [v, k]));
  return Array.from({ length: n }, (_, c) => name[d.clusters.listOf(c)]!);
}

/** Slot `x`'s entries: in use, references, swap-cache frame, shadow, stamp. */
function slot(s: SwapSpace, x: number): number[] {
  return [s.inUse[x]!, s.refs[x]!, s.cache[x]!, s.shadow[x]!, s.stamp[x]!];
}

/** Whether the per-slot arrays are views of resizable buffers (see `SwapSpace.refs`). */
function resizable(s: SwapSpace): boolean {
  return (s.refs.buffer as ArrayBuffer & { resizable: boolean }).resizable;
}

/** Slot numbers the resizable per-slot arrays may grow to in place. */
function reserved(s: SwapSpace): number {
  return (s.refs.buffer as ArrayBuffer & { maxByteLength: number }).maxByteLength / 4;
}

/** The lengths of the five per-slot arrays (always equal). */
function lengths(s: SwapSpace): number[] {
  return [s.refs, s.cache, s.stamp, s.shadow, s.inUse].map((a) => a.length);
}

Deno.test("swap: 512-slot clusters, and slot numbers end at 2^31 (8 TiB of 4 KiB pages)", () => {
  // SWAPFILE_CLUSTER is HPAGE_PMD_NR (512) with CONFIG_THP_SWAP; a slot is an Int32Array entry, so
  // 2^43 bytes / 2^12 = 2^31 slots.
  deepStrictEqual([CLUSTER, SLOT_LIMIT], [512, 2 ** 31]);
});

Deno.test("swap: devices given no priority get -2, -3, ... (least_priority)", () => {
  const s = new SwapSpace();
  // peek shows the next without taking it; each defaultPrio takes one, counting down from -2
  // (Linux's least_priority starts at -1 and is decremented before use: `swapon FILE` gives -2).
  deepStrictEqual([s.peekDefaultPrio(), s.peekDefaultPrio()], [-2, -2]);
  deepStrictEqual(s.defaultPrio(), -2);
  deepStrictEqual(s.peekDefaultPrio(), -3);
  deepStrictEqual([s.defaultPrio(), s.defaultPrio(), s.peekDefaultPrio()], [-3, -4, -5]);
});

Deno.test("swap: removing a device of default priority gives its number back", () => {
  // Linux's swapoff of a device with a negative (default) priority: every device after it moves
  // up one (si->prio++), and so does least_priority. Explicit priorities are left alone.
  const s = new SwapSpace();
  const a = s.add("a", 4, s.defaultPrio())!, b = s.add("b", 4, s.defaultPrio())!;
  const c = s.add("c", 4, s.defaultPrio())!, x = s.add("x", 4, 7)!;
  deepStrictEqual([a.prio, b.prio, c.prio, x.prio, s.peekDefaultPrio()], [-2, -3, -4, 7, -5]);
  s.remove(b);
  deepStrictEqual([a.prio, c.prio, x.prio, s.peekDefaultPrio()], [-2, -3, 7, -4]);
  deepStrictEqual(s.devices.map((d) => d.name), ["x", "a", "c"]);
  // An explicit priority's removal changes no number.
  s.remove(x);
  deepStrictEqual([a.prio, c.prio, s.peekDefaultPrio()], [-2, -3, -4]);
});

Deno.test("swap: the pending default device is made when first needed, once", () => {
  const s = new SwapSpace();
  // Nothing pending: nothing made, no priority taken.
  deepStrictEqual(s.addPending(), true);
  deepStrictEqual([s.devices.length, s.total, s.peekDefaultPrio()], [0, 0, -2]);
  s.pending = 1000;
  deepStrictEqual(s.addPending(), true);
  // Device "swap" of the pending slots, with the first default priority, at slot 0.
  const d = s.find("swap")!;
  deepStrictEqual([d.name, d.size, d.prio, d.base], ["swap", 1000, -2, 0]);
  deepStrictEqual([s.pending, s.total, s.peekDefaultPrio(), s.devices.length], [0, 1000, -3, 1]);
  // Nothing pending any more: a second call makes nothing.
  deepStrictEqual(s.addPending(), true);
  deepStrictEqual([s.devices.length, s.total], [1, 1000]);
});

Deno.test("swap: a pending device past SLOT_LIMIT is refused, one that ends at it is made", () => {
  const s = new SwapSpace();
  s.add("big", SLOT_LIMIT - 1000 - 10, 5);
  // 10 slot numbers left after "big" and 1000 for "swap": 11 do not fit, 10 do.
  s.pending = 1011;
  deepStrictEqual(s.addPending(), false);
  // Refused: pending dropped (reclaim warns once), no device, no priority taken.
  deepStrictEqual([s.pending, s.devices.length, s.peekDefaultPrio()], [0, 1, -2]);
  s.pending = 1010;
  deepStrictEqual(s.addPending(), true);
  const d = s.find("swap")!;
  deepStrictEqual([d.base, d.size, d.prio, s.peekDefaultPrio()], [SLOT_LIMIT - 1010, 1010, -2, -3]);
});

Deno.test("swap: devices get consecutive slot numbers and are ordered by priority", () => {
  const s = new SwapSpace();
  const a = s.add("a", 100, -1)!;
  const b = s.add("b", 300, 5)!;
  const c = s.add("c", 1, -2)!;
  // Slots are numbered across devices in the order they are added: [0,100), [100,400), [400,401).
  deepStrictEqual([a.base, b.base, c.base], [0, 100, 400]);
  deepStrictEqual([s.total, s.used], [401, 0]);
  // Highest priority first.
  deepStrictEqual(s.devices.map((d) => d.name), ["b", "a", "c"]);
  // Equal priorities: the older (lower-numbered) device first.
  s.add("d", 50, 5);
  s.add("e", 50, -1);
  deepStrictEqual(s.devices.map((d) => d.name), ["b", "d", "a", "e", "c"]);
  deepStrictEqual(s.total, 501);
  // A new device: nothing used, not dedicated, not being removed, no allocation to go on from.
  deepStrictEqual(
    [a.used, a.top, a.dedicated, a.removing, a.clusters.next, a.clusters.rangesInUse()],
    [0, 0, false, false, -1, []],
  );
  // One cluster for a (100 slots and the header), two for b (301 offsets: one, and 300 of 512).
  deepStrictEqual([a.clusters.count, b.clusters.count], [1, 1]);
  deepStrictEqual([s.find("c"), s.find("d")?.base, s.find("x")], [c, 401, undefined]);
});

Deno.test("swap: slot numbers past SLOT_LIMIT are refused, up to it accepted", () => {
  const s = new SwapSpace();
  // One slot more than the limit: refused at once.
  deepStrictEqual(s.add("huge", SLOT_LIMIT + 1, -1), undefined);
  const a = s.add("a", SLOT_LIMIT - 2, -1)!;
  // Two slot numbers left: three do not fit; refused devices change nothing.
  deepStrictEqual(s.add("b", 3, -2), undefined);
  deepStrictEqual([s.devices.length, s.total], [1, SLOT_LIMIT - 2]);
  // Exactly the last two: accepted (the limit is exclusive: slots end at SLOT_LIMIT - 1).
  const c = s.add("c", 2, -3)!;
  deepStrictEqual([a.base, c.base, s.total], [0, SLOT_LIMIT - 2, SLOT_LIMIT]);
  deepStrictEqual(s.add("d", 1, -4), undefined);
  // c's last slot is SLOT_LIMIT - 1: a's slots being lower priority, c is used first.
  s.remove(a);
  deepStrictEqual(allocN(s, 3), [SLOT_LIMIT - 2, SLOT_LIMIT - 1, NONE]);
  deepStrictEqual(s.deviceOf(SLOT_LIMIT - 1), c);
});

Deno.test("swap: the highest priority with free slots first, then the next; NONE when full", () => {
  const s = new SwapSpace();
  const a = s.add("a", 3, -1)!; // slots 0-2
  const b = s.add("b", 2, 5)!; // slots 3-4
  // b (priority 5) until full, then a, then nothing: a full device is not allocated from.
  deepStrictEqual(allocN(s, 6), [3, 4, 0, 1, 2, NONE]);
  deepStrictEqual([a.used, b.used, s.used, s.total], [3, 2, 5, 5]);
  // A slot freed on b: b again, before anything else could be.
  s.free(4);
  deepStrictEqual([b.used, s.used], [1, 4]);
  deepStrictEqual(allocN(s, 2), [4, NONE]);
  deepStrictEqual([a.used, b.used, s.used], [3, 2, 5]);
});

Deno.test("swap: devices of equal priority are taken in turn", () => {
  const s = new SwapSpace();
  s.add("low", 10, 1); // slots 0-9: used only when the three below are full
  const a = s.add("a", 10, 3)!; // 10-19
  const b = s.add("b", 10, 3)!; // 20-29
  const c = s.add("c", 10, 3)!; // 30-39
  // a, b, c, a, b, c...: each device's own slots stay consecutive (its cluster).
  deepStrictEqual(allocN(s, 7), [10, 20, 30, 11, 21, 31, 12]);
  deepStrictEqual([a.used, b.used, c.used], [3, 2, 2]);
  // Two of equal priority: a, b, a, b.
  const t = new SwapSpace();
  t.add("x", 5, 2);
  t.add("y", 5, 2);
  deepStrictEqual(allocN(t, 5), [0, 5, 1, 6, 2]);
});

Deno.test("swap: when one of equal priority is full, the others still take turns", () => {
  const s = new SwapSpace();
  const a = s.add("a", 1, 3)!; // slot 0
  s.add("b", 4, 3); // 1-4
  s.add("c", 4, 3); // 5-8
  s.add("low", 4, 1); // 9-12
  const got = allocN(s, 10);
  // a's one slot first, then b and c alternately (in either order) until both are full, then low.
  deepStrictEqual(got[0], 0);
  deepStrictEqual(a.used, 1);
  const names = got.slice(1, 9).map((x) => s.deviceOf(x).name);
  for (let i = 1; i < names.length; i++) ok(names[i] !== names[i - 1], names.join());
  deepStrictEqual(got.slice(1, 9).sort((x, y) => x - y), range(1, 9));
  deepStrictEqual(got.slice(9), [9]);
});

Deno.test("swap: a full device in the middle of equal priorities is passed over", () => {
  const s = new SwapSpace();
  s.add("a", 4, 3); // 0-3
  s.add("b", 1, 3); // 4
  s.add("c", 4, 3); // 5-8
  // a, b, c in turn; b is then full, so its turns go to the next one: c, then a again.
  deepStrictEqual(allocN(s, 9), [0, 4, 5, 1, 6, 2, 7, 3, 8]);
});

Deno.test("swap: a device being emptied or dedicated among equal priorities is passed over", () => {
  const s = new SwapSpace();
  s.add("a", 4, 3); // 0-3
  const b = s.add("b", 4, 3)!; // 4-7
  s.add("c", 4, 3); // 8-11
  s.add("d", 4, 3, true); // 12-15, for shared anonymous memory only
  b.removing = true;
  // a, c, a, c: b (swapoff) and d (dedicated) take no turn.
  deepStrictEqual(allocN(s, 6), [0, 8, 1, 9, 2, 10]);
  deepStrictEqual(b.used, 0);
});

Deno.test("swap: a device being removed (swapoff) is not allocated from", () => {
  const s = new SwapSpace();
  const a = s.add("a", 4, 5)!; // 0-3
  s.add("b", 4, 5); // 4-7
  s.add("c", 4, 1); // 8-11
  a.removing = true;
  // a is skipped: its equal b takes every turn, then c.
  deepStrictEqual(allocN(s, 6), [4, 5, 6, 7, 8, 9]);
  deepStrictEqual(a.used, 0);
  // swapoff that fails gives the device back to allocation: a and c (priority 5 and 1) have room.
  a.removing = false;
  deepStrictEqual(allocN(s, 2), [0, 1]);
  // The lone device of the highest priority being removed: the next priority serves.
  const t = new SwapSpace();
  const x = t.add("x", 4, 9)!;
  t.add("y", 4, 1);
  x.removing = true;
  deepStrictEqual(allocN(t, 5), [4, 5, 6, 7, NONE]);
});

Deno.test("swap: shared anonymous pages use dedicated devices first; others never", () => {
  const s = new SwapSpace();
  const n = s.add("normal", 4, 10)!; // 0-3, the higher priority
  const sa = s.add("shared-anon", 2, 0, true)!; // 4-5
  deepStrictEqual([n.dedicated, sa.dedicated], [false, true]);
  // A private page (the default): the normal device, never the dedicated one.
  deepStrictEqual([s.alloc(), s.alloc(false)], [0, 1]);
  // Shared anonymous pages: the dedicated device, though of lower priority, until it is full,
  // then the normal ones.
  deepStrictEqual(allocN(s, 3, true), [4, 5, 2]);
  // Private pages never fall back to the dedicated device: full is full.
  s.free(5);
  deepStrictEqual([s.alloc(), s.alloc()], [3, NONE]);
  // The dedicated device being removed serves no one.
  sa.removing = true;
  deepStrictEqual(s.alloc(true), NONE);
  sa.removing = false;
  deepStrictEqual(s.alloc(true), 5);
  // With no dedicated device, shared anonymous pages go where private ones do.
  const t = new SwapSpace();
  t.add("a", 2, -1);
  deepStrictEqual(allocN(t, 3, true), [0, 1, NONE]);
});

Deno.test("swap: used, total and full (vm_swap_full: more than half in use)", () => {
  const s = new SwapSpace();
  s.add("a", 3, -1);
  s.add("b", 1, -2);
  deepStrictEqual([s.total, s.used, s.full], [4, 0, false]);
  s.alloc();
  s.alloc();
  // 2 of 4: half, not more than half.
  deepStrictEqual([s.used, s.full], [2, false]);
  s.alloc();
  deepStrictEqual([s.used, s.full], [3, true]);
  s.free(1);
  deepStrictEqual([s.used, s.full], [2, false]);
});

Deno.test("swap: a device's first cluster has 511 slots (the header takes one), then the next", () => {
  const s = new SwapSpace();
  s.add("pad", 100, -5); // 0-99, lowest priority: not used below
  // 100-1634: 1535 slots, the kernel's offsets 1-1535 (0 is the header): clusters 0 (offsets
  // 1-511: slots 100-610), 1 (611-1122) and 2 (1123-1634).
  const d = s.add("d", 1535, 5)!;
  deepStrictEqual(d.clusters.count, 3);
  // A fresh device: cluster 0, slot after slot. Full, it leaves nothing to go on from.
  deepStrictEqual(allocN(s, 511), range(100, 611));
  deepStrictEqual(state(d), { used: 511, top: 511, next: -1 });
  deepStrictEqual(lists(d, 3), ["full", "free", "free"]);
  // The first free cluster, 1; the next allocation goes on after the slot taken.
  deepStrictEqual(s.alloc(), 611);
  deepStrictEqual(state(d), { used: 512, top: 512, next: 512 });
  deepStrictEqual(lists(d, 3), ["full", "frag", "free"]);
  // Slot 105 freed: cluster 0 goes to the nonfull list, but allocation goes on in cluster 1.
  s.free(105);
  deepStrictEqual(lists(d, 3), ["nonfull", "frag", "free"]);
  deepStrictEqual(s.alloc(), 612);
  // To the end of cluster 1 (510 more of its 512), which is then full.
  deepStrictEqual(allocN(s, 510).at(-1), 1122);
  deepStrictEqual(lists(d, 3), ["nonfull", "full", "free"]);
  // Then the hole in cluster 0 before the wholly free cluster 2 (nonfull before free).
  deepStrictEqual(s.alloc(), 105);
  deepStrictEqual(lists(d, 3), ["full", "full", "free"]);
  deepStrictEqual([s.alloc(), d.clusters.used(2)], [1123, 1]);
});

Deno.test("swap: holes are filled in slot order, on from the last slot taken", () => {
  const s = new SwapSpace();
  const d = s.add("d", 1535, 5)!; // slots 0-1534: clusters [0,510], [511,1022], [1023,1534]
  allocN(s, 1023); // clusters 0 and 1 full
  // Freed: 300 (cluster 0 to the nonfull list), 700 (cluster 1, after it), 10 (cluster 0 again:
  // already on the list, it stays first).
  s.free(300);
  s.free(700);
  s.free(10);
  deepStrictEqual(lists(d, 3), ["nonfull", "nonfull", "free"]);
  // The first nonfull cluster from its start: 10, then on from 11: 300. Cluster 0 is full again.
  deepStrictEqual([s.alloc(), d.clusters.next, s.alloc()], [10, 11, 300]);
  deepStrictEqual(lists(d, 3), ["full", "nonfull", "free"]);
  // Nothing to go on from: the next nonfull cluster, 1.
  deepStrictEqual([d.clusters.next, s.alloc()], [-1, 700]);
  // Holes at 20 and 40: 20, then on from 21. 15, freed behind, waits: 40 comes first.
  s.free(20);
  s.free(40);
  deepStrictEqual([s.alloc(), d.clusters.next], [20, 21]);
  s.free(15);
  deepStrictEqual(s.alloc(), 40);
  // Taking 40 moved cluster 0 from the nonfull list to the frag one (relocate_cluster): nothing
  // free after 41, so a fresh cluster, 2, and 15 waits.
  deepStrictEqual(lists(d, 3), ["frag", "full", "free"]);
  deepStrictEqual(s.alloc(), 1023);
  // 50 freed: cluster 0 is nonfull again, but allocation goes on in cluster 2 to its end.
  s.free(50);
  deepStrictEqual(allocN(s, 511), range(1024, 1535));
  // Then cluster 0's holes, in slot order.
  deepStrictEqual([s.alloc(), s.alloc(), s.alloc()], [15, 50, NONE]);
  deepStrictEqual([d.used, s.used], [1535, 1535]);
});

Deno.test("swap: with no free or nonfull cluster left, a frag cluster's holes are found", () => {
  const s = new SwapSpace();
  // 1022 slots: clusters 0 (slots 0-510) and 1 (511-1021, short: on the nonfull list at first).
  const d = s.add("d", 1022, 5)!;
  allocN(s, 1022); // both full
  // Two holes in cluster 1: the first taken, then one freed behind the slot after it.
  s.free(600);
  s.free(1021);
  deepStrictEqual([s.alloc(), d.clusters.next], [600, 601]);
  s.free(550);
  deepStrictEqual(lists(d, 2), ["full", "nonfull"]);
  // On from 601: 1021, the cluster's last slot, so nothing to go on from; 550 is behind, and the
  // cluster, allocated from, is frag.
  deepStrictEqual([s.alloc(), d.clusters.next], [1021, -1]);
  deepStrictEqual(lists(d, 2), ["full", "frag"]);
  // No nonfull cluster, no free one: the frag clusters, from their start.
  deepStrictEqual([s.alloc(), s.alloc()], [550, NONE]);
});

Deno.test("swap: a cluster leaves the middle of a list; the last slot taken ends the carrying on", () => {
  const s = new SwapSpace();
  // 2047 slots: clusters 0 (0-510), 1 (511-1022), 2 (1023-1534), 3 (1535-2046).
  const d = s.add("d", 2047, 5)!;
  allocN(s, 2047);
  s.free(1100);
  s.free(1200);
  deepStrictEqual([s.alloc(), d.clusters.next], [1100, 1101]); // cluster 2, now frag
  // The nonfull list: 1, then 2 (a slot freed behind the carrying on), then 3.
  s.free(600);
  s.free(1050);
  s.free(1600);
  deepStrictEqual(lists(d, 4), ["full", "nonfull", "nonfull", "nonfull"]);
  // Cluster 2 is carried on in (1200), which moves it from the middle of the list to frag.
  deepStrictEqual(s.alloc(), 1200);
  deepStrictEqual(lists(d, 4), ["full", "nonfull", "frag", "nonfull"]);
  // Nothing after 1201 in cluster 2: the nonfull list, 1 then 3.
  deepStrictEqual([s.alloc(), s.alloc()], [600, 1600]);
  // Cluster 3 is full again, cluster 2 frag with its hole at 1050. Freed: 1534 (cluster 2's last
  // slot), 5, 1535 (cluster 3's first): the nonfull list is 2, 0, 3.
  s.free(1534);
  s.free(5);
  s.free(1535);
  deepStrictEqual([s.alloc(), d.clusters.next], [1050, 1051]);
  // 1040 freed behind; on from 1051: 1534, the cluster's last slot, which ends the carrying on
  // (not on into cluster 3's 1535): the nonfull list's head, 0, comes next.
  s.free(1040);
  deepStrictEqual([s.alloc(), d.clusters.next], [1534, -1]);
  deepStrictEqual([s.alloc(), s.alloc(), s.alloc(), s.alloc()], [5, 1535, 1040, NONE]);
});

Deno.test("swap: the header's cluster is never free; state for many clusters survives growth", () => {
  const s = new SwapSpace();
  // 10 clusters (5119 slots): more than the 8 the cluster state starts with.
  const d = s.add("d", 5119, 5)!;
  deepStrictEqual(d.clusters.count, 10);
  allocN(s, 5119);
  deepStrictEqual([d.clusters.used(0), d.clusters.used(9), d.clusters.used(10)], [511, 512, 0]);
  // Every slot of cluster 0 freed: Linux counts the header in it, so it is nonfull, not free.
  for (let x = 0; x <= 510; x++) s.free(x);
  // Every slot of cluster 9 freed: free.
  for (let x = 4607; x <= 5118; x++) s.free(x);
  deepStrictEqual([d.clusters.listOf(0), d.clusters.listOf(9)], [
    CLUSTER_LIST.nonfull,
    CLUSTER_LIST.free,
  ]);
  // So cluster 0 comes before cluster 9.
  deepStrictEqual([s.alloc(), s.alloc()], [0, 1]);
});

Deno.test("swap: a cluster freed whole goes after the clusters never used", () => {
  const s = new SwapSpace();
  const d = s.add("d", 2047, 5)!; // 4 clusters: [0,510], [511,1022], [1023,1534], [1535,2046]
  allocN(s, 1024); // cluster 0, cluster 1, and slot 1023 of cluster 2
  // Cluster 1 freed whole: to the free list's end, behind cluster 3, never used.
  for (let x = 511; x <= 1022; x++) s.free(x);
  deepStrictEqual(lists(d, 4), ["full", "free", "frag", "free"]);
  // On in cluster 2 (511 more), then cluster 3, then cluster 1.
  deepStrictEqual(allocN(s, 511), range(1024, 1535));
  deepStrictEqual(allocN(s, 512), range(1535, 2047));
  deepStrictEqual(s.alloc(), 511);
});

Deno.test("swap: a short last cluster is used right after the header's", () => {
  const s = new SwapSpace();
  // 1100 slots: offsets 1-1100, clusters 0 (slots 0-510), 1 (511-1022) and 2, short: offsets
  // 1024-1100, slots 1023-1099. Linux counts its missing slots as used: with cluster 0, it starts
  // on the nonfull list.
  const d = s.add("d", 1100, 5)!;
  deepStrictEqual(lists(d, 3), ["nonfull", "free", "nonfull"]);
  deepStrictEqual(allocN(s, 511).at(-1), 510);
  deepStrictEqual(allocN(s, 77), range(1023, 1100));
  deepStrictEqual(lists(d, 3), ["full", "free", "full"]);
  deepStrictEqual(s.alloc(), 511);
  // The slots in use, by cluster: what a walk over them (swapoff, --check) looks at.
  deepStrictEqual(d.clusters.rangesInUse(), [0, 510, 511, 1022, 1023, 1099]);
});

Deno.test("swap: a device of one slot, and one of exactly one cluster", () => {
  const s = new SwapSpace();
  const one = s.add("one", 1, 9)!; // slot 0 (offset 1)
  const c = s.add("c", 511, 5)!; // 1-511: offsets 1-511, cluster 0 exactly
  deepStrictEqual([one.clusters.count, c.clusters.count], [1, 1]);
  deepStrictEqual(s.alloc(), 0);
  deepStrictEqual(state(one), { used: 1, top: 1, next: -1 });
  // one is full: c, to its last slot, then nothing.
  deepStrictEqual(allocN(s, 512), [...range(1, 512), NONE]);
  deepStrictEqual(state(c), { used: 511, top: 511, next: -1 });
  // A slot freed in the middle of c: its cluster is nonfull, and the slot comes back.
  s.free(100);
  deepStrictEqual([s.alloc(), s.alloc()], [100, NONE]);
  // one's slot freed and taken again.
  s.free(0);
  deepStrictEqual([one.clusters.used(0), s.alloc(), one.used, s.used], [0, 0, 1, 512]);
});

Deno.test("swap: a large device keeps state for the clusters it has used only", () => {
  const s = new SwapSpace();
  // 2^30 slots: 2^21 clusters, the last one short (offset 2^30 alone).
  const d = s.add("d", 2 ** 30, 0)!;
  deepStrictEqual(d.clusters.count, 2 ** 21 + 1);
  allocN(s, 511);
  // After the header's cluster, the short last one, at the device's end: one slot.
  deepStrictEqual(s.alloc(), 2 ** 30 - 1);
  deepStrictEqual(s.alloc(), 511);
  deepStrictEqual(d.clusters.rangesInUse(), [0, 510, 511, 1022, 2 ** 30 - 1, 2 ** 30 - 1]);
  // Slot 5 freed: allocation still goes on in cluster 1, on from the slot last taken.
  s.free(5);
  deepStrictEqual(s.alloc(), 512);
});

Deno.test("swap: a slot freed forgets its state; a slot handed out starts clean", () => {
  const s = new SwapSpace();
  s.add("a", 10, -1);
  const x = s.alloc();
  // Handed out: in use, no references, no swap-cache page, no shadow.
  deepStrictEqual(slot(s, x), [1, 0, NONE, -1, 0]);
  s.refs[x] = 2;
  s.cache[x] = 7;
  s.stamp[x] = 3.5;
  s.shadow[x] = 9;
  s.free(x);
  deepStrictEqual(slot(s, x), [0, 0, NONE, -1, 0]);
  deepStrictEqual([s.used, s.devices[0]!.used], [0, 0]);
});

Deno.test("swap: deviceOf finds the device of every first and last slot", () => {
  const s = new SwapSpace();
  const sizes = [1, 256, 3, 1000, 2, 7];
  const ds = sizes.map((n, i) => s.add(`d${i}`, n, -i - 1)!);
  for (const d of ds) {
    deepStrictEqual(s.deviceOf(d.base), d, `${d.name} first`);
    deepStrictEqual(s.deviceOf(d.base + d.size - 1), d, `${d.name} last`);
  }
  // Removed and added again at the same numbers (after the later ones): still found by number.
  s.remove(ds[2]!);
  const again = s.add("again", 3, 7)!;
  deepStrictEqual(again.base, ds[2]!.base);
  for (const x of [257, 258, 259]) deepStrictEqual(s.deviceOf(x), again);
  deepStrictEqual([s.deviceOf(256), s.deviceOf(260)], [ds[1], ds[3]]);
  // One device.
  const t = new SwapSpace();
  const only = t.add("only", 5, -1)!;
  deepStrictEqual([t.deviceOf(0), t.deviceOf(4)], [only, only]);
});

Deno.test("swap: a removed device leaves a hole its size or smaller devices fill first", () => {
  const s = new SwapSpace();
  const a = s.add("a", 100, 1)!; // 0-99
  const b = s.add("b", 512, 2)!; // 100-611
  s.add("c", 10, 3); // 612-621
  // swapoff b: gone from the lists and the totals.
  s.remove(b);
  deepStrictEqual(s.devices.map((d) => d.name), ["c", "a"]);
  deepStrictEqual([s.find("b"), s.total], [undefined, 110]);
  // The first device in priority order, and the lowest-numbered, can be removed too.
  const t = new SwapSpace();
  const x = t.add("x", 4, 9)!;
  t.add("y", 4, 1);
  t.remove(x);
  deepStrictEqual([t.devices.map((d) => d.name), t.total, t.deviceOf(4).name], [["y"], 4, "y"]);
  // b's 512 numbers: a device of 100 takes the hole's start, one of 412 the rest exactly.
  const p = s.add("p", 100, 0)!;
  const q = s.add("q", 412, 0)!;
  deepStrictEqual([p.base, q.base], [100, 200]);
  // The hole is used up: the next device goes after the last one.
  deepStrictEqual(s.add("r", 1, 0)!.base, 622);
  deepStrictEqual(s.total, 110 + 512 + 1);
  // a's hole, exactly its size: taken, then gone.
  s.remove(a);
  deepStrictEqual([s.add("a2", 100, 0)!.base, s.add("a3", 100, 0)!.base], [0, 623]);
});

Deno.test("swap: holes are filled first fit by slot number, too small ones skipped", () => {
  const s = new SwapSpace();
  const d = [10, 300, 5, 300, 5].map((n, i) => s.add(`d${i}`, n, 0)!);
  // Bases 0, 10, 310, 315, 615.
  s.remove(d[3]!);
  s.remove(d[0]!);
  // Holes: [0,10) and [315,615). 200 does not fit the first: the second.
  deepStrictEqual(s.add("x", 200, 0)!.base, 315);
  // 10 fits the first exactly.
  deepStrictEqual(s.add("y", 10, 0)!.base, 0);
  // [515,615) is left: 100 there; then nothing left, to the end (620).
  deepStrictEqual([s.add("z", 100, 0)!.base, s.add("w", 1, 0)!.base], [515, 620]);
  // Two holes that both fit, removed the higher first: the lower-numbered one is taken.
  const t = new SwapSpace();
  const e = [50, 1, 50, 1].map((n, i) => t.add(`e${i}`, n, 0)!);
  t.remove(e[2]!); // [51,101)
  t.remove(e[0]!); // [0,50)
  deepStrictEqual([t.add("f", 40, 0)!.base, t.add("g", 40, 0)!.base], [0, 51]);
});

Deno.test("swap: neighbouring holes merge into one", () => {
  const s = new SwapSpace();
  const d = [100, 200, 300, 50].map((n, i) => s.add(`d${i}`, n, 0)!);
  // Bases 0, 100, 300, 600. Holes of d0 and d2 are not neighbours: 400 fits neither.
  s.remove(d[0]!);
  s.remove(d[2]!);
  deepStrictEqual(s.total, 250);
  deepStrictEqual(s.add("x", 400, 0)!.base, 650);
  // d1 gone too: [0,100) [100,300) [300,600) are one hole of 600.
  s.remove(d[1]!);
  const y = s.add("y", 600, 0)!;
  deepStrictEqual(y.base, 0);
  // Its slots are y's, whichever removed device had the number.
  deepStrictEqual([s.deviceOf(0), s.deviceOf(150), s.deviceOf(599)], [y, y, y]);
  // Two neighbours only: d3 [600,650) and x [650,1050) make one hole of 450.
  s.remove(d[3]!);
  s.remove(s.find("x")!);
  deepStrictEqual([s.add("z", 450, 0)!.base, s.add("w", 1, 0)!.base], [600, 1050]);
});

Deno.test("swap: the per-slot arrays grow by doubling while the slots used stay close", () => {
  const s = new SwapSpace();
  s.add("a", 2000, 0);
  // Adding a device costs nothing yet.
  deepStrictEqual([lengths(s), resizable(s)], [[0, 0, 0, 0, 0], false]);
  s.alloc();
  // Slot 0: 256 entries (MIN_CAPACITY), plain copies.
  deepStrictEqual([lengths(s), resizable(s), s.inUse[0]], [[256, 256, 256, 256, 256], false, 1]);
  allocN(s, 255);
  deepStrictEqual(lengths(s)[0], 256);
  // Slot 256: doubled.
  deepStrictEqual(s.alloc(), 256);
  deepStrictEqual([lengths(s), resizable(s), s.inUse[256]], [[512, 512, 512, 512, 512], false, 1]);
});

Deno.test("swap: a slot within double the arrays grows them; one beyond makes them resizable", () => {
  // A first slot of 511: below 2 * 256, a plain copy of 512.
  const s = new SwapSpace();
  s.add("far", 511, -1);
  s.add("near", 10, 5);
  deepStrictEqual([s.alloc(), lengths(s)[0], resizable(s)], [511, 512, false]);
  // A first slot of 512: not below 2 * 256, a jump: resizable views of the slots reserved (every
  // number given out, at least 4096), as long as the slot plus as many more as are in use (at
  // least 256): 512 + 1 + 256.
  const t = new SwapSpace();
  t.add("far", 512, -1);
  t.add("near", 10, 5);
  deepStrictEqual(t.alloc(), 512);
  deepStrictEqual([lengths(t), resizable(t), reserved(t)], [[769, 769, 769, 769, 769], true, 4096]);
  deepStrictEqual([t.inUse[512], t.cache[512], t.shadow[512]], [1, NONE, -1]);
});

Deno.test("swap: the slots used keep their state across the jump, and the views grow in place", () => {
  const s = new SwapSpace();
  s.add("a", 300, 5); // 0-299
  s.add("gap", 1000, -9); // 300-1299, never used
  const b = s.add("b", 2000, 0)!; // 1300-3299
  deepStrictEqual(allocN(s, 300).at(-1), 299);
  for (const x of [0, 150, 299]) {
    s.refs[x] = x + 1;
    s.cache[x] = x + 2;
    s.stamp[x] = x + 0.5;
    s.shadow[x] = x + 3;
  }
  s.free(7);
  deepStrictEqual(lengths(s)[0], 512);
  // a is full (7 aside, taken next): b's first slot, 1300, is beyond 2 * 512: the jump.
  deepStrictEqual([s.alloc(), s.alloc()], [7, 1300]);
  // Reserved: the 3300 numbers given out, at least 4096. Length: 1300 + 1 + 300 in use.
  deepStrictEqual([resizable(s), reserved(s), lengths(s)[0]], [true, 4096, 1601]);
  for (const x of [0, 150, 299]) {
    deepStrictEqual(slot(s, x), [1, x + 1, x + 2, x + 3, x + 0.5]);
  }
  // The views grow in place: the same arrays, longer.
  const refs = s.refs, inUse = s.inUse;
  deepStrictEqual(allocN(s, 300).at(-1), 1600);
  // Slot 1601, beyond 1601 entries: 1601 + 1 + 601 in use.
  deepStrictEqual([s.alloc(), lengths(s)[0]], [1601, 2203]);
  ok(s.refs === refs && s.inUse === inUse && inUse[1601] === 1 && inUse[1300] === 1);
  // A slot freed in a below and taken again: the arrays keep their length and b's slots.
  s.free(150);
  deepStrictEqual([s.alloc(), lengths(s)[0], s.inUse[1601], b.used], [150, 2203, 1, 302]);
});

Deno.test("swap: devices added after the jump widen the reservation only when they must", () => {
  const s = new SwapSpace();
  s.add("far", 1000, -1); // 0-999, never used
  s.add("near", 100, 5); // 1000-1099
  deepStrictEqual(s.alloc(), 1000);
  // The jump: 1100 numbers given out, 4096 reserved.
  deepStrictEqual([resizable(s), reserved(s)], [true, 4096]);
  const refs = s.refs;
  // A device that ends exactly at 4096: within the reservation, the same arrays.
  s.add("fits", 4096 - 1100, 0);
  ok(s.refs === refs && reserved(s) === 4096);
  // One that ends beyond: a new reservation, every number given out (5096) or double (8192).
  s.add("more", 1000, 9); // 4096-5095
  deepStrictEqual(reserved(s), 8192);
  ok(s.refs !== refs && s.inUse[1000] === 1);
  deepStrictEqual(s.alloc(), 4096);
  deepStrictEqual([s.inUse[4096], s.cache[4096], s.shadow[4096]], [1, NONE, -1]);
  // The last of its slots, near the end of the numbers given out.
  deepStrictEqual(allocN(s, 999).at(-1), 5095);
  deepStrictEqual(s.inUse[5095], 1);
  // A huge device: reserved up to its end (past double the last reservation).
  s.add("huge", 100000, 10); // 5096-105095
  deepStrictEqual(reserved(s), 105096);
  deepStrictEqual(s.alloc(), 5096);
  deepStrictEqual(s.inUse[5096], 1);
});
