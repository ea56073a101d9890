/**
 * Hostile requests to the dashboard's API (issue #14): gzip bombs, out-of-range sizes and headers,
 * numbers beyond what a JavaScript number holds exactly. Each gets a 4xx answer with a message,
 * never a 500, the upload never stays on disk, and the app keeps serving.
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { testApp } from "./_server.ts";
import { getRun } from "../analyze/store.ts";
import { createTemp } from "../trace/tempfiles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function json(res: Response | Promise<Response>): Promise<{ status: number; body: Json }> {
  const r = await res;
  return { status: r.status, body: await r.json() };
}

function post(body: FormData, query = ""): Request {
  return new Request(`http://127.0.0.1/api/runs${query}`, { method: "POST", body });
}

function form(bytes: BlobPart, name: string, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.append("trace", new File([bytes], name));
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

async function gzipRepeated(chunk: string, times: number): Promise<Uint8Array> {
  const cs = new CompressionStream("gzip");
  const w = cs.writable.getWriter();
  const out = new Response(cs.readable).bytes();
  const bytes = new TextEncoder().encode(chunk);
  for (let i = 0; i < times; i++) await w.write(bytes);
  await w.close();
  return await out;
}

const TRACE = "vmtrace 1 mem=1M\n1 mmap 0x10000 16K rw- private,anon\n1 w 0x10000\n1 exit\n";

async function withUploads(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
    // Whatever happened, no upload stays behind.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a gzip bomb upload gets 413, leaves nothing on disk, and the app keeps serving", async () => {
  await withUploads(async (dir) => {
    await using t = testApp({ uploadDir: dir, maxInflate: 8 * 2 ** 20 });
    const bomb = await gzipRepeated("\n".repeat(1 << 20), 64); // 64 KiB inflating to 64 MiB
    for (const name of ["bomb.vmt.gz", "bomb.jsonl.gz", "bomb.csv.gz"]) {
      const r = await json(t.app.fetch(post(form(bomb as BlobPart, name), "?wait=1")));
      assertEquals(r.status, 413, JSON.stringify(r.body));
      match(r.body.error, /Decompressed data larger than the limit of 8M .*serve --max-inflate/);
    }
    const ok201 = await json(t.app.fetch(post(form(TRACE, "t.vmt"), "?wait=1")));
    assertEquals(ok201.status, 201, JSON.stringify(ok201.body));
    assertEquals(getRun(t.store, ok201.body.run_id)?.trace.name, "t.vmt");
  });
});

Deno.test("out-of-range headers, events and fields get 400 with their position", async () => {
  await withUploads(async (dir) => {
    await using t = testApp({ uploadDir: dir });
    for (
      const [text, name, fields, message] of [
        ["vmtrace 1 mem=4095\n1 exit\n", "t.vmt", {}, /^t\.vmt:1:11: Memory mem=4095/],
        ["vmtrace 1 mem=8192G\n1 exit\n", "t.vmt", {}, /^t\.vmt:1:11: Memory mem=8T/],
        ['{"vmtrace":1,"mem":7}\n', "t.jsonl", {}, /^t\.jsonl:1:14: Field 'mem'/],
        ["vmtrace 1\n1 write file:/x 0 128G\n", "t.vmt", {}, /^t\.vmt:2:19: LEN 128G/],
        ["vmtrace 1 zero_page=7\n1 exit\n", "t.vmt", {}, /^t\.vmt: Header zero_page=7/],
        [TRACE, "t.vmt", { mem: "9999999T" }, /^Field 'mem': expected 64K \(16 pages\) to 4T/],
        [TRACE, "t.vmt", { swap: "65536G" }, /^Field 'swap': expected at most 4T, found 64T/],
        [TRACE, "t.exe", {}, /Unknown trace file extension/],
      ] as const
    ) {
      const r = await json(t.app.fetch(post(form(text, name, fields), "?wait=1")));
      assertEquals(r.status, 400, `${text} ${JSON.stringify(r.body)}`);
      match(r.body.error, message);
    }
  });
});

Deno.test("a trace that declares 64G of memory replays as small as any (one upload, every strategy)", async () => {
  await withUploads(async (dir) => {
    await using t = testApp({ uploadDir: dir });
    const before = Deno.memoryUsage().rss;
    const r = await json(
      t.app.fetch(post(form(TRACE.replace("mem=1M", "mem=64G"), "m.vmt"), "?wait=1")),
    );
    assertEquals(r.status, 201, JSON.stringify(r.body));
    ok(Deno.memoryUsage().rss - before < 200 * 2 ** 20);
  });
});

Deno.test("ids and paging numbers beyond 2^53 - 1 get 400, never 500 or another run", async () => {
  await using t = testApp();
  const id = t.seed();
  for (
    const [path, message] of [
      [
        "/api/runs?offset=99999999999999999999",
        /^Query parameter 'offset': expected a whole number up to 9007199254740991/,
      ],
      ["/api/runs?limit=99999999999999999999", /^Query parameter 'limit': /],
      [
        "/api/runs/9999999999999999",
        /^Run id: expected a positive integer up to 9007199254740991, found '9999999999999999'/,
      ],
      ["/api/runs/9999999999999999/export?format=csv", /^Run id: /],
      [`/api/compare?a=${id}&b=99999999999999999999`, /^Query parameter 'b': /],
    ] as const
  ) {
    const r = await json(t.app.request(path));
    assertEquals(r.status, 400, path);
    match(r.body.error, message, path);
  }
  const del = await json(t.app.request("/api/runs/10000000000000001", { method: "DELETE" }));
  assertEquals(del.status, 400);
  assertEquals((await json(t.app.request("/api/runs?offset=9007199254740991"))).status, 200);
  assertEquals((await json(t.app.request(`/api/runs/${id}`))).status, 200);
});

Deno.test("a multipart body cut short or without a boundary is 400, and its file is removed", async () => {
  await withUploads(async (dir) => {
    await using t = testApp({ uploadDir: dir });
    const whole = new Request("http://x/", { method: "POST", body: form(TRACE, "t.vmt") });
    const type = whole.headers.get("content-type")!;
    const full = new Uint8Array(await whole.arrayBuffer());
    const cut = await json(t.app.request("/api/runs", {
      method: "POST",
      body: full.subarray(0, full.length - 30),
      headers: { "content-type": type },
    }));
    assertEquals(cut.status, 400);
    match(cut.body.error, /ends in the middle of a part/);
    const none = await json(t.app.request("/api/runs", {
      method: "POST",
      body: "x",
      headers: { "content-type": "multipart/form-data" },
    }));
    assertEquals(none.status, 400);
  });
});

Deno.test("uploads left by a dashboard that died are removed when the app starts", async () => {
  await withUploads(async (dir) => {
    // A file nobody holds (its writer died), and one a writer holds (locked while in progress).
    const dead = `${dir}/.upload-1.vmt.2147483646.1700000000000.tmp`;
    await Deno.writeTextFile(dead, "half an upload");
    const mine = await createTemp(`${dir}/upload-1.vmt`);
    await Deno.writeTextFile(mine.tmp, "in progress");
    await using _t = testApp({ uploadDir: dir });
    // Polled for up to 10 s: a loaded machine makes the test slower, not red.
    for (let i = 0; i < 1000 && await Deno.stat(dead).then(() => true, () => false); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`), [mine.tmp]);
    await Deno.remove(mine.tmp);
    mine.release();
  });
});
