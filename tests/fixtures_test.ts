/**
 * Every `fixtures/NAME.expected.json` holds counters that the Linux rules of docs/machine.md fix whatever
 * the strategy (checked by hand, explained in the trace's comments); the trace `fixtures/NAME.*`
 * must replay to exactly those values under every strategy, with `--verify` and `--check` clean.
 * `by_strategy` adds or replaces counters a particular design changes (checked when that strategy
 * is registered).
 */
import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { replayStrategy } from "../analyze/replay_strategy.ts";
import { readTrace } from "../trace/read.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

const DIR = new URL("../fixtures/", import.meta.url).pathname;

interface Expected {
  about: string;
  counters: Record<string, number>;
  phases?: { label: string; counters: Record<string, number> }[];
  /** Counters of particular strategies (where the design changes them): added or replaced. */
  by_strategy?: Record<string, Record<string, number>>;
}

const files = [...Deno.readDirSync(DIR)].filter((e) => e.isFile).map((e) => e.name).sort();
const expectedFiles = files.filter((f) => f.endsWith(".expected.json"));

function pick(c: Record<string, number>, names: string[]): Record<string, number | undefined> {
  return Object.fromEntries(names.map((n) => [n, c[n]]));
}

for (const ef of expectedFiles) {
  const base = ef.slice(0, -".expected.json".length);
  const traces = files.filter((f) => f.startsWith(`${base}.`) && !f.endsWith(".json"));
  Deno.test(`fixture ${base}: has a trace`, () => {
    if (traces.length === 0) throw new Error(`fixtures/${ef} has no trace fixtures/${base}.*`);
  });
  for (const trace of traces) {
    Deno.test(`fixture ${trace}: every strategy gives the expected counters`, async () => {
      await checkFixture(trace, ef);
    });
  }
}

async function checkFixture(trace: string, ef: string): Promise<void> {
  const base = ef.slice(0, -".expected.json".length);
  const exp = JSON.parse(await Deno.readTextFile(join(DIR, ef))) as Expected;
  for (const s of Object.keys(STRATEGIES)) {
    // In this thread rather than in workers: `deno test` would type-check every worker.
    const reader = await readTrace(join(DIR, trace));
    const r = await replayStrategy(reader.batches(), {
      strategy: s,
      memPages: Math.floor((reader.header.mem ?? 2 ** 30) / 4096),
      swapPages: Math.floor((reader.header.swap ?? 0) / 4096),
      verify: true,
      check: true,
    });
    await reader.close();
    const want = { ...exp.counters, ...exp.by_strategy?.[s] };
    deepStrictEqual(pick(r.counters, Object.keys(want)), want, `${base} / ${s}: totals`);
    deepStrictEqual(r.counters.verify_errors, 0, `${base} / ${s}: ${r.verify?.first_message}`);
    deepStrictEqual(r.counters.check_errors ?? 0, 0, `${base} / ${s}: ${r.check?.first_message}`);
    if (exp.phases) {
      deepStrictEqual(r.phases.map((p) => p.label), exp.phases.map((p) => p.label));
      exp.phases.forEach((p, i) => {
        const got = pick(r.phases[i]!.counters, Object.keys(p.counters));
        deepStrictEqual(got, p.counters, `${base} / ${s}: phase ${p.label}`);
      });
    }
  }
}

Deno.test("every trace in fixtures/ has an expected-results file", () => {
  const traces = files.filter((f) => !f.endsWith(".json") && !f.startsWith("."));
  const missing = traces.filter((t) => !expectedFiles.includes(`${t.split(".")[0]}.expected.json`));
  deepStrictEqual(missing, []);
});
