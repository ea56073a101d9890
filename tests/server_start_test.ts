import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { getRun, listRuns, openStore } from "../analyze/store.ts";
import { traceInfoOfFile } from "../analyze/trace_info.ts";
import { BUNDLED_WORKLOADS, bundledTraces, replayBundled } from "../server/bundled.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";

Deno.test("bundledTraces() lists every fixture, then the generated workloads", async () => {
  const names = (await bundledTraces()).map((t) => t.name);
  const fixtures: string[] = [];
  for await (const e of Deno.readDir(new URL("../fixtures/", import.meta.url))) {
    if (e.isFile && e.name.endsWith(".vmt")) fixtures.push(`fixtures/${e.name}`);
  }
  assert.deepEqual(names, [...fixtures.sort(), ...BUNDLED_WORKLOADS.map((w) => `gen ${w}`)]);
});

Deno.test("replayBundled() stores a fixture and a generated workload, every strategy each", async () => {
  const all = await bundledTraces();
  const traces = [all.find((t) => t.name === "fixtures/fork_cow.vmt")!, all.at(-1)!];
  using store = openStore(":memory:");
  const lines: string[] = [];
  const ids = await replayBundled(store, { traces, report: (l) => lines.push(l) });
  assert.equal(ids.length, 2);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^ {2}fixtures\/fork_cow\.vmt: \d+ events, \d+ strategies, \d+ ms$/);
  const fixture = getRun(store, ids[0]!)!;
  const path = fileURLToPath(new URL("../fixtures/fork_cow.vmt", import.meta.url));
  assert.deepEqual(
    { name: fixture.trace.name, size: fixture.trace.size, sha256: fixture.trace.sha256 },
    await traceInfoOfFile(path),
  );
  assert.deepEqual(fixture.strategies, Object.keys(STRATEGIES));
  const generated = getRun(store, ids[1]!)!;
  assert.equal(generated.trace.name, `${BUNDLED_WORKLOADS.at(-1)}.vmt`);
  assert.ok(generated.trace.events > 0);
  assert.equal(listRuns(store).length, 2);
});
