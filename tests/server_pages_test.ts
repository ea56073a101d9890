import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { getRun, saveRun } from "../analyze/store.ts";
import { LIST_LIMIT } from "../server/pages.ts";
import { makeRunResult } from "./_run_result.ts";
import { testApp } from "./_server.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

const EVIL = `<img src=x onerror="alert(1)">&'`;

async function page(app: { request(path: string): Response | Promise<Response> }, path: string) {
  const res = await app.request(path);
  return { status: res.status, type: res.headers.get("content-type"), html: await res.text(), res };
}

Deno.test("GET / shows an empty store's hint, then the runs newest first", async () => {
  await using t = testApp();
  const empty = await page(t.app, "/");
  assertEquals(empty.status, 200);
  match(empty.html, /No runs stored yet/);
  const a = t.seed({}, "first.vmt");
  const b = t.seed({ strategies: ["scan", "anon_vma_chain"] }, "second.vmt");
  const { html } = await page(t.app, "/");
  ok(html.indexOf(`href="/runs/${b}"`) < html.indexOf(`href="/runs/${a}"`), "newest first");
  match(html, /first\.vmt/);
  match(html, /title="scan, anon_vma_chain">scan, anon_vma_chain</);
  // Memory and swap, short, exact on hover.
  match(
    html,
    /<td title="8,388,608 bytes">8 MiB<\/td>\s*<td title="33,554,432 bytes">32 MiB<\/td>/,
  );
  // Headline ranges: pte_walks across the three strategies of run a are 113, 213 and 313.
  match(html, /<td title="113 \(scan\) – 313">113–313<\/td>/);
  // The cost model's cheapest strategy: scan has the lowest counters in the built runs.
  match(
    html,
    /<span class="trunc" title="scan; the next, anon_vma, costs ×1\.92">scan <span class="note">×1\.92<\/span>/,
  );
  match(html, /Compare A with B/);
  // Every strategy: "all 7", not seven names.
  t.seed({ strategies: Object.keys(STRATEGIES) }, "every.vmt");
  match((await page(t.app, "/")).html, /<span class="trunc" title="all 7">all 7<\/span>/);
});

Deno.test("GET /runs/:id has every chart canvas and the numbers as tables", async () => {
  await using t = testApp();
  const id = t.seed({ phases: ["start", "after-fork", "reclaim"] });
  const { status, html, res } = await page(t.app, `/runs/${id}`);
  assertEquals(status, 200);
  for (
    const canvas of [
      "chart-ranking",
      "chart-counters",
      "chart-phases",
      "chart-series-resident_pages",
      "chart-series-free_frames",
      "chart-series-swap_used",
      "chart-series-swap_io",
      "chart-series-faults",
      "chart-series-pte_walks",
    ]
  ) match(html, new RegExp(`<canvas id="${canvas}"`));
  match(html, /id="table-counters"/);
  match(html, /id="table-ranking"/);
  match(
    html,
    /<caption><span class="counter" title="Page-table entries [^"]*">pte_walks<\/span> per phase<\/caption>/,
  );
  // Ratios per reclaimed page and per event, each with what it tells on hover.
  match(html, /id="table-ratios"/);
  match(html, /<th colspan="4">per reclaimed page<\/th>/);
  match(
    html,
    /data-ratio="faults_per_event"><th scope="row"><span class="counter" title="Page faults for each event/,
  );
  // Counts and bytes on charts of their own; each counter's description for the tooltips.
  match(html, /<canvas id="chart-bytes"/);
  const data = JSON.parse(
    /<script type="application\/json" id="run-data">(.*?)<\/script>/s.exec(html)![1]!,
  );
  assertEquals(data.byteCounters, ["rmap_meta_bytes_peak"]);
  ok(!data.keyCounters.includes("rmap_meta_bytes_peak"));
  match(data.descriptions.rmap_wasted_visits, /imprecision/);
  match(html, /3\. reclaim/);
  match(html, /<script src="\/assets\/chart.js"><\/script>/);
  match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
});

