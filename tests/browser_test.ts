/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core. Pages load
 * with no console errors, every chart canvas is drawn, the upload form replays a trace and lands
 * on its page, a bad trace shows its line and column, and at 1280 pixels no page of a realistic
 * store (long trace names, ties, several traces, a sweep) scrolls sideways or holds a box that
 * does.
 *
 * Chromium must be at /usr/bin/chromium (`apt-get install -y chromium`; `.ci/run` installs it).
 * Without it the tests fail when `CI` is set, and are skipped with a message otherwise
 * (`tests/_tools.ts`).
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import fs from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { openStore, saveRun } from "../analyze/store.ts";
import { serveDashboard } from "../server/serve.ts";
import { makeRunResult } from "./_run_result.ts";
import { seedSweep } from "./_sweep_store.ts";
import { COW_TRACE as TRACE } from "./_server.ts";
import { LONG_NAMES, type RealisticStore, seedRealisticStore } from "./_realistic_store.ts";
import { needs } from "./_tools.ts";

// playwright-core probes for WSL when it loads (existsSync of /proc/sys/fs/binfmt_misc/WSLInterop),
// a path Deno lets only --allow-all read; `deno task test` grants less. Not WSL: answer "absent".
const existsSync = fs.existsSync;
fs.existsSync = (p: fs.PathLike) =>
  String(p).startsWith("/proc/sys/fs/binfmt_misc/") ? false : existsSync(p);
const { chromium } = await import("playwright-core");
fs.existsSync = existsSync;

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The browser, a dashboard over a seeded store, and the errors each page logs. */
async function setup(opts: { sweep?: boolean; realistic?: boolean } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-browser-" });
  const store = openStore(`${dir}/runs.db`);
  const strategies = ["scan", "pte_chain", "anon_vma", "anon_vma_chain"];
  const phases = ["start", "after-fork", "<b>reclaim</b>"];
  saveRun(store, makeRunResult({ strategies, phases, samples: 40 }), {
    name: "first.vmt",
    size: 100,
    sha256: "ab".repeat(32),
  });
  saveRun(store, makeRunResult({ strategies, phases, samples: 40, bias: 30 }), {
    name: "second.vmt",
    size: 100,
    sha256: "cd".repeat(32),
  });
  if (opts.sweep) seedSweep(store, ["zygote.vmt", "<b>shared</b>.vmt"]);
  let realistic: RealisticStore | undefined;
  try {
    if (opts.realistic) realistic = await seedRealisticStore(store);
  } catch (e) {
    store.close();
    throw e;
  }
  const dash = serveDashboard({ store, port: 0 });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(`${dir}/profile`, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    await dash.close();
    store.close();
    throw e;
  }
  const errors: string[] = [];
  const page = context.pages()[0] ?? await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));

  return {
    page,
    url: dash.url,
    errors,
    realistic,
    async [Symbol.asyncDispose]() {
      await context.close();
      await dash.close();
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What the page function below uses of a canvas element. */
interface Canvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: "2d"): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

/** Colors the dashboard draws data in (strategies; runs A and B are blue and orange). */
const DATA_COLORS = ["#7f7f7f", "#d62728", "#2ca02c", "#1f77b4", "#ff7f0e"];

/**
 * Every canvas on the page, with the number of its pixels drawn in a data color: a chart with axes
 * but no bars or lines counts 0.
 */
async function canvases(page: Page): Promise<Record<string, number>> {
  return await page.evaluate((colors) => {
    const wanted = new Set(colors.map((c) => parseInt(c.slice(1), 16)));
    const out: Record<string, number> = {};
    // Runs in the page; typed here without the DOM library.
    const doc =
      (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Canvas> } })
        .document;
    for (const c of doc.querySelectorAll("canvas")) {
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          data[i + 3] === 255 && wanted.has((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!)
        ) n++;
      }
      out[c.id] = n;
    }
    return out;
  }, DATA_COLORS);
}

function assertDrawn(drawn: Record<string, number>, expected: string[]) {
  assertEquals(Object.keys(drawn).sort(), [...expected].sort());
  for (const [id, n] of Object.entries(drawn)) {
    ok(n > 50, `canvas ${id} shows no data (${n} pixels)`);
  }
}

