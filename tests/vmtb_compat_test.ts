/**
 * Compatibility with `.vmtb` files written by an earlier vmreplay: `fixtures/every_op.v2.vmtb`
 * was written by the encoder of vmtb version 2 from `fixtures/every_op.vmt` and is never
 * rewritten. Today's reader must read every event of it as the text says, whatever the encoder
 * writes now; a newer format gets a fixture of its own beside this one.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { replayTrace } from "../analyze/replay.ts";
import type { Event } from "../trace/event.ts";
import { readTrace } from "../trace/read.ts";

const DIR = new URL("../fixtures/", import.meta.url).pathname;
const VMTB = `${DIR}every_op.v2.vmtb`, TEXT = `${DIR}every_op.vmt`;

/** The header and the events of `path`, read in batches of `batchSize` (lines dropped). */
async function read(path: string, batchSize = 4096) {
  const r = await readTrace(path, { batchSize, onWarning: () => {} });
  const events: Event[] = [];
  for await (const b of r.batches()) {
    for (let i = 0; i < b.length; i++) {
      const e = b.get(i);
      delete e.line;
      events.push(e);
    }
  }
  return { header: r.header, events };
}

Deno.test("vmtb compatibility: the version 2 fixture is the file it was (not regenerated)", async () => {
  const bytes = await Deno.readFile(VMTB);
  // "VMTB", version 2: a file written before the format's next version.
  deepStrictEqual([...bytes.subarray(0, 5)], [0x56, 0x4d, 0x54, 0x42, 2]);
  const sha = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  equal(
    Array.from(sha, (x) => x.toString(16).padStart(2, "0")).join(""),
    "82c02a58616d5e38a8a2ed67c97c93fc69e971366b6236901360b19fecc00d6e",
    "fixtures/every_op.v2.vmtb must stay as an earlier version wrote it: add a new fixture " +
      "for a new format instead of converting this one again",
  );
});

Deno.test("vmtb compatibility: every event of the version 2 file reads as its text says", async () => {
  const text = await read(TEXT);
  equal(text.events.length, 50);
  for (const batchSize of [4096, 7, 1]) {
    const bin = await read(VMTB, batchSize);
    deepStrictEqual(bin.header, text.header, `header, batches of ${batchSize}`);
    for (let i = 0; i < text.events.length; i++) {
      deepStrictEqual(bin.events[i], text.events[i], `event ${i + 1}, batches of ${batchSize}`);
    }
    equal(bin.events.length, text.events.length);
  }
});

Deno.test("vmtb compatibility: the version 2 file replays as its text does", async () => {
  const opts = { strategies: ["anon_vma_chain", "anonmm"], verify: true, check: true };
  const [bin, text] = [
    await replayTrace({ trace: VMTB, ...opts }),
    await replayTrace({ trace: TEXT, ...opts }),
  ];
  for (const s of opts.strategies) {
    const [b, t] = [bin.results[s]!, text.results[s]!];
    deepStrictEqual(b.counters, t.counters, s);
    deepStrictEqual(b.phases, t.phases, s);
    equal(b.counters.verify_errors, 0, s);
    equal(b.counters.check_errors, 0, s);
  }
});
