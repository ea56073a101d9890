import assert from "node:assert/strict";
import { main as serve, serveArgs } from "./serve.ts";
import { main as start } from "./start.ts";
import { DEFAULT_UPLOAD_INFLATE, DEFAULT_UPLOAD_LIMIT } from "../server/app.ts";
import { UsageError } from "./_errors.ts";
import { captured } from "../tests/_cli.ts";

Deno.test("serveArgs() takes defaults and checks port, upload and inflate limits", () => {
  assert.deepEqual(serveArgs({}), {
    port: 8000,
    host: "127.0.0.1",
    db: "./.vmreplay/runs.db",
    uploadLimit: DEFAULT_UPLOAD_LIMIT,
    maxInflate: DEFAULT_UPLOAD_INFLATE,
  });
  assert.deepEqual(
    serveArgs({ port: "0", host: "::1", db: "x.db", "upload-limit": "2M", "max-inflate": "64M" }),
    { port: 0, host: "::1", db: "x.db", uploadLimit: 2 * 2 ** 20, maxInflate: 64 * 2 ** 20 },
  );
  assert.throws(
    () => serveArgs({ "max-inflate": "0" }),
    /--max-inflate: expected a size above 0/,
  );
  assert.throws(() => serveArgs({ port: "http" }), UsageError);
  assert.throws(() => serveArgs({ port: "70000" }), /--port: expected a port number 0-65535/);
  assert.throws(() => serveArgs({ "upload-limit": "big" }), /--upload-limit: expected a size/);
  assert.throws(
    () => serveArgs({ "upload-limit": "0" }),
    /--upload-limit: expected a size above 0/,
  );
});

Deno.test("serve and start print help, and exit 2 on bad options", async () => {
  for (const main of [serve, start]) {
    const help = await captured(main, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: vmreplay (serve|start) \[--port 8000\]/);
    const bad = await captured(main, ["--port", "x"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--port: expected a port number 0-65535, found 'x'/);
    const extra = await captured(main, ["trace.vmt"]);
    assert.equal(extra.code, 2);
  }
});

Deno.test("serve and start on a busy port exit 1 naming the port and --port", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir();
  try {
    for (const main of [serve, start]) {
      const r = await captured(main, ["--port", String(port), "--db", `${dir}/runs.db`]);
      assert.equal(r.code, 1, r.err);
      assert.equal(
        r.err,
        `vmreplay: port ${port} on 127.0.0.1 is already in use (another vmreplay serve?); ` +
          `choose another with --port, e.g. --port ${port + 1}, or --port 0 for any free port`,
      );
    }
    // Both checked the port before opening the store (start: before replaying into it).
    assert.equal(await Deno.stat(`${dir}/runs.db`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