const RUN_CANVASES = [
  "chart-ranking",
  "chart-counters",
  "chart-bytes",
  "chart-phases",
  ...["resident_pages", "free_frames", "swap_used", "swap_io", "faults", "pte_walks"].map((k) =>
    `chart-series-${k}`
  ),
];

Deno.test(needs(["chromium"], {
  name: "dashboard: the runs list, a run page and a comparison load and draw every chart",
  async fn() {
    await using b = await setup();
    await b.page.goto(b.url);
    match(await b.page.locator("h1").innerText(), /Runs/);
    assertEquals(await b.page.locator("table#runs tbody tr").count(), 2);

    await b.page.click("text=first.vmt");
    await b.page.waitForURL(/\/runs\/1$/);
    assertDrawn(await canvases(b.page), RUN_CANVASES);
    // Escaped mark label shows as text.
    match(await b.page.locator("#chart-phases").getAttribute("aria-label") ?? "", /phase/);
    ok((await b.page.locator("table.phase-table").first().innerText()).includes("<b>reclaim</b>"));
    // Log scales and another counter redraw without errors.
    await b.page.check("#log-counters");
    await b.page.selectOption("#phase-counter", "cow_copies");
    await b.page.check("#log-phases");
    assertEquals(
      await b.page.locator("table.phase-table:visible caption").innerText(),
      "cow_copies per phase",
    );
    assertDrawn(await canvases(b.page), RUN_CANVASES);

    await b.page.click("form.inline button[type=submit]");
    await b.page.waitForURL(/\/compare\?a=1&b=2$/);
    assertDrawn(await canvases(b.page), ["chart-cost", "chart-compare"]);
    await b.page.selectOption("#compare-counter", "minor_faults");
    await b.page.check("#log-compare");
    assertDrawn(await canvases(b.page), ["chart-cost", "chart-compare"]);
    assertEquals(b.errors, []);
  },
}));

Deno.test(needs(["chromium"], {
  name: "dashboard: a sweep's page draws a curve per trace, fits 1280 pixels, switches views",
  async fn() {
    await using b = await setup({ sweep: true });
    await b.page.goto(`${b.url}sweeps`);
    await b.page.click("text=zygote.vmt");
    await b.page.waitForURL(/\/sweeps\/1$/);
    match(await b.page.locator("h1").innerText(), /Sweep 1/);
    const charts = ["chart-sweep-0", "chart-sweep-1"];
    assertDrawn(await canvases(b.page), charts);
    assertEquals(
      await b.page.evaluate(() =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
          .document.documentElement.scrollWidth
      ),
      1280,
    );
    ok((await b.page.locator("h2").allInnerTexts()).includes("<b>shared</b>.vmt"));
    await b.page.selectOption("#sweep-counter", "pte_walks");
    await b.page.check("#sweep-relative");
    await b.page.check("#sweep-log");
    assertDrawn(await canvases(b.page), charts);
    assertEquals(
      await b.page.locator("table.sweep-table[data-trace='0']:visible caption").count(),
      0,
      "tables stay folded",
    );
    await b.page.click("section.sweep-trace >> nth=0 >> summary");
    assertEquals(
      await b.page.locator("table.sweep-table[data-trace='0']:visible caption").innerText(),
      "pte_walks by memory",
    );
    // Each size links to its run, whose page links back to the sweep.
    await b.page.click("table.sweep-table[data-trace='0']:visible >> text=2 MiB");
    await b.page.waitForURL(/\/runs\/\d+$/);
    await b.page.click("dl.meta >> text=sweep 1");
    await b.page.waitForURL(/\/sweeps\/1$/);
    assertEquals(b.errors, []);
  },
}));

