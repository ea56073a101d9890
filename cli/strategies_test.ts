import { deepStrictEqual, ok } from "node:assert/strict";
import { formatStrategies, main, strategyRows } from "./strategies.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

Deno.test("strategyRows() lists every registered strategy once, one default", () => {
  const rows = strategyRows();
  deepStrictEqual(rows.map((r) => r.name), Object.keys(STRATEGIES));
  deepStrictEqual(rows.filter((r) => r.default).map((r) => r.name), ["anon_vma_chain"]);
  for (const r of rows) ok(r.origin.length > 0 && r.idea.length > 0, r.name);
});

Deno.test("formatStrategies() shows names, origins and ideas", () => {
  const text = formatStrategies(strategyRows());
  for (const r of strategyRows()) {
    ok(text.includes(r.name) && text.includes(r.origin) && text.includes(r.idea), r.name);
  }
  ok(text.endsWith("* default"));
});

Deno.test("strategies main() exits 2 on a stray argument and 0 on --json", async () => {
  const log = console.log, err = console.error;
  const out: string[] = [];
  console.log = (s: string) => out.push(s);
  console.error = () => {};
  try {
    deepStrictEqual(await main(["extra"]), 2);
    deepStrictEqual(await main(["--json"]), 0);
  } finally {
    console.log = log;
    console.error = err;
  }
  deepStrictEqual(JSON.parse(out.join("")).length, Object.keys(STRATEGIES).length);
});
