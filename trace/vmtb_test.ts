import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { EventBatch } from "./batch.ts";
import type { Event } from "./event.ts";
import { TraceError } from "./error.ts";
import { readTraceBytes } from "./read.ts";
import { randomEvents } from "./testing.ts";
import {
  BLOCK_HAS_OFFSETS,
  REC_BLOCK,
  REC_END,
  VMTB_BLOCK,
  VMTB_VERSION,
  VmtbEncoder,
} from "./vmtb_write.ts";

/** Encodes `events` (header `vmtrace 1`) to `.vmtb` bytes. */
function encode(events: Event[]): Uint8Array {
  const e = new VmtbEncoder({ version: 1 });
  const b = new EventBatch(1);
  for (const ev of events) {
    b.clear();
    b.push(ev);
    e.add(b, 0);
  }
  e.finish();
  return e.take();
}

async function decode(bytes: Uint8Array, batchSize: number): Promise<Event[]> {
  const r = await readTraceBytes(bytes, { name: "t.vmtb", batchSize });
  const out: Event[] = [];
  for await (const ev of r.events()) {
    delete ev.line;
    out.push(ev);
  }
  return out;
}

async function fails(bytes: Uint8Array, message: string | RegExp): Promise<void> {
  await rejects(decode(bytes, 4096), (e: unknown) => {
    ok(e instanceof TraceError, `expected a TraceError, got ${e}`);
    if (typeof message === "string") assertEquals(e.message, message);
    else ok(message.test(e.message), e.message);
    return true;
  });
}

/** Where the body of the first block starts, and its event count and size. */
function firstBlock(
  bytes: Uint8Array,
): { start: number; n: number; size: number; body: number } {
  let p = 5;
  const varint = () => {
    let v = 0, mult = 1, b;
    do {
      b = bytes[p++]!;
      v += (b & 127) * mult;
      mult *= 128;
    } while (b >= 128);
    return v;
  };
  const headerLength = varint();
  p += headerLength; // the header text
  const start = p;
  if (bytes[p++] !== REC_BLOCK) throw new Error("no block");
  const n = varint();
  const size = varint();
  return { start, n, size, body: p };
}

Deno.test("vmtb version 2: every op round-trips whatever the batch size, across blocks", async () => {
  const events = randomEvents(7, 3 * VMTB_BLOCK + 123);
  const bytes = encode(events);
  assertEquals(bytes[4], VMTB_VERSION);
  for (const size of [1, 5, VMTB_BLOCK, 3 * VMTB_BLOCK, 10000]) {
    assertEquals(await decode(bytes, size), events, `batch size ${size}`);
  }
});

Deno.test("vmtb: a block holds at most 4096 events; all-0 offsets and all-1 lengths take no room; large deltas are escaped", async () => {
  const events: Event[] = [];
  for (let i = 0; i < VMTB_BLOCK + 1; i++) {
    events.push({ pid: 1 + (i >> 10), op: "r", addr: 0x7f0000000000 + (i % 3) * 4096, len: 1 });
  }
  const bytes = encode(events);
  const { n, size, body } = firstBlock(bytes);
  assertEquals(n, VMTB_BLOCK);
  assertEquals(bytes[body]! & BLOCK_HAS_OFFSETS, 0);
  // flags, ops, 4 pid runs of 3 bytes after their count, a byte of page delta per event, and
  // each process's first delta (from page 0) escaped: a count, gaps 0 and 3 × 1023, 6-byte values
  assertEquals(size, 1 + n + 1 + 4 * 3 + n + 1 + (1 + 3 * 2) + 4 * 6);
  assertEquals(await decode(bytes, 100), events);
});

Deno.test("vmtb: addresses just below 2^57 and large pids stay exact", async () => {
  const top = (1n << 57n) - 1n;
  const events: Event[] = [
    { pid: 2147483647, op: "w", addr: top, len: 2 ** 53 - 1 },
    { pid: 2147483647, op: "r", addr: 0, len: 0 },
    { pid: 5, op: "mremap", addr: top - 4095n, len: 4096, newAddr: 0x1001, newLen: 8192 },
    { pid: 5, op: "x", addr: top - 7n, len: 300 },
  ];
  assertEquals(await decode(encode(events), 3), events);
});

Deno.test("vmtb: a cut or damaged block is reported with the events it held", async () => {
  const events = randomEvents(3, 50);
  const bytes = encode(events);
  const { start, n, size, body } = firstBlock(bytes);
  assertEquals(n, 50);
  await fails(
    bytes.subarray(0, body + size - 1),
    "t.vmtb:1: Truncated vmtb file: it ends inside the block of events 1 to 50",
  );
  const flags = bytes.slice();
  flags[body] = 0x80;
  await fails(flags, "t.vmtb:1: Corrupt vmtb file: the block of events 1 to 50 has bad flags 0x80");
  const tag = bytes.slice();
  tag[start] = 7;
  await fails(tag, "t.vmtb:1: Corrupt vmtb file: bad block byte 0x7 after event 0");
  const op = bytes.slice();
  op[body + 1] = 30;
  await fails(op, /^t\.vmtb:1: Corrupt vmtb file: (bad op code 30 at event 1|event 1 .*has pid)/);
  ok(bytes[bytes.length - 2] === REC_END);
});

Deno.test("vmtb: an access by pid 0 or a system event by a process is corrupt", async () => {
  const bytes = encode([{ pid: 1, op: "r", addr: 0x1000, len: 1 }]);
  const { body } = firstBlock(bytes);
  const zero = bytes.slice();
  assertEquals(zero[body + 3], 1); // runs: count 1, then pid 1
  zero[body + 3] = 0;
  await fails(zero, "t.vmtb:1: Corrupt vmtb file: event 1 ('r') has pid 0");
  const mark = encode([{ pid: 0, op: "mark", label: "a" }]);
  const m = firstBlock(mark);
  mark[m.body + 3] = 4;
  await fails(mark, "t.vmtb:1: Corrupt vmtb file: event 1 ('mark') has pid 4");
});

Deno.test("vmtb: a version 1 file is refused, saying why", async () => {
  const bytes = encode([{ pid: 1, op: "r", addr: 0x1000, len: 1 }]);
  bytes[4] = 1;
  await fails(
    bytes,
    "t.vmtb: Unsupported vmtb version 1 (this reader knows version 2; version 1 was never " +
      "released: convert the trace again from its text)",
  );
});
