import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { vmtbBlocks } from "../trace/vmtb/_reseal.ts";
import { REC_BLOCK } from "../trace/vmtb/constants.ts";
import { BatchRing, RING_BATCH, RING_SLOTS } from "./batch_ring.ts";
import { replayTrace } from "./replay.ts";
import { replayStrategy } from "./replay_strategy.ts";
import { EventBatch } from "../trace/batch.ts";
import { readTrace, readTraceBytes } from "../trace/read.ts";
import { randomWorkload } from "../trace/gen/random.ts";
import { writeTrace } from "../trace/write.ts";

/** A text trace of `n` loads, pages 1..n, with a mark (a string) every 3 events. */
function loads(n: number): Uint8Array {
  let t = `vmtrace 1\n1 mmap 0x1000 ${n * 4}K r-- private,anon\n`;
  for (let i = 1; i <= n; i++) t += i % 3 === 0 ? `- mark m${i}\n` : `1 r 0x${i.toString(16)}000\n`;
  return new TextEncoder().encode(t);
}

Deno.test("BatchRing waits for every consumer to release a slot before reusing it", async () => {
  const reader = await readTraceBytes(loads(9), { name: "t.vmt", batchSize: 2 });
  const ring = new BatchRing(2, 2);
  const held: number[] = [];
  const got: string[] = [];
  let ended = 0;
  // one consumer releases at once, the other holds its slots until told
  ring.attach({ batch: (slot) => ring.release(slot), end: () => ended++ });
  ring.attach({
    batch: (slot, length, strings) => {
      const b = new EventBatch(2, ring.buffers[slot]);
      for (let i = 0; i < length; i++) {
        got.push(b.str[i]! >= 0 ? strings[b.str[i]!]! : String(b.page[i]));
      }
      held.push(slot);
    },
    end: () => ended++,
  });
  const feeding = ring.feed(reader);
  // both slots are soon held by the slow consumer: the feed stops there
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  deepStrictEqual(held.length, 2);
  deepStrictEqual(ended, 0);
  while (ended === 0) {
    const s = held.shift();
    if (s !== undefined) ring.release(s);
    await new Promise((r) => setTimeout(r, 1));
  }
  deepStrictEqual(await feeding, 10);
  deepStrictEqual(ended, 2);
  deepStrictEqual(got, ["1", "1", "2", "m3", "4", "5", "m6", "7", "8", "m9"]);
});

Deno.test("BatchRing: an abort while waiting for a slot rejects with its reason", async () => {
  const reader = await readTraceBytes(loads(9), { name: "t.vmt" });
  const ring = new BatchRing(1, 2);
  ring.attach({ batch: () => {}, end: () => {} }); // never releases
  const ac = new AbortController();
  const feeding = ring.feed(reader, ac.signal);
  setTimeout(() => ac.abort(new Error("stopped")), 5);
  await rejects(feeding, /stopped/);
  throws(() => new BatchRing(1, 1).release(0), /slot 0 is not in use/);
  throws(() => new BatchRing(0), /bad size/);
});

Deno.test("the runner's ring wraps around on a long trace, with the results of an inline replay", async () => {
  const events = RING_BATCH * RING_SLOTS + 20_000;
  const t = randomWorkload({ seed: 9, events, memPages: 256 });
  const path = await Deno.makeTempFile({ suffix: ".vmtb" });
  try {
    await writeTrace(path, t.header, t.events);
    const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
    deepStrictEqual(run.events, events);
    const reader = await readTrace(path);
    const inline = await replayStrategy(reader.batches(), {
      strategy: "anon_vma_chain",
      memPages: run.machine.mem / 4096,
      swapPages: run.machine.swap / 4096,
      totalEvents: events,
    });
    const strip = (r: unknown) => JSON.stringify(r, (k, v) => k === "elapsed_ms" ? 0 : v);
    deepStrictEqual(strip(run.results.anon_vma_chain), strip(inline));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a .vmtb trace corrupt in its middle stops the workers with its TraceError", async () => {
  const t = randomWorkload({ seed: 4, events: RING_BATCH * RING_SLOTS * 2, memPages: 256 });
  const path = await Deno.makeTempFile({ suffix: ".vmtb" });
  try {
    await writeTrace(path, t.header, t.events);
    const bytes = await Deno.readFile(path);
    // a bad block byte three quarters in (the workers have replayed much by then)
    const { blocks } = vmtbBlocks(bytes);
    const p = blocks.find((b) => b.start >= bytes.length * 0.75)!.start;
    deepStrictEqual(bytes[p], REC_BLOCK);
    bytes[p] = 0x07;
    await Deno.writeFile(path, bytes);
    await rejects(
      replayTrace({ trace: path, strategies: ["anon_vma_chain", "scan"] }),
      (e: Error) => e.name === "TraceError" && e.message.includes("bad block byte 0x7"),
    );
  } finally {
    await Deno.remove(path);
  }
});