Deno.test(needs(["chromium"], {
  name: "dashboard: the upload form replays a trace with progress and lands on its page",
  async fn() {
    await using b = await setup();
    await b.page.goto(`${b.url}upload`);
    await b.page.setInputFiles("#trace", {
      name: "cow.vmt",
      mimeType: "text/plain",
      buffer: Buffer.from(TRACE),
    });
    await b.page.fill("#mem", "2M");
    await b.page.click("#submit");
    // Either the run's page opens or the form shows an error; say which.
    await Promise.race([
      b.page.waitForURL(/\/runs\/3$/, { timeout: 120_000 }),
      b.page.locator("#error").waitFor({ state: "visible", timeout: 120_000 }).then(async () => {
        throw new Error(`The upload failed: ${await b.page.locator("#error").innerText()}`);
      }),
    ]);
    match(await b.page.locator("h1").innerText(), /Run 3: cow\.vmt/);
    match(await b.page.locator("dl.meta").innerText(), /memory 2 MiB/);
    assertDrawn(await canvases(b.page), RUN_CANVASES);
    assertEquals(b.errors, []);
  },
}));

Deno.test(needs(["chromium"], {
  name: "dashboard: the upload form shows a bad trace's line and column",
  async fn() {
    await using b = await setup();
    await b.page.goto(`${b.url}upload`);
    await b.page.setInputFiles("#trace", {
      name: "bad.vmt",
      mimeType: "text/plain",
      buffer: Buffer.from(TRACE.replace("1 w 0x11000", "1 w 0x11zz0")),
    });
    await b.page.click("#submit");
    const error = b.page.locator("#error");
    await error.waitFor({ state: "visible" });
    match(await error.innerText(), /^bad\.vmt:4:5: /);
    assertEquals(b.page.url(), `${b.url}upload`);
    // The 400 answer is the only error the browser logs.
    assertEquals(b.errors.length, 1);
    match(b.errors[0]!, /status of 400/);
  },
}));

Deno.test(needs(["chromium"], {
  name: "dashboard: a run is deleted from its page after a confirmation",
  async fn() {
    await using b = await setup();
    await b.page.goto(`${b.url}runs/2`);
    await b.page.click("text=Delete this run…");
    await b.page.waitForURL(/\/runs\/2\/delete$/);
    match(await b.page.locator("h1").innerText(), /Delete run 2\?/);
    await b.page.click("#confirm-delete");
    await b.page.waitForURL(/\/\?deleted=2$/);
    match(await b.page.locator("p.notice").innerText(), /Run 2 was deleted\./);
    assertEquals(await b.page.locator("table#runs tbody tr").count(), 1);
    assertEquals(b.errors, []);
  },
}));

/** What the layout check of a page found: its width, and every element wider than its box. */
interface Layout {
  scrollWidth: number;
  innerWidth: number;
  /** Elements whose content is wider than they are and that scroll or spill it (not cut). */
  overflowing: string[];
}

/** Opens every `<details>` (folded tables count too), then measures the page's layout. */
async function layout(page: Page): Promise<Layout> {
  return await page.evaluate(() => {
    // Runs in the page; typed here without the DOM library.
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    for (const d of g.document.querySelectorAll("details")) d.open = true;
    const overflowing: string[] = [];
    for (const el of g.document.querySelectorAll("body *")) {
      if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
      // Cut on purpose (an ellipsis, the whole text in the title) is not overflow.
      const x = g.getComputedStyle(el).overflowX;
      if (x === "hidden" || x === "clip") continue;
      overflowing.push(
        `<${el.tagName.toLowerCase()} id="${el.id}" class="${el.className}"> ` +
          `${el.scrollWidth} > ${el.clientWidth}: ${String(el.textContent).slice(0, 60)}`,
      );
    }
    return {
      scrollWidth: g.document.documentElement.scrollWidth,
      innerWidth: g.innerWidth,
      overflowing,
    };
  });
}

async function assertFits(page: Page, what: string) {
  const l = await layout(page);
  ok(l.scrollWidth <= l.innerWidth, `${what}: the page is ${l.scrollWidth} px wide`);
  assertEquals(l.overflowing, [], `${what}: elements wider than their box`);
}

/** The labels of a chart's datasets (its legend). */
async function legend(page: Page, canvas: string): Promise<string[]> {
  return await page.evaluate(
    // deno-lint-ignore no-explicit-any
    (id) => (globalThis as any).Chart.getChart(id).data.datasets.map((d: any) => d.label),
    canvas,
  );
}

