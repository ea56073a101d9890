import { deepStrictEqual, ok } from "node:assert/strict";
import { COUNTER_DESCRIPTIONS, COUNTER_NAMES } from "../core/counters.ts";
import { runBatch } from "../core/run_batch.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";
import { TraceBuilder } from "../trace/builder.ts";
import { counterDescriptions } from "./counter_docs.ts";

Deno.test("every strategy describes exactly the counters it adds", () => {
  const t = new TraceBuilder({ mem: "1M" }).mmap(1, 0x10000, "16K", "rw-", "private,anon")
    .w(1, 0x10000, "16K").fork(1, 2).w(2, 0x10000);
  for (const [name, info] of Object.entries(STRATEGIES)) {
    const { machine } = runBatch(t.batch(), { memPages: 256, swapPages: 0, strategy: name });
    deepStrictEqual(
      Object.keys(info.counters).sort(),
      Object.keys(machine.extraCounters()).sort(),
      `${name}: StrategyInfo.counters against extraCounters()`,
    );
  }
});

Deno.test("counterDescriptions() describes every counter in a sentence", () => {
  const d = counterDescriptions();
  deepStrictEqual(Object.keys(COUNTER_DESCRIPTIONS), [...COUNTER_NAMES]);
  for (const [name, text] of Object.entries(d)) {
    ok(/^[A-Z\w].*\.$/.test(text) && text.length < 400, `${name}: '${text}'`);
  }
  ok(d.anon_vma_count!.startsWith("anon_vma: ") && d.anon_vma_count!.includes(" anon_vma_chain: "));
});
