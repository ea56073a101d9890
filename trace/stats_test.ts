import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { StatsCollector } from "./stats.ts";
import { TraceBuilder } from "./builder.ts";

Deno.test("StatsCollector counts pages an access spans, per process and overall", () => {
  const t = new TraceBuilder()
    .mmap(1, 0x10000, "64K", "rw-", "private,anon")
    .w(1, 0x10ffc, 8) // two pages
    .r(1, 0x10000, 3 * 4096) // three pages, two already touched
    .fork(1, 2).r(2, 0x11000).x(2, 0x12000, 0) // a zero-length access still names its page
    .mark("a").mark("b").create(1, "file:/x", 4096).unlink(1, "file:/x").swapon("s", "1M");
  const s = new StatsCollector();
  s.add(t.batch());
  const r = s.result();
  assertEquals(r.pages_touched, 5);
  assertEquals(r.virtual_pages_touched, 3);
  assertEquals(r.pages_touched_by_op, { r: 4, w: 2, x: 1 });
  assertEquals(r.marks, ["a", "b"]);
  assertEquals(r.objects, 1);
  assertEquals(r.processes, 2);
  assertEquals(r.extent, { low: "0x10000", high: "0x20000" });
  assertEquals(r.mapped_bytes, 65536);
});

Deno.test("StatsCollector keeps extents exact above 2^53", () => {
  const t = new TraceBuilder().mmap(1, "0x1ffffffffff0000", "64K", "rw-", "private,anon")
    .w(1, "0x1ffffffffff0008").w(7, "0x20000000000000");
  const s = new StatsCollector();
  s.add(t.batch());
  assertEquals(s.result().extent, { low: "0x20000000000000", high: "0x200000000000000" });
});

Deno.test("StatsCollector's page set grows past its first table", () => {
  const t = new TraceBuilder();
  for (let k = 0; k < 10_000; k++) t.w(1 + (k % 3), k * 4096);
  const s = new StatsCollector();
  s.add(t.batch());
  assertEquals(s.result().pages_touched, 10_000);
  assertEquals(s.result().virtual_pages_touched, 10_000);
});
