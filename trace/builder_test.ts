import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { TraceBuilder } from "./builder.ts";
import { parseTraceText } from "./text/parse.ts";
import { Op } from "./event.ts";

Deno.test("TraceBuilder.text() parses back to the same events", () => {
  const t = new TraceBuilder({ mem: "8M", swap: "32M" })
    .swapon("swap0", "32M", 5)
    .mmap(1, 0x10000, "64K", "rw-", "private,anon")
    .w(1, 0x10000).fork(1, 2).mark("after-fork").r(2, 0x10000, 8)
    .mmap(1, "0x1fff00000000000", 4096, "r-x", "shared", "file:/a", "8K")
    .exit(2).exit(1);
  const parsed = parseTraceText(t.text());
  assertEquals(parsed.header, t.header());
  assertEquals(parsed.events.map(({ line: _, ...e }) => e), t.events());
});

Deno.test("TraceBuilder.batch() holds every event in order", () => {
  const b = new TraceBuilder().mmap(1, 0, "8K", "rw-", "private").w(1, 4096).exit(1).batch();
  assertEquals(b.length, 3);
  assertEquals([...b.op.subarray(0, 3)], [Op.mmap, Op.w, Op.exit]);
  assertEquals(b.page[1], 1);
});

Deno.test("TraceBuilder rejects bad arguments at once", () => {
  assertThrows(() => new TraceBuilder().w(0, 0x1000), RangeError);
  assertThrows(() => new TraceBuilder().mmap(1, 0, 4096, "rwz", "private"), TypeError);
  assertThrows(() => new TraceBuilder().mmap(1, 0, 4096, "rw-", "anon"), TypeError);
  assertThrows(() => new TraceBuilder().create(1, "disk:/x", 4096), TypeError);
  assertThrows(() => new TraceBuilder().r(1, "12Q"), TypeError);
});
