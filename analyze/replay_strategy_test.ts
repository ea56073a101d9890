import { deepStrictEqual, ok } from "node:assert/strict";
import { replayStrategy } from "./replay_strategy.ts";
import { TraceBuilder } from "../trace/builder.ts";
import type { EventBatch } from "../trace/batch.ts";

Deno.test("replayStrategy(): elapsed_ms leaves out the time spent waiting for batches", async () => {
  const t = new TraceBuilder().mmap(1, 0x10000, "16K", "rw-", "private,anon").w(1, 0x10000);
  async function* slow(): AsyncIterable<EventBatch> {
    await new Promise((r) => setTimeout(r, 300)); // a slow producer (decoder, other workers)
    yield t.batch();
    await new Promise((r) => setTimeout(r, 300));
  }
  const t0 = performance.now();
  const r = await replayStrategy(slow(), {
    strategy: "anon_vma_chain",
    memPages: 64,
    swapPages: 0,
  });
  ok(performance.now() - t0 >= 590);
  deepStrictEqual(r.counters.events, 2);
  ok(r.elapsed_ms < 250, `elapsed_ms ${r.elapsed_ms}`);
});
