import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { COW_TRACE as TRACE, testApp } from "./_server.ts";
import { makeRunResult } from "./_run_result.ts";
import { getRun } from "../analyze/store.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function json(res: Response | Promise<Response>): Promise<{ status: number; body: Json }> {
  const r = await res;
  return { status: r.status, body: await r.json() };
}

function upload(
  text: string | Uint8Array,
  name: string,
  fields: Record<string, string | string[]> = {},
): FormData {
  const form = new FormData();
  form.append("trace", new File([text as BlobPart], name));
  for (const [k, v] of Object.entries(fields)) {
    for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
  }
  return form;
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("GET /api/runs lists runs newest first with totals and ranking; pages", async () => {
  await using t = testApp();
  assertEquals(await json(t.app.request("/api/runs")), {
    status: 200,
    body: { total: 0, runs: [] },
  });
  const a = t.seed({}, "a.vmt");
  const b = t.seed({}, "b.vmt");
  const { status, body } = await json(t.app.request("/api/runs"));
  assertEquals(status, 200);
  assertEquals(body.total, 2);
  assertEquals(body.runs.map((r: Json) => r.id), [b, a]);
  assertEquals(body.runs[0].trace.name, "b.vmt");
  assertEquals(body.runs[0].totals.scan.pte_walks, 113);
  assertEquals(body.runs[0].ranking.length, 3);
  const page = await json(t.app.request("/api/runs?limit=1&offset=1"));
  assertEquals(page.body.runs.map((r: Json) => r.id), [a]);
});

Deno.test("GET /api/runs rejects a bad limit with 400 and a message", async () => {
  await using t = testApp();
  for (const q of ["limit=abc", "limit=0", "limit=5000", "offset=-1"]) {
    const { status, body } = await json(t.app.request(`/api/runs?${q}`));
    assertEquals(status, 400, q);
    match(body.error, /^Query parameter '(limit|offset)': /, q);
  }
});

Deno.test("GET /api/runs/:id gives the stored RunResult; 404 and 400 otherwise", async () => {
  await using t = testApp();
  const id = t.seed();
  const { status, body } = await json(t.app.request(`/api/runs/${id}`));
  assertEquals(status, 200);
  assertEquals(body.result, makeRunResult());
  assertEquals(body.ranking.map((r: Json) => r.strategy), ["scan", "anon_vma", "anon_vma_chain"]);
  assertEquals(await json(t.app.request("/api/runs/99")), {
    status: 404,
    body: { error: "No run with id 99" },
  });
  const bad = await json(t.app.request("/api/runs/1x"));
  assertEquals(bad.status, 400);
  assertEquals(bad.body.error, "Run id: expected a positive integer, found '1x'");
});

Deno.test("GET /api/runs/:id/export gives JSON and CSV files", async () => {
  await using t = testApp();
  const id = t.seed();
  const j = await t.app.request(`/api/runs/${id}/export?format=json`);
  assertEquals(j.status, 200);
  match(j.headers.get("content-disposition")!, /filename="vmreplay-run-1\.json"/);
  assertEquals(await j.json(), makeRunResult());
  const c = await t.app.request(`/api/runs/${id}/export?format=csv`);
  assertEquals(c.headers.get("content-type"), "text/csv; charset=utf-8");
  match(await c.text(), /^strategy,phase,elapsed_ms,events,/);
  const bad = await json(t.app.request(`/api/runs/${id}/export?format=xml`));
  assertEquals(bad.status, 400);
  match(bad.body.error, /expected json or csv, found 'xml'/);
  assertEquals((await json(t.app.request("/api/runs/5/export"))).status, 404);
});

Deno.test("DELETE /api/runs/:id deletes; a cross-origin request is refused", async () => {
  await using t = testApp();
  const id = t.seed();
  const cross = await json(t.app.request(`/api/runs/${id}`, {
    method: "DELETE",
    headers: { origin: "http://evil.example" },
  }));
  assertEquals(cross.status, 403);
  ok(getRun(t.store, id));
  const res = await t.app.request(`/api/runs/${id}`, { method: "DELETE" });
  assertEquals(res.status, 204);
  assertEquals(getRun(t.store, id), undefined);
  assertEquals((await json(t.app.request(`/api/runs/${id}`, { method: "DELETE" }))).status, 404);
});

Deno.test("GET /api/compare pairs every counter of the common strategies", async () => {
  await using t = testApp();
  const a = t.seed({}, "a.vmt");
  const b = t.seed({ strategies: ["anon_vma_chain", "pte_chain"], bias: 1 }, "b.vmt");
  const { status, body } = await json(t.app.request(`/api/compare?a=${a}&b=${b}`));
  assertEquals(status, 200);
  assertEquals(body.strategies, ["anon_vma_chain"]);
  assertEquals(body.only_a, ["scan", "anon_vma"]);
  assertEquals(body.only_b, ["pte_chain"]);
  assertEquals(body.counters.anon_vma_chain.pte_walks, { a: 313, b: 114 });
  assertEquals(body.ranking.b.length, 2);
  const missing = await json(t.app.request(`/api/compare?a=${a}`));
  assertEquals(missing.status, 400);
  match(missing.body.error, /Query parameter 'b'/);
  assertEquals((await json(t.app.request(`/api/compare?a=${a}&b=77`))).status, 404);
});

Deno.test("GET /api/strategies lists the registry with origin and idea", async () => {
  await using t = testApp();
  const { status, body } = await json(t.app.request("/api/strategies"));
  assertEquals(status, 200);
  assertEquals(body.strategies.map((s: Json) => s.name), Object.keys(STRATEGIES));
  ok(body.strategies.every((s: Json) => s.origin && s.idea));
});

Deno.test("POST /api/runs?wait=1 replays an upload, stores it and answers 201", async () => {
  await using t = testApp();
  const res = await json(t.app.request("/api/runs?wait=1", {
    method: "POST",
    body: upload(TRACE, "cow.vmt", { strategies: "anon_vma_chain", mem: "2M" }),
  }));
  assertEquals(res.status, 201, JSON.stringify(res.body));
  const run = getRun(t.store, res.body.run_id)!;
  assertEquals(run.trace.name, "cow.vmt");
  assertEquals(run.trace.size, new TextEncoder().encode(TRACE).length);
  assertEquals(run.strategies, ["anon_vma_chain"]);
  assertEquals(run.machine.mem, 2 * 2 ** 20);
  assertEquals(run.trace.events, 9);
  const c = run.totals.anon_vma_chain!;
  assertEquals([c.minor_faults, c.cow_copies], [3, 1]);
  assertEquals(res.body.url, `/runs/${run.id}`);
});

Deno.test("POST /api/runs queues a gzipped upload (202) whose job reports progress", async () => {
  await using t = testApp();
  const strategies = Object.keys(STRATEGIES).slice(0, 2);
  const res = await json(t.app.request("/api/runs", {
    method: "POST",
    body: upload(await gzip(TRACE), "cow.vmt.gz", { strategies: strategies.join(",") }),
  }));
  assertEquals(res.status, 202, JSON.stringify(res.body));
  assertEquals(res.body.status_url, `/api/jobs/${res.body.job.id}`);
  await t.jobs.wait(res.body.job.id);
  const job = await json(t.app.request(res.body.status_url));
  assertEquals(job.body.state, "done", JSON.stringify(job.body));
  assertEquals(Object.keys(job.body.progress).sort(), [...strategies].sort());
  for (const p of Object.values(job.body.progress) as Json[]) {
    assertEquals(p, { events: 9, total: 9 });
  }
  assertEquals(getRun(t.store, job.body.run_id)?.strategies, strategies);
  assertEquals((await json(t.app.request("/api/jobs/nope"))).status, 404);
});

Deno.test("POST /api/runs answers 400 with LINE:COLUMN for a bad trace", async () => {
  await using t = testApp();
  const bad = TRACE.replace("1 w 0x11000", "1 w 0x11zz0");
  const { status, body } = await json(t.app.request("/api/runs", {
    method: "POST",
    body: upload(bad, "bad.vmt"),
  }));
  assertEquals(status, 400);
  match(body.error, /^bad\.vmt:4:5: /);
  assertEquals([body.line, body.column], [4, 5]);
  assertEquals((await json(t.app.request("/api/runs"))).body.total, 0);
});

Deno.test("POST /api/runs: a garbage upload's error is printable, with no position it lacks", async () => {
  await using t = testApp();
  const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0x1b, 0x5b, 0x32, 0x4a]);
  const cases: [Uint8Array, string, Json][] = [
    [
      new Uint8Array([...elf, ...new Array(5000).fill(0x41)]),
      "a.out.vmt",
      { line: 1, column: 1, starts: "a.out.vmt:1:1: Missing header" },
    ],
    [new Uint8Array([1, 2, 3, 4, 5]), "junk.vmt.gz", { starts: "junk.vmt.gz: " }],
    [new Uint8Array([1, 2, 3, 4, 5]), "junk.vmtb", { starts: "junk.vmtb: Not a vmtb file" }],
    [new TextEncoder().encode("\x00\x01{\u202egarbage\n"), "junk.jsonl", { line: 1, column: 1 }],
  ];
  for (const [bytes, name, expected] of cases) {
    const { status, body } = await json(t.app.request("/api/runs", {
      method: "POST",
      body: upload(bytes, name),
    }));
    assertEquals(status, 400);
    const text = body.error as string;
    // deno-lint-ignore no-control-regex -- none may remain
    ok(!/[\x00-\x1f\x7f-\x9f\u2028-\u202e]/.test(text), JSON.stringify(text));
    ok(text.length <= 600, `${text.length} characters`);
    if (expected.starts) ok(text.startsWith(expected.starts), text);
    assertEquals([body.line, body.column], [expected.line, expected.column], name);
    assertEquals(Object.keys(body).sort(), expected.line ? ["column", "error", "line"] : ["error"]);
  }
  match(
    (await json(t.app.request("/api/runs", { method: "POST", body: upload(elf, "e.vmt") }))).body
      .error,
    /found '\\x7fELF\\x02\\x01\\x01\\x00\\x1b\[2J'/,
  );
});

