/**
 * Retakes the README's dashboard screenshots: generates the aim7 workload (48 children, 128 pages),
 * replays it with the trace's memory and with 24 MiB into a temporary store, and photographs the
 * runs list, the first run's page and the comparison in headless Chromium; then sweeps a zygote
 * and a shared-anonymous workload from 25% to 100% of their footprints (`vmreplay sweep`) and
 * photographs the sweep's page.
 *
 *     deno run -A tools/screenshots.ts
 *
 * @module
 */
import { chromium } from "playwright-core";
import { openStore, saveRun } from "../analyze/store.ts";
import { replayBytes } from "../analyze/replay.ts";
import { traceInfoOfBytes } from "../analyze/trace_info.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { formatTraceText } from "../trace/text/stringify.ts";
import { serveDashboard } from "../server/serve.ts";
import { makePlan } from "../analyze/sweep/plan.ts";
import { parseMemList } from "../analyze/sweep/mem_list.ts";
import { runSweep } from "../analyze/sweep/run.ts";
import { addPoint, createSweep } from "../analyze/sweep/store.ts";
import { planId } from "../analyze/sweep/plan.ts";
import { resolveStrategies } from "../analyze/replay.ts";

const dir = new URL("../docs/screenshots/", import.meta.url);
const { header, events } = generateWorkload("aim7", { children: 48, pages: 128 });
const bytes = new TextEncoder().encode(formatTraceText(header, events));
const trace = await traceInfoOfBytes("aim7.vmt", bytes);
using store = openStore(":memory:");
saveRun(store, await replayBytes(bytes, "aim7.vmt"), trace);
saveRun(store, await replayBytes(bytes, "aim7.vmt", { mem: 24 * 2 ** 20 }), trace);

const tmp = await Deno.makeTempDir({ prefix: "vmreplay-shots-" });
const traces: string[] = [];
for (const [name, params] of [["zygote", {}], ["shared-anon", {}]] as const) {
  const w = generateWorkload(name, params);
  traces.push(`${tmp}/${name}.vmt`);
  await Deno.writeTextFile(traces.at(-1)!, formatTraceText(w.header, w.events));
}
const plan = await makePlan({
  traces,
  mem: parseMemList("25%..100%:6"),
  strategies: resolveStrategies(),
});
plan.traces.forEach((t) => t.path = t.name);
const sweep = createSweep(store, plan, await planId(plan), "");
await runSweep({
  plan: { ...plan, traces: plan.traces.map((t, k) => ({ ...t, path: traces[k]! })) },
  onJob: (d) => {
    d.run.trace = plan.traces[plan.jobs[d.job]!.trace]!.name;
    addPoint(store, sweep, d.job, d.run, d.trace);
  },
});
await Deno.remove(tmp, { recursive: true });

await using dash = serveDashboard({ store, port: 0 });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  for (
    const [path, file, fullPage] of [
      ["", "runs.png", false],
      ["runs/1", "run.png", true],
      ["compare?a=1&b=2", "compare.png", true],
      [`sweeps/${sweep}`, "sweep.png", true],
    ] as const
  ) {
    await page.goto(dash.url + path);
    await page.screenshot({ path: new URL(file, dir).pathname, fullPage });
    console.log(`wrote docs/screenshots/${file}`);
  }
} finally {
  await browser.close();
}
