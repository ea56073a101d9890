import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { NO_STAMP, ReferenceModel } from "./reference.ts";
import { TraceBuilder } from "../trace/builder.ts";
import { Op } from "../trace/event.ts";

const A = 0x10000; // page 0x10
const P = (n: number) => 0x10 + n;

/** Applies the builder's events; returns the model and each event's seq by index (1-based). */
function run(t: TraceBuilder): ReferenceModel {
  const b = t.batch();
  const ref = new ReferenceModel();
  for (let i = 0; i < b.length; i++) ref.apply(b, i, i + 1);
  return ref;
}

Deno.test("ReferenceModel: untouched private anonymous pages read 0, a store writes its seq", () => {
  const ref = run(new TraceBuilder().mmap(1, A, "16K", "rw-", "private,anon").w(1, A + 4096));
  assertEquals([0, 1, 2, 3].map((n) => ref.expected(1, P(n))), [0, 2, 0, 0]);
  assertEquals(ref.expected(1, P(4)), NO_STAMP);
  assertEquals(ref.expected(9, P(0)), NO_STAMP);
});

Deno.test("ReferenceModel: fork copies private pages; each side's stores stay its own", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).fork(1, 2).w(2, A)
      .w(1, A + 4096),
  );
  assertEquals([ref.expected(1, P(0)), ref.expected(1, P(1))], [2, 5]);
  assertEquals([ref.expected(2, P(0)), ref.expected(2, P(1))], [4, 0]);
});

Deno.test("ReferenceModel: clone shares the address space, exec replaces it, exit ends it", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").clone(1, 2).w(2, A).fork(1, 3)
      .exec(1).exit(2),
  );
  assertEquals(ref.expected(1, P(0)), NO_STAMP); // exec: empty address space
  assertEquals(ref.expected(2, P(0)), NO_STAMP); // exited
  assertEquals(ref.expected(3, P(0)), 3); // the fork copied the thread's store
});

Deno.test("ReferenceModel: shared anonymous memory stays shared across fork", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "8K", "rw-", "shared,anon").fork(1, 2).w(2, A).w(1, A + 4096),
  );
  for (const pid of [1, 2]) {
    assertEquals([ref.expected(pid, P(0)), ref.expected(pid, P(1))], [3, 4]);
  }
});

Deno.test("ReferenceModel: two shared anonymous mmaps are two objects", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "shared,anon").w(1, A).mmap(
      1,
      A,
      "4K",
      "rw-",
      "shared,anon",
    ),
  );
  assertEquals(ref.expected(1, P(0)), 0);
});

Deno.test("ReferenceModel: shared file mappings alias (object, index), whatever the address", () => {
  const ref = run(
    new TraceBuilder().create(1, "file:/f", "16K")
      .mmap(1, A, "8K", "rw-", "shared", "file:/f", "4K")
      .mmap(2, 0x40000, "16K", "r--", "shared", "file:/f")
      .w(1, A + 4096)
      .write(3, "file:/f", 0, 4096),
  );
  // pid 1's page 1 is file page 2; pid 2 maps file pages 0..3 from page 0x40.
  assertEquals([0, 1, 2, 3].map((n) => ref.expected(2, 0x40 + n)), [5, 0, 4, 0]);
});

Deno.test("ReferenceModel: a private file mapping reads the file until it writes the page", () => {
  const ref = run(
    new TraceBuilder().create(1, "file:/f", "8K").write(1, "file:/f", 0, 8192)
      .mmap(1, A, "8K", "rw-", "private", "file:/f")
      .w(1, A)
      .write(2, "file:/f", 0, 8192),
  );
  assertEquals([ref.expected(1, P(0)), ref.expected(1, P(1))], [4, 5]);
});

Deno.test("ReferenceModel: MADV_DONTNEED zeroes private anonymous pages, re-reads file pages", () => {
  const ref = run(
    new TraceBuilder().write(1, "file:/f", 0, 4096)
      .mmap(1, A, "4K", "rw-", "private,anon").w(1, A)
      .mmap(1, 0x20000, "4K", "rw-", "private", "file:/f").w(1, 0x20000)
      .mmap(1, 0x30000, "4K", "rw-", "shared,anon").w(1, 0x30000)
      .madvise(1, A, "192K", "dontneed"),
  );
  assertEquals([ref.expected(1, 0x10), ref.expected(1, 0x20), ref.expected(1, 0x30)], [0, 1, 7]);
});

Deno.test("ReferenceModel: MADV_DONTNEED is refused on locked memory, lock not inherited", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "private,anon").w(1, A).mlock(1, A, 4096)
      .fork(1, 2).madvise(1, A, 4096, "dontneed").madvise(2, A, 4096, "dontneed"),
  );
  assertEquals([ref.expected(1, P(0)), ref.expected(2, P(0))], [2, 0]);
});

Deno.test("ReferenceModel: mremap moves pages, grows with zero pages, shrinks", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).w(1, A + 4096)
      .mremap(1, A, "8K", 0x80000, "12K")
      .mremap(1, 0x80000, "12K", 0x80000, "4K"),
  );
  assertEquals(ref.expected(1, P(0)), NO_STAMP);
  assertEquals([0x80, 0x81].map((p) => ref.expected(1, p)), [2, NO_STAMP]);
  const grown = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "private,anon").w(1, A)
      .mremap(1, A, "4K", A, "8K"),
  );
  assertEquals([grown.expected(1, P(0)), grown.expected(1, P(1))], [2, 0]);
});

Deno.test("ReferenceModel: mremap across areas Linux would not merge does nothing", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "private,anon")
      .mmap(1, A + 4096, "4K", "r--", "private,anon").w(1, A)
      .mremap(1, A, "8K", 0x80000, "8K"),
  );
  assertEquals(ref.expected(1, P(0)), 3);
  assertEquals(ref.expected(1, 0x80), NO_STAMP);
});

