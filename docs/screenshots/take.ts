/**
 * Retakes the README's dashboard screenshots: generates the aim7 workload (48 children, 128 pages),
 * replays it with the trace's memory and with 24 MiB into a temporary store, and photographs the
 * runs list, the first run's page and the comparison in headless Chromium.
 *
 *     deno run -A docs/screenshots/take.ts
 *
 * @module
 */
import { chromium } from "playwright-core";
import { openStore, saveRun } from "../../analyze/store.ts";
import { replayBytes } from "../../analyze/replay.ts";
import { traceInfoOfBytes } from "../../analyze/trace_info.ts";
import { generateWorkload } from "../../trace/gen/generate.ts";
import { formatTraceText } from "../../trace/text_write.ts";
import { serveDashboard } from "../../server/serve.ts";

const dir = new URL("./", import.meta.url);
const { header, events } = generateWorkload("aim7", { children: 48, pages: 128 });
const bytes = new TextEncoder().encode(formatTraceText(header, events));
const trace = await traceInfoOfBytes("aim7.vmt", bytes);
using store = openStore(":memory:");
saveRun(store, await replayBytes(bytes, "aim7.vmt"), trace);
saveRun(store, await replayBytes(bytes, "aim7.vmt", { mem: 24 * 2 ** 20 }), trace);

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
    ] as const
  ) {
    await page.goto(dash.url + path);
    await page.screenshot({ path: new URL(file, dir).pathname, fullPage });
    console.log(`wrote docs/screenshots/${file}`);
  }
} finally {
  await browser.close();
}
