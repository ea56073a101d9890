import { deepStrictEqual as assertEquals } from "node:assert/strict";
import * as ops from "./ops.ts";
import { ADVICES, MapFlag, Op, PAGE_SIZE, Prot } from "../trace/event.ts";
import { FLAGS_MASK, FLAGS_SHIFT, HAS_PRIO, PROT_MASK } from "../trace/batch.ts";

Deno.test("core/ops.ts agrees with trace/event.ts and trace/batch.ts", () => {
  assertEquals({ ...ops.OP }, { ...Op });
  assertEquals(
    [ops.PROT_READ, ops.PROT_WRITE, ops.PROT_EXEC],
    [Prot.read, Prot.write, Prot.exec],
  );
  assertEquals(
    [ops.MAP_PRIVATE, ops.MAP_SHARED, ops.MAP_ANON, ops.MAP_POPULATE, ops.MAP_LOCKED],
    [MapFlag.private, MapFlag.shared, MapFlag.anon, MapFlag.populate, MapFlag.locked],
  );
  assertEquals([ops.MAP_GROWSDOWN, ops.MAP_NORESERVE], [MapFlag.growsdown, MapFlag.noreserve]);
  assertEquals(
    [ops.FLAGS_SHIFT, ops.FLAGS_MASK, ops.HAS_PRIO, ops.PROT_MASK, ops.PAGE_SIZE],
    [FLAGS_SHIFT, FLAGS_MASK, HAS_PRIO, PROT_MASK, PAGE_SIZE],
  );
  assertEquals(
    [ops.ADVICE_DONTNEED, ops.ADVICE_PAGEOUT, ops.ADVICE_WILLNEED],
    [ADVICES.indexOf("dontneed"), ADVICES.indexOf("pageout"), ADVICES.indexOf("willneed")],
  );
});
