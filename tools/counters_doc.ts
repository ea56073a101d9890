/**
 * Writes docs/counters.md from the definitions: the machine's counters and what each counts
 * (`core/counters.ts`), the counters `--check` adds, each strategy's own (`StrategyInfo.counters`),
 * the cost model's weight on each, and the ratios the run page shows (`analyze/ratios.ts`). Run
 * with `deno task docs:counters`; `tools/counters_doc_test.ts` fails when the file is out of date.
 *
 *     deno run --allow-read --allow-write tools/counters_doc.ts
 *
 * @module
 */
import {
  CHECK_COUNTER_DESCRIPTIONS,
  COUNTER_DESCRIPTIONS,
  PEAK_COUNTERS,
} from "../core/counters.ts";
import type { CounterName } from "../core/counters.ts";
import { DEFAULT_COST_WEIGHTS } from "../analyze/cost.ts";
import { strategyCounters } from "../analyze/counter_docs.ts";
import { RATIOS } from "../analyze/ratios.ts";

/** Where the document goes. */
export const COUNTERS_DOC = new URL("../docs/counters.md", import.meta.url);

/** `|` in a table cell, escaped. */
const cell = (s: string) => s.replaceAll("|", "\\|");

/** The weights of the cost model that charge `counter`, as `700 ns (minor_fault)`. */
function weightsOf(counter: string): string {
  return Object.entries(DEFAULT_COST_WEIGHTS).filter(([, w]) => w.counter === counter)
    .map(([name, w]) => `${w.ns.toLocaleString("en-US")} ns (\`${name}\`)`).join(", ");
}

/** The text of docs/counters.md. */
export function countersDoc(): string {
  const out = [
    "# Counters",
    "",
    "<!-- Written by tools/counters_doc.ts (deno task docs:counters) from core/counters.ts, the",
    "strategies' StrategyInfo.counters and analyze/ratios.ts: edit those, not this file. -->",
    "",
    "Every replay counts these, per strategy, in total and per phase (`run --json`, `--csv`, the",
    "results store, the dashboard, which shows each description on hover). Peaks (`*_peak`) are the",
    "largest value seen, and a phase's peak is its own; `*_count` counters count objects alive (the",
    "total is the number alive at the end, a phase's value its change). The last column is what the",
    "cost model charges for one ([cost-model.md](cost-model.md)).",
    "",
    "| counter | what it counts | cost model |",
    "| --- | --- | --- |",
  ];
  for (const [name, text] of Object.entries(COUNTER_DESCRIPTIONS)) {
    const peak = PEAK_COUNTERS.has(name as CounterName) ? " (a peak)" : "";
    out.push(`| \`${name}\` | ${cell(text)}${peak} | ${weightsOf(name) || "–"} |`);
  }
  out.push("", "With `--check` (`run --check`), two more:", "", "| counter | what it counts |");
  out.push("| --- | --- |");
  for (const [name, text] of Object.entries(CHECK_COUNTER_DESCRIPTIONS)) {
    out.push(`| \`${name}\` | ${cell(text)} |`);
  }
  out.push(
    "",
    "## Each strategy's own",
    "",
    "| counter | strategy | what it counts |",
    "| --- | --- | --- |",
  );
  for (const c of strategyCounters()) {
    for (const [strategy, text] of Object.entries(c.descriptions)) {
      out.push(`| \`${c.name}\` | \`${strategy}\` | ${cell(text)} |`);
    }
  }
  out.push(
    "",
    "## Ratios",
    "",
    "A run's page shows these ratios of its counters, the figures",
    "[strategies.md](strategies.md) argues with (– when the divisor is 0).",
    "",
    "| ratio | per | what it tells |",
    "| --- | --- | --- |",
  );
  for (const r of RATIOS) out.push(`| ${cell(r.title)} | ${r.per} | ${cell(r.description)} |`);
  return out.join("\n") + "\n";
}

/** {@linkcode countersDoc} as `deno fmt` leaves it (the repository's line width, 100). */
export async function formattedCountersDoc(): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "--line-width=100", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(countersDoc()));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

if (import.meta.main) {
  await Deno.writeTextFile(COUNTERS_DOC, await formattedCountersDoc());
  console.log(`wrote ${COUNTERS_DOC.pathname}`);
}