Deno.test("POST /api/runs: the job lists the strategies it runs, all when none are named", async () => {
  await using t = testApp();
  const all = await json(
    t.app.request("/api/runs", { method: "POST", body: upload(TRACE, "a.vmt") }),
  );
  assertEquals(all.status, 202);
  assertEquals(all.body.job.strategies, Object.keys(STRATEGIES));
  const done = await t.jobs.wait(all.body.job.id);
  assertEquals(done?.strategies, Object.keys(STRATEGIES));
  const two = await json(t.app.request("/api/runs", {
    method: "POST",
    body: upload(TRACE, "b.vmt", { strategies: "anon_vma,scan" }),
  }));
  assertEquals(two.body.job.strategies, ["anon_vma", "scan"]);
  await t.jobs.wait(two.body.job.id);
});

Deno.test("POST /api/runs answers 400 for bad parameters", async () => {
  await using t = testApp();
  const cases: [FormData, RegExp][] = [
    [
      upload(TRACE, "t.vmt", { strategies: "nosuch" }),
      /^Field 'strategies.0': unknown strategy 'nosuch'; expected one of /,
    ],
    [
      upload(TRACE, "t.vmt", { mem: "lots" }),
      /^Field 'mem': expected a size like 64M, 1G or 4096, found 'lots'/,
    ],
    [upload(TRACE, "t.vmt", { swap: "-1" }), /^Field 'swap': /],
    [new FormData(), /^Field 'trace': expected a trace file in the form field 'trace'/],
  ];
  for (const [form, expected] of cases) {
    const { status, body } = await json(t.app.request("/api/runs", { method: "POST", body: form }));
    assertEquals(status, 400);
    match(body.error, expected);
  }
  const notForm = await json(t.app.request("/api/runs", { method: "POST", body: "hello" }));
  assertEquals(notForm.status, 400);
});

