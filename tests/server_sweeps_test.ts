/**
 * The dashboard's sweeps: `GET /api/sweeps`, `GET /api/sweeps/:id` (validated ids and paging:
 * 400; unknown: 404), the `/sweeps` list and a sweep's page, and the links to them.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { testApp } from "./_server.ts";
import { seedSweep, SWEEP_SIZES } from "./_sweep_store.ts";

Deno.test("GET /api/sweeps lists sweeps; /api/sweeps/:id gives its points", async () => {
  await using t = testApp();
  assertEquals(await (await t.app.request("/api/sweeps")).json(), { total: 0, sweeps: [] });
  const id = seedSweep(t.store);
  const list = await (await t.app.request("/api/sweeps?limit=10")).json();
  assertEquals(list.total, 1);
  assertEquals(list.sweeps[0].id, id);
  assertEquals(list.sweeps[0].points, 8);
  assertEquals(list.sweeps[0].sizes, SWEEP_SIZES);
  const one = await (await t.app.request(`/api/sweeps/${id}`)).json();
  assertEquals(one.complete, true);
  assertEquals(one.sweep.traces, ["a.vmt", "b.vmt"]);
  assertEquals(one.sweep.mem, SWEEP_SIZES);
  assertEquals(one.points.length, 8);
  ok(
    one.points.every((p: { results: Record<string, { counters: object }> }) =>
      Object.keys(p.results).join() === "scan,anon_vma,anon_vma_chain"
    ),
  );
});

Deno.test("GET /api/sweeps: bad ids and paging are 400, unknown ids 404", async () => {
  await using t = testApp();
  for (
    const path of [
      "/api/sweeps/0",
      "/api/sweeps/x",
      "/api/sweeps/-1",
      "/api/sweeps?limit=0",
      "/api/sweeps?limit=5000",
      "/api/sweeps?offset=x",
    ]
  ) {
    const res = await t.app.request(path);
    assertEquals(res.status, 400, path);
    match((await res.json()).error, /Sweep id|Query parameter/);
  }
  const res = await t.app.request("/api/sweeps/7");
  assertEquals(res.status, 404);
  assertEquals((await res.json()).error, "No sweep with id 7");
  assertEquals((await t.app.request("/sweeps/x")).status, 400);
  assertEquals((await t.app.request("/sweeps/7")).status, 404);
});

Deno.test("GET /sweeps and /sweeps/:id: the list, the charts, tables and links", async () => {
  await using t = testApp();
  match(await (await t.app.request("/sweeps")).text(), /No sweeps stored yet/);
  const id = seedSweep(t.store, ["a.vmt", `<img src=x onerror="alert(1)">.vmt`]);
  const list = await (await t.app.request("/sweeps")).text();
  match(list, new RegExp(`<a href="/sweeps/${id}">${id}</a>`));
  const page = await (await t.app.request(`/sweeps/${id}`)).text();
  match(page, /<canvas id="chart-sweep-0"/);
  match(page, /<canvas id="chart-sweep-1"/);
  match(page, /<select id="sweep-counter">/);
  match(page, /<input type="checkbox" id="sweep-relative"/);
  match(
    page,
    /<caption><span class="counter" title="Page faults that wait [^"]*">major_faults<\/span> by memory<\/caption>/,
  );
  match(page, /<a href="\/runs\/\d+">1 MiB<\/a>/);
  ok(!page.includes(`<img src=x`), "trace names are escaped");
  const runs = await (await t.app.request("/")).text();
  match(runs, new RegExp(`<a class="tag" href="/sweeps/${id}">sweep ${id}</a>`));
});
