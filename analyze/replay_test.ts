import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { replayBytes, replayTrace, resolveStrategies } from "./replay.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";
import { randomWorkload } from "../trace/gen/random.ts";
import { formatTraceText } from "../trace/text/stringify.ts";
import { writeTrace } from "../trace/write.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const TRACE = enc(
  "vmtrace 1 mem=1M\n1 mmap 0x10000 16K rw- private,anon\n1 w 0x10000 16384\n- mark b\n" +
    "1 fork 2\n2 w 0x10000\n1 r 0x11000\n",
);

Deno.test("resolveStrategies() expands all and rejects unknown names", () => {
  deepStrictEqual(resolveStrategies(["all"]), Object.keys(STRATEGIES));
  deepStrictEqual(resolveStrategies(undefined), Object.keys(STRATEGIES));
  throws(() => resolveStrategies(["anon_vma_chain", "bogus"]), /Unknown strategy 'bogus'/);
});

Deno.test("replayBytes() gives phases, series and machine options from the header", async () => {
  const run = await replayBytes(TRACE, "t.vmt", {
    strategies: ["anon_vma_chain"],
    seriesInterval: 2,
    verify: true,
  });
  deepStrictEqual(run.events, 6);
  deepStrictEqual(run.machine.mem, 1 << 20);
  const r = run.results.anon_vma_chain!;
  deepStrictEqual(r.phases.map((p) => [p.label, p.counters.events]), [["start", 2], ["b", 4]]);
  deepStrictEqual(r.series.at, [0, 2, 4, 6]);
  deepStrictEqual(r.series.faults, [0, 4, 4, 5]);
  deepStrictEqual(r.counters.verify_errors, 0);
  deepStrictEqual(r.verify, {});
});

Deno.test("replayBytes() rejects a malformed trace before replaying anything", async () => {
  let progress = 0;
  await rejects(
    replayBytes(enc("vmtrace 1\n1 w 0x1000\n1 w zz\n"), "bad.vmt", {
      onProgress: () => progress++,
    }),
    (e: Error) => e.name === "TraceError" && e.message.startsWith("bad.vmt:3:"),
  );
  deepStrictEqual(progress, 0);
});

Deno.test("replayBytes() passes a worker's error on, naming the strategy", async () => {
  await rejects(
    replayBytes(TRACE, "t.vmt", { strategies: ["anon_vma_chain"], tlbEntries: 0 }),
    /Replay of 'anon_vma_chain' failed: TLB entries/,
  );
});

Deno.test("replayBytes() stops when its signal aborts, before or while workers run", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await rejects(replayBytes(TRACE, "t.vmt", { signal: ac.signal }), /stop/);
  // Abort when the first strategy reports completion: the other is terminated.
  const late = new AbortController();
  await rejects(
    replayBytes(TRACE, "t.vmt", {
      strategies: ["anon_vma_chain", "scan"],
      signal: late.signal,
      onProgress: () => late.abort(new Error("late stop")),
    }),
    /late stop/,
  );
});

Deno.test("replayBytes() is deterministic for every strategy, but for elapsed_ms", async () => {
  const t = randomWorkload({ seed: 5, events: 1500, memPages: 48 });
  const bytes = enc(formatTraceText(t.header, t.events));
  const opts = { verify: true, seriesInterval: 100 };
  const strip = (run: unknown) => JSON.stringify(run, (k, v) => k === "elapsed_ms" ? 0 : v);
  const a = await replayBytes(bytes, "r.vmt", opts);
  const b = await replayBytes(bytes, "r.vmt", opts);
  deepStrictEqual(Object.keys(a.results), Object.keys(STRATEGIES));
  deepStrictEqual(strip(a), strip(b));
  for (const r of Object.values(a.results)) deepStrictEqual(r.counters.verify_errors, 0);
});

Deno.test("a .vmtb trace replays beside its validation, with the same results", async () => {
  const t = randomWorkload({ seed: 3, events: 3000, memPages: 48 });
  const path = await Deno.makeTempFile({ suffix: ".vmtb" });
  try {
    await writeTrace(path, t.header, t.events);
    const text = enc(formatTraceText(t.header, t.events));
    // diagnostics name source lines, which differ between the forms (text has a header line)
    const strip = (run: unknown) =>
      JSON.stringify(
        run,
        (k, v) => k === "elapsed_ms" || k === "trace" || k === "diagnostics" ? 0 : v,
      );
    const opts = { strategies: ["anon_vma_chain", "objtree"], verify: true };
    const fromText = await replayBytes(text, "r.vmt", opts);
    deepStrictEqual(fromText.events, 3000);
    deepStrictEqual(strip(await replayTrace({ trace: path, ...opts })), strip(fromText));
    const bytes = await Deno.readFile(path);
    deepStrictEqual(strip(await replayBytes(bytes, "r.vmtb", opts)), strip(fromText));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a .vmtb trace that fails validation gives its TraceError, not results", async () => {
  const t = randomWorkload({ seed: 4, events: 3000, memPages: 48 });
  const path = await Deno.makeTempFile({ suffix: ".vmtb" });
  try {
    await writeTrace(path, t.header, t.events);
    const bytes = await Deno.readFile(path);
    // The end marker counts one event more than the file holds: found only at the very end,
    // after the workers have replayed everything.
    bytes[bytes.length - 1]!++;
    await Deno.writeFile(path, bytes);
    const isCountError = (name: string) => (e: Error) =>
      e.name === "TraceError" &&
      e.message.startsWith(`${name}: Corrupt vmtb file: the end marker counts`);
    await rejects(replayTrace({ trace: path, strategies: ["anon_vma_chain"] }), isCountError(path));
    await rejects(replayBytes(bytes, "bad.vmtb", {}), isCountError("bad.vmtb"));
  } finally {
    await Deno.remove(path);
  }
});