Deno.test(needs(["chromium"], {
  name:
    "dashboard at 1280 px: realistic runs (long names, ties, several traces) never scroll sideways",
  async fn() {
    await using b = await setup({ realistic: true });
    const { runs, sweep } = b.realistic!;

    // The runs list: one line a run, long names cut with the whole name on hover.
    await b.page.goto(b.url);
    await assertFits(b.page, "runs list");
    const rows = b.page.locator("table#runs tbody tr");
    assertEquals(await rows.count(), 2 + 4 + 8);
    const heights = await rows.evaluateAll((trs) =>
      trs.map((tr) => (tr as unknown as { offsetHeight: number }).offsetHeight)
    );
    ok(Math.max(...heights) < 1.6 * Math.min(...heights), `rows of one line: ${heights}`);
    const name = b.page.locator(`table#runs a.trunc[href="/runs/${runs.pressure}"]`);
    assertEquals(await name.getAttribute("title"), LONG_NAMES[0]);
    ok(
      await name.evaluate((a) => {
        const el = a as unknown as { scrollWidth: number; clientWidth: number };
        return el.scrollWidth > el.clientWidth;
      }),
      "a long name is cut",
    );
    const row = (id: number) => b.page.locator(`table#runs tbody tr:has(a[href="/runs/${id}"])`);
    match(await row(runs.tied).innerText(), /\ball 7\b.*\ball 7 tied\b/s);
    match(await row(runs.subset).innerText(), /anon_vma, anon_vma_chain, anonmm|anon_vma,/);
    match(await row(runs.noPressure).innerText(), /1 GiB/);

    // Each run's page, every table unfolded.
    for (const [what, id] of Object.entries(runs)) {
      await b.page.goto(`${b.url}runs/${id}`);
      await assertFits(b.page, `run page (${what})`);
    }
    // Every strategy ties: one rank, one line in every time series, a note on the pressure.
    await b.page.goto(`${b.url}runs/${runs.tied}`);
    assertEquals(
      await b.page.locator("#table-ranking tbody td:first-child").allInnerTexts(),
      ["1", "1", "1", "1", "1", "1", "1"],
    );
    assertEquals(await legend(b.page, "chart-series-resident_pages"), [
      "7 strategies: same line",
    ]);
    match(
      await b.page.locator("#series p.same-lines").first().innerText(),
      /^Same line: scan, pte_chain, anon_inode, objtree, anonmm, anon_vma, anon_vma_chain\.$/,
    );
    match(await b.page.locator("#no-pressure").innerText(), /No strategy reclaimed a page/);
    // Each counter says what it counts on hover; the ratios table is there.
    match(
      await b.page.locator("#table-counters span.counter", { hasText: "rmap_wasted_visits" })
        .getAttribute("title") ?? "",
      /imprecision/,
    );
    ok(await b.page.locator("#table-ratios tr[data-ratio='faults_per_event']").count() === 1);
    // Under pressure: the strategies differ; zeros are written on the log-scale chart.
    await b.page.goto(`${b.url}runs/${runs.pressure}`);
    const labels = await legend(b.page, "chart-series-pte_walks");
    ok(labels.length > 1, `${labels}`);
    ok(
      await b.page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).Chart.getChart("chart-counters").config.plugins
          .some((p: { id: string }) => p.id === "vmrZeroLabels")
      ),
    );
    assertDrawn(await canvases(b.page), RUN_CANVASES);

    await b.page.goto(`${b.url}compare?a=${runs.pressure}&b=${runs.noPressure}`);
    await assertFits(b.page, "compare page");
    await b.page.goto(`${b.url}compare?a=${runs.tied}&b=${runs.subset}`);
    await assertFits(b.page, "compare page, no strategy in common");
    await b.page.goto(`${b.url}sweeps/${sweep}`);
    await assertFits(b.page, "sweep page");
    await b.page.check("#sweep-relative");
    await assertFits(b.page, "sweep page, relative");
    await b.page.goto(`${b.url}sweeps`);
    await assertFits(b.page, "sweeps list");
    assertEquals(b.errors, []);
  },
}));
