import { deepStrictEqual, ok } from "node:assert/strict";
import { formatBytes, formatCount, formatCsv, formatMarkdown, formatTable } from "./report.ts";
import { makeRunResult } from "../tests/_run_result.ts";
import { strategyNames } from "../core/rmap/registry.ts";

Deno.test("formatCount() keeps at most 7 characters", () => {
  deepStrictEqual(
    [0, 999999, 1234567, 98765432, 123456789012, 1.5].map(formatCount),
    ["0", "999999", "1.23M", "98.8M", "123G", "1.50"],
  );
});

Deno.test("formatBytes() writes sizes the way traces do", () => {
  deepStrictEqual([1 << 30, 3 << 20, 4096, 1000].map(formatBytes), ["1G", "3M", "4K", "1000"]);
});

Deno.test("formatTable() fits 100 columns with all seven strategies and ranks them", () => {
  const run = makeRunResult({ strategies: strategyNames() });
  const text = formatTable(run);
  for (const line of text.split("\n")) ok(line.length <= 100, `too wide (${line.length}): ${line}`);
  for (const s of Object.keys(run.results)) ok(text.includes(`\n${s} `), s);
  ok(text.includes("#1") && text.includes("#7"), text);
});

Deno.test("formatTable() and formatMarkdown() give equal estimates the same rank", () => {
  const run = makeRunResult({ strategies: ["b", "a", "c"] });
  run.results.b!.counters = { ...run.results.a!.counters };
  run.results.c!.counters = { ...run.results.a!.counters, pte_walks: 1e9 };
  const table = formatTable(run);
  for (const [s, rank] of [["a", 1], ["b", 1], ["c", 3]] as const) {
    ok(new RegExp(`\\n${s} .* #${rank}\\n`).test(table), `${s} #${rank}\n${table}`);
  }
  const md = formatMarkdown(run);
  ok(md.includes("| 1 | a |") && md.includes("| 1 | b |") && md.includes("| 3 | c |"), md);
  ok(md.indexOf("| 1 | a |") < md.indexOf("| 1 | b |"), "tied strategies by name");
});

Deno.test("formatCsv() has a total row and one per phase for each strategy", () => {
  const run = makeRunResult({ strategies: ["a", "b"], phases: ["start", "p1"] });
  const rows = formatCsv(run).trimEnd().split("\n");
  deepStrictEqual(rows.length, 1 + 2 * 3);
  deepStrictEqual(rows.slice(1).map((r) => r.split(",").slice(0, 2).join()), [
    "a,total",
    "a,start",
    "a,p1",
    "b,total",
    "b,start",
    "b,p1",
  ]);
});

Deno.test("formatMarkdown() lists every counter and a ranking", () => {
  const run = makeRunResult({ strategies: ["a", "b"] });
  const md = formatMarkdown(run);
  ok(md.includes("| minor_faults |"), md);
  ok(md.includes("| 1 | a |") || md.includes("| 1 | b |"), md);
});