Deno.test("GET /runs/:id escapes trace names and mark labels everywhere", async () => {
  await using t = testApp();
  const id = t.seed({ trace: `dir/${EVIL}.vmt`, phases: ["start", `</script>${EVIL}`] }, EVIL);
  t.seed({}, "other.vmt");
  for (const path of [`/runs/${id}`, "/", `/compare?a=${id}&b=${id + 1}`]) {
    const { html } = await page(t.app, path);
    ok(!html.includes("<img"), `${path}: raw <img> in the page`);
    ok(!html.includes("</script><img"), `${path}: a label closed a script element`);
    ok(html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;"), path);
  }
  const { html } = await page(t.app, `/runs/${id}`);
  const data = /<script type="application\/json" id="run-data">(.*?)<\/script>/s.exec(html)![1]!;
  assertEquals(JSON.parse(data).phases.labels[1], `</script>${EVIL}`);
});

Deno.test("GET /runs/:id lists the trace's problems, escaped, once for all strategies", async () => {
  await using t = testApp();
  const result = makeRunResult({ strategies: ["scan", "anonmm"] });
  const d = { kind: "segv" as const, line: 12, message: `r 0x5000: no mapping ${EVIL}` };
  result.results.scan!.diagnostics = [d, { kind: "warning", line: 30, message: "oom" }];
  result.results.anonmm!.diagnostics = [d];
  const id = saveRun(t.store, result, { name: "p.vmt", size: 1, sha256: "00" });
  const { html } = await page(t.app, `/runs/${id}`);
  match(html, /id="table-diagnostics"/);
  ok(!html.includes("<img"), "raw <img> in the page");
  match(
    html,
    /<th scope="row">12<\/th>\s*<td class="text">segv<\/td>\s*<td class="text">r 0x5000: no mapping &lt;img/,
  );
  match(html, /<td class="text">oom<\/td>\s*<td class="text">scan<\/td>/);
  match(html, /&#39;<\/td>\s*<td class="text">all<\/td>/);
  const clean = t.seed({});
  ok(!(await page(t.app, `/runs/${clean}`)).html.includes("table-diagnostics"));
});

Deno.test("GET /runs/:id and / give equal cost estimates one rank", async () => {
  await using t = testApp();
  const result = makeRunResult({ strategies: ["scan", "anonmm", "objtree"] });
  result.results.scan!.counters = { ...result.results.objtree!.counters };
  result.results.anonmm!.counters = { ...result.results.objtree!.counters, pte_walks: 1e9 };
  const id = saveRun(t.store, result, { name: "tie.vmt", size: 1, sha256: "00" });
  const { html } = await page(t.app, `/runs/${id}`);
  const table = /<table class="num" id="table-ranking">(.*?)<\/table>/s.exec(html)![1]!;
  const rows = [...table.matchAll(/<td>(\d+)<\/td>\s*<th scope="row">(\w+)<\/th>/g)];
  assertEquals(rows.map((m) => `${m[1]} ${m[2]}`), ["1 objtree", "1 scan", "3 anonmm"]);
  match((await page(t.app, "/")).html, /title="2 tied: objtree, scan">2 tied: objtree, scan</);
  match(html, /Equal estimates share a rank: 2 strategies tie for first\./);
});

Deno.test("GET /runs/:id thins long time series tables and says so", async () => {
  await using t = testApp();
  const id = t.seed({ samples: 450, events: 4500 });
  const { html } = await page(t.app, `/runs/${id}`);
  match(
    html,
    /One sample in 3 of 450 shown \(and the last\); the\s+JSON export has them all\./,
  );
  // 151 rows a table (samples 0, 3, ..., 447 and the last, 449), six tables.
  const rows = html.match(/<tr><th scope="row">[\d,]+<\/th>/g) ?? [];
  assertEquals(rows.length, 6 * 151);
});

Deno.test("GET /runs/:id answers 404 for a missing run and 400 for a bad id", async () => {
  await using t = testApp();
  const missing = await page(t.app, "/runs/7");
  assertEquals(missing.status, 404);
  match(missing.html, /No run with id 7/);
  const bad = await page(t.app, "/runs/abc");
  assertEquals(bad.status, 400);
  match(bad.html, /Run id: expected a positive integer, found &#39;abc&#39;/);
});

Deno.test("GET /compare shows both runs' counters with the change", async () => {
  await using t = testApp();
  const a = t.seed({}, "a.vmt");
  const b = t.seed({ bias: 100, strategies: ["anon_vma", "anon_vma_chain", "pte_chain"] }, "b.vmt");
  const { status, html } = await page(t.app, `/compare?a=${a}&b=${b}`);
  assertEquals(status, 200);
  match(html, /Only in A: scan\. Only in B: pte_chain\./);
  match(html, /Same machine options\./);
  match(html, /<canvas id="chart-compare"/);
  match(html, /<canvas id="chart-cost"/);
  // anon_vma (index 1 in A, 0 in B): pte_walks 213 in A, 213 in B; anon_vma_chain 313 → 413.
  match(html, /<span>313<\/span> → <span>413<\/span> <span class="delta">\+31\.9%<\/span>/);
  const bad = await page(t.app, `/compare?a=${a}`);
  assertEquals(bad.status, 400);
  match(bad.html, /compare needs \?a=RUN&amp;b=RUN/);
  assertEquals((await page(t.app, `/compare?a=${a}&b=99`)).status, 404);
});

Deno.test("GET /upload offers every strategy and the size limit", async () => {
  await using t = testApp({
    uploadLimit: 2 ** 20,
    strategies: [{ name: "scan", origin: "Linux 2.4", idea: `no rmap ${EVIL}` }],
  });
  const { status, html } = await page(t.app, "/upload");
  assertEquals(status, 200);
  match(html, /name="strategies" value="scan" checked/);
  match(html, /1 MiB/);
  ok(!html.includes("<img"));
});

Deno.test("GET /assets/* serves Chart.js from node_modules and the page files", async () => {
  await using t = testApp();
  const chart = await t.app.request("/assets/chart.js");
  assertEquals(chart.status, 200);
  match(chart.headers.get("content-type")!, /javascript/);
  match(await chart.text(), /Chart\.js v4\./);
  for (const f of ["app.css", "common.js", "run.js", "compare.js", "upload.js"]) {
    const res = await t.app.request(`/assets/${f}`);
    assertEquals(res.status, 200, f);
    await res.body?.cancel();
  }
  const missing = await t.app.request("/assets/secret.ts");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  const traversal = await t.app.request("/assets/..%2Fapp.ts");
  assertEquals(traversal.status, 404);
  await traversal.body?.cancel();
});

Deno.test("GET / pages through more runs than a page holds, newest first", async () => {
  await using t = testApp();
  const ids: number[] = [];
  for (let i = 0; i < LIST_LIMIT + 3; i++) ids.push(t.seed({}, `t${i}.vmt`));
  const first = await page(t.app, "/");
  match(first.html, new RegExp(`${LIST_LIMIT + 3} runs stored, runs 1 to ${LIST_LIMIT} \\(newest`));
  match(first.html, /<a href="\/\?page=2" rel="next">older runs →<\/a>/);
  ok(
    first.html.includes(`href="/runs/${ids.at(-1)}"`) && !first.html.includes(`"/runs/${ids[2]}"`),
  );
  const second = await page(t.app, "/?page=2");
  assertEquals(second.status, 200);
  match(second.html, new RegExp(`runs ${LIST_LIMIT + 1} to ${LIST_LIMIT + 3} \\(newest`));
  for (const id of ids.slice(0, 3)) ok(second.html.includes(`href="/runs/${id}"`), `run ${id}`);
  match(second.html, /<a href="\/\?page=1" rel="prev">← newer runs<\/a>/);
  ok(!second.html.includes("older runs"));
  assertEquals((await page(t.app, "/?page=3")).status, 404);
  const bad = await page(t.app, "/?page=0");
  assertEquals(bad.status, 400);
  match(bad.html, /Query parameter &#39;page&#39;: expected a page number from 1/);
});

Deno.test("a run is deleted from its page: a link, a confirmation, a POST, the list says so", async () => {
  await using t = testApp();
  const keep = t.seed({}, "keep.vmt");
  const id = t.seed({}, "gone.vmt");
  const run = await page(t.app, `/runs/${id}`);
  match(run.html, new RegExp(`<a href="/runs/${id}/delete">Delete this run…</a>`));
  const ask = await page(t.app, `/runs/${id}/delete`);
  assertEquals(ask.status, 200);
  match(ask.html, new RegExp(`<form method="post" action="/runs/${id}/delete">`));
  match(ask.html, /gone\.vmt/);
  assertEquals(getRun(t.store, id) !== undefined, true, "asking deletes nothing");
  const res = await t.app.request(`/runs/${id}/delete`, {
    method: "POST",
    headers: { origin: "http://localhost" },
  });
  assertEquals(res.status, 303);
  assertEquals(res.headers.get("location"), `/?deleted=${id}`);
  assertEquals(getRun(t.store, id), undefined);
  const list = await page(t.app, `/?deleted=${id}`);
  match(list.html, new RegExp(`Run ${id} was deleted\\.`));
  ok(list.html.includes(`href="/runs/${keep}"`) && !list.html.includes(`href="/runs/${id}"`));
  // again: nothing left to delete; from another site: refused
  assertEquals((await t.app.request(`/runs/${id}/delete`, { method: "POST" })).status, 404);
  const cross = await t.app.request(`/runs/${keep}/delete`, {
    method: "POST",
    headers: { origin: "http://evil.example" },
  });
  assertEquals(cross.status, 403);
  const opaque = await t.app.request(`/runs/${keep}/delete`, {
    method: "POST",
    headers: { origin: "null" },
  });
  assertEquals(opaque.status, 403);
  assertEquals(getRun(t.store, keep) !== undefined, true);
});