Deno.test("ReferenceModel: munmap of a middle part splits the area", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "12K", "rw-", "private,anon").w(1, A).w(1, A + 8192)
      .munmap(1, A + 4096, 4096),
  );
  assertEquals([0, 1, 2].map((n) => ref.expected(1, P(n))), [2, NO_STAMP, 3]);
});

Deno.test("ReferenceModel.accessOk(): permissions as x86 Linux checks them", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "r--", "private,anon")
      .mmap(1, A + 4096, "4K", "---", "private,anon")
      .mmap(1, A + 8192, "4K", "-w-", "private,anon")
      .mmap(1, A + 12288, "4K", "--x", "private,anon"),
  );
  const ok = (op: number, n: number) => ref.accessOk(1, op, P(n), 1);
  assertEquals([ok(Op.r, 0), ok(Op.w, 0), ok(Op.x, 0)], [true, false, false]);
  assertEquals([ok(Op.r, 1), ok(Op.w, 1), ok(Op.x, 1)], [false, false, false]);
  assertEquals([ok(Op.r, 2), ok(Op.w, 2), ok(Op.x, 2)], [true, true, false]);
  assertEquals([ok(Op.r, 3), ok(Op.w, 3), ok(Op.x, 3)], [true, false, true]);
  assertEquals(ref.accessOk(1, Op.r, P(0), 2), false); // the second page is PROT_NONE
  assertEquals(ref.expected(1, P(1)), NO_STAMP);
});

Deno.test("ReferenceModel: a store that faults on one page changes no page", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "private,anon").w(1, A + 4000, 200),
  );
  assertEquals(ref.expected(1, P(0)), 0);
});

Deno.test("ReferenceModel: truncate drops pages past EOF, private copies included", () => {
  const ref = run(
    new TraceBuilder().create(1, "tmpfs:/t", "16K")
      .mmap(1, A, "16K", "rw-", "shared", "tmpfs:/t")
      .mmap(1, 0x40000, "16K", "rw-", "private", "tmpfs:/t")
      .w(1, A + 12288).w(1, 0x40000 + 12288)
      .truncate(1, "tmpfs:/t", "8K"),
  );
  assertEquals([ref.expected(1, P(3)), ref.expected(1, 0x43)], [NO_STAMP, NO_STAMP]);
  assertEquals(ref.accessOk(1, Op.r, P(2), 1), false);
  assertEquals(ref.accessOk(1, Op.r, P(1), 1), true);
  const regrown = run(
    new TraceBuilder().create(1, "tmpfs:/t", "16K")
      .mmap(1, 0x40000, "16K", "rw-", "private", "tmpfs:/t").w(1, 0x43000)
      .truncate(1, "tmpfs:/t", "8K").truncate(1, "tmpfs:/t", "16K"),
  );
  assertEquals(regrown.expected(1, 0x43), 0);
});

Deno.test("ReferenceModel: unlink keeps mapped pages; the name then makes a new object", () => {
  const ref = run(
    new TraceBuilder().write(1, "shm:1", 0, 4096)
      .mmap(1, A, "4K", "rw-", "shared", "shm:1")
      .unlink(1, "shm:1")
      .mmap(1, 0x40000, "4K", "rw-", "shared", "shm:1"),
  );
  assertEquals([ref.expected(1, P(0)), ref.expected(1, 0x40)], [1, 0]);
});

Deno.test("ReferenceModel: a shared anonymous mapping grown by mremap faults past its size", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "4K", "rw-", "shared,anon").mremap(1, A, "4K", A, "8K"),
  );
  assertEquals([ref.accessOk(1, Op.r, P(0), 1), ref.accessOk(1, Op.r, P(1), 1)], [true, false]);
});

Deno.test("ReferenceModel: MAP_POPULATE and mlock copy private writable file pages at once", () => {
  const t = (how: "populate" | "mlock") => {
    const b = new TraceBuilder().write(1, "file:/f", 0, 8192);
    if (how === "populate") b.mmap(1, A, "8K", "rw-", "private,populate", "file:/f");
    else b.mmap(1, A, "8K", "rw-", "private", "file:/f").mlock(1, A, 4096);
    return run(b.write(2, "file:/f", 0, 8192));
  };
  const populated = t("populate");
  assertEquals([populated.expected(1, P(0)), populated.expected(1, P(1))], [1, 1]);
  const locked = t("mlock");
  assertEquals([locked.expected(1, P(0)), locked.expected(1, P(1))], [1, 4]);
  // Read-only or shared mappings are populated with read faults: nothing is copied.
  const ro = run(
    new TraceBuilder().write(1, "file:/f", 0, 4096)
      .mmap(1, A, "4K", "r--", "private,populate", "file:/f").write(2, "file:/f", 0, 4096),
  );
  assertEquals(ro.expected(1, P(0)), 3);
});

Deno.test("ReferenceModel: refused operations change nothing", () => {
  const ref = run(
    new TraceBuilder().mmap(1, A, "8K", "rw-", "private,anon").w(1, A).fork(1, 2).w(2, A)
      .fork(1, 2) // onto a live pid
      .clone(1, 2)
      .mremap(1, A, "8K", A + 4096, "8K") // overlapping move
      .mremap(1, A, "8K", 0x90000, 0) // zero length
      .mmap(1, A, 0, "---", "private,anon"),
  );
  assertEquals([ref.expected(1, P(0)), ref.expected(2, P(0))], [2, 4]);
  assertEquals(ref.expected(1, P(1)), 0);
});
