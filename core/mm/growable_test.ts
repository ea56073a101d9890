/**
 * Memory in proportion to what a trace touches: frames, swap slots and file contents are allocated
 * as they are used, whatever the machine declares, and growing changes no result.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { FrameTable, NONE, PG } from "./frames.ts";
import { SwapSpace } from "./swap.ts";
import { Machine } from "../machine.ts";
import { PageStamps } from "./page_stamps.ts";
import { TraceBuilder } from "../../trace/builder.ts";

const MB = 2 ** 20;

function rssMB(): number {
  return Deno.memoryUsage().rss / MB;
}

Deno.test("frames come out in the same order from a grown table as from a full free stack", () => {
  const t = new FrameTable(5000);
  deepStrictEqual(t.flags.length < 5000, true);
  const got: number[] = [];
  for (let i = 0; i < 3000; i++) got.push(t.alloc());
  deepStrictEqual(got.slice(0, 3), [1, 2, 3]);
  deepStrictEqual(got[2999], 3000);
  t.release(7);
  t.release(3);
  deepStrictEqual([t.alloc(), t.alloc(), t.alloc()], [3, 7, 3001]);
  deepStrictEqual(t.freeCount, 5000 - 3001);
  ok(t.isFree(4999) && !t.isFree(3001));
  for (let i = 3001; i < 5000; i++) t.alloc();
  deepStrictEqual([t.alloc(), t.freeCount, t.flags.length], [NONE, 0, 5001]);
  deepStrictEqual(t.flags[5000], 0);
  deepStrictEqual(t.flags[1]! & PG.free, 0);
});

Deno.test("swap devices of terabytes cost what their used slots cost, far apart or not", () => {
  const s = new SwapSpace();
  const a = s.add("a", 2 ** 30, -1)!;
  const b = s.add("b", 2 ** 30, 5)!;
  deepStrictEqual([a.base, b.base], [0, 2 ** 30]);
  // A third device of 4T has no slot numbers left (2^31 in all).
  deepStrictEqual(s.add("c", 2 ** 30, 0), undefined);
  const before = rssMB();
  const slots: number[] = [];
  for (let i = 0; i < 10000; i++) slots.push(s.alloc());
  deepStrictEqual(slots[0], 2 ** 30); // b first: higher priority
  deepStrictEqual(s.deviceOf(slots[9999]!), b);
  s.stamp[slots[5]!] = 42;
  for (const slot of slots) s.free(slot);
  ok(rssMB() - before < 64, `${rssMB() - before} MB for 10000 slots`);
  deepStrictEqual(s.used, 0);
});

Deno.test("a machine of 4T with 8T of swap that touches 4 MiB stays small", () => {
  const t = new TraceBuilder({ mem: "4096G" })
    .swapon("a", "4096G").swapon("b", "4096G", 5)
    .mmap(1, 0x7f0000000000, "4M", "rw-", "private,anon")
    .w(1, 0x7f0000000000, "4M").reclaim(512).r(1, 0x7f0000000000, "4M")
    .swapoff("b").write(1, "file:/big", 0, 0x7ffff000).exit(1);
  const b = t.batch();
  const before = rssMB();
  for (const strategy of ["anon_vma_chain", "scan"]) {
    const m = new Machine({ memPages: 2 ** 30, swapPages: 2 ** 30, strategy, check: true });
    for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
    deepStrictEqual(m.extraCounters().check_errors, 0);
    deepStrictEqual(m.counters[0]! > 0, true);
  }
  ok(rssMB() - before < 150, `${(rssMB() - before).toFixed(0)} MB`);
});

Deno.test("file contents on disk: a run of equal stamps is one number per chunk", () => {
  const s = new PageStamps();
  // 2 GiB written at once: 524288 pages, 1024 chunks of one stamp each.
  for (let p = 0; p < 524288; p++) s.set(p, 9);
  deepStrictEqual(s.chunks, 1024);
  deepStrictEqual([s.get(0), s.get(524287), s.get(524288)], [9, 9, undefined]);
  s.set(2 ** 40, 3);
  deepStrictEqual(s.get(2 ** 40), 3);
  s.deleteFrom(1000);
  deepStrictEqual([s.get(999), s.get(1000), s.get(2 ** 40), s.chunks], [
    9,
    undefined,
    undefined,
    2,
  ]);
});
