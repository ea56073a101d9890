import { deepStrictEqual } from "node:assert/strict";
import { COUNTERS_DOC, formattedCountersDoc } from "./counters_doc.ts";

Deno.test("docs/counters.md is what tools/counters_doc.ts writes (deno task docs:counters)", async () => {
  deepStrictEqual(
    await Deno.readTextFile(COUNTERS_DOC),
    await formattedCountersDoc(),
    "docs/counters.md is out of date: run deno task docs:counters",
  );
});
