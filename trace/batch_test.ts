import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { EventBatch, joinAddr, splitAddr } from "./batch.ts";
import type { Event } from "./event.ts";

const EVERY_OP: Event[] = [
  { pid: 1, op: "mmap", addr: 0x7f0000000000, len: 1 << 20, prot: 3, flags: 5 },
  { pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 1, flags: 2, object: "file:/a", offset: 0 },
  { pid: 1, op: "munmap", addr: 0x10000, len: 4096 },
  { pid: 1, op: "mremap", addr: 0x7f0000000000, len: 4096, newAddr: 0x7f1000000000, newLen: 8192 },
  { pid: 1, op: "mprotect", addr: 0x10000, len: 4096, prot: 0 },
  { pid: 1, op: "madvise", addr: 0x10000, len: 4096, advice: "pageout" },
  { pid: 1, op: "mlock", addr: 0x10000, len: 4096 },
  { pid: 1, op: "munlock", addr: 0x10000, len: 4096 },
  { pid: 1, op: "msync", addr: 0x10000, len: 4096 },
  { pid: 1, op: "fork", child: 2 },
  { pid: 2, op: "clone", child: 3 },
  { pid: 3, op: "exec" },
  { pid: 3, op: "exit" },
  { pid: 2, op: "r", addr: 0x10fff, len: 2 },
  { pid: 2, op: "w", addr: 2n ** 56n + 5n, len: 1 },
  { pid: 2, op: "x", addr: 0x400000, len: 4 },
  { pid: 2, op: "create", object: "tmpfs:/t", size: 65536 },
  { pid: 2, op: "read", object: "tmpfs:/t", offset: 4096, len: 100 },
  { pid: 2, op: "write", object: "shm:42", offset: 0, len: 8192 },
  { pid: 2, op: "truncate", object: "tmpfs:/t", size: 0 },
  { pid: 2, op: "unlink", object: "tmpfs:/t" },
  { pid: 2, op: "fsync", object: "file:/a" },
  { pid: 0, op: "swapon", name: "swap0", size: 1 << 25 },
  { pid: 0, op: "swapon", name: "swap1", size: 1 << 25, prio: -3 },
  { pid: 0, op: "swapoff", name: "swap0" },
  { pid: 0, op: "reclaim", pages: 64 },
  { pid: 0, op: "mark", label: "after-fork" },
];

Deno.test("EventBatch.get() returns what EventBatch.push() stored, for every op", () => {
  const batch = new EventBatch(EVERY_OP.length);
  for (const ev of EVERY_OP) batch.push(ev);
  equal(batch.full, true);
  deepStrictEqual(EVERY_OP.map((_, i) => batch.get(i)), EVERY_OP);
});

Deno.test("EventBatch.push() throws a RangeError when full", () => {
  const batch = new EventBatch(1);
  batch.push({ pid: 1, op: "exit" });
  throws(() => batch.push({ pid: 1, op: "exit" }), RangeError);
  batch.clear();
  equal(batch.length, 0);
});

Deno.test("splitAddr() and joinAddr() are exact up to 2^57", () => {
  for (const a of [0, 4095, 4096, 0x7fffffffffff, 2 ** 53 - 1]) {
    const [p, o] = splitAddr(a);
    equal(joinAddr(p, o), a);
  }
  const big = 2n ** 57n - 1n;
  const [p, o] = splitAddr(big);
  equal(o, 4095);
  equal(joinAddr(p, o), big);
});