Deno.test("POST /api/runs answers 413 beyond the upload limit", async () => {
  await using t = testApp({ uploadLimit: 1024 });
  const { status, body } = await json(t.app.request("/api/runs", {
    method: "POST",
    body: upload(TRACE + "# padding\n".repeat(200), "big.vmt"),
  }));
  assertEquals(status, 413);
  assertEquals(body.error, "Upload too large: at most 1 KiB (serve --upload-limit)");
});

Deno.test("Unknown API routes answer 404 in JSON", async () => {
  await using t = testApp();
  const { status, body } = await json(t.app.request("/api/nothing"));
  assertEquals(status, 404);
  assertEquals(body.error, "No API route GET /api/nothing");
});

Deno.test("createApp({ allowedHosts }) refuses other Host headers (DNS rebinding)", async () => {
  await using t = testApp({ allowedHosts: ["127.0.0.1", "localhost", "[::1]"] });
  for (const host of ["127.0.0.1:8000", "localhost", "[::1]:8000"]) {
    const ok = await t.app.request("/api/runs", { headers: { host } });
    assertEquals(ok.status, 200, host);
    await ok.body?.cancel();
  }
  const res = await t.app.request("/api/runs", { headers: { host: "evil.example:8000" } });
  assertEquals(res.status, 403);
  assertEquals(await res.text(), "Host 'evil.example:8000' is not served here");
});
