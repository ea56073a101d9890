import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { EventBatch } from "../batch.ts";
import { type Event, Op } from "../event.ts";
import { TraceError } from "../error.ts";
import { readTrace, readTraceBytes } from "../read.ts";
import { randomEvents } from "../builder.ts";
import { VmtbEncoder } from "./encoder.ts";
import { BLOCK_HAS_OFFSETS, REC_END, VMTB_BLOCK, VMTB_VERSION } from "./constants.ts";
import { VmtbDecoder } from "./decoder.ts";
import { bytesReader } from "../_io.ts";
import { Rng } from "../_rng.ts";
import { type BlockAt, reseal, vmtbBlocks } from "./_reseal.ts";

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
function firstBlock(bytes: Uint8Array): BlockAt {
  const b = vmtbBlocks(bytes).blocks[0];
  if (b === undefined) throw new Error("no block");
  return b;
}

Deno.test("vmtb version 3: every op round-trips whatever the batch size, across blocks", async () => {
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
    { pid: 2147483647, op: "w", addr: top, len: 2 ** 30 },
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
  await fails(flags, "t.vmtb:1: Corrupt vmtb file: the block of events 1 to 50 fails its checksum");
  await fails(
    reseal(flags),
    "t.vmtb:1: Corrupt vmtb file: the block of events 1 to 50 has bad flags 0x80",
  );
  const tag = bytes.slice();
  tag[start] = 7;
  await fails(tag, "t.vmtb:1: Corrupt vmtb file: bad block byte 0x7 after event 0");
  const op = bytes.slice();
  op[body + 1] = 30;
  await fails(
    reseal(op),
    /^t\.vmtb:1: Corrupt vmtb file: (bad op code 30 at event 1|event 1 .*has pid)/,
  );
  ok(bytes[bytes.length - 2] === REC_END);
});

Deno.test("vmtb: an access by pid 0 or a system event by a process is corrupt", async () => {
  const bytes = encode([{ pid: 1, op: "r", addr: 0x1000, len: 1 }]);
  const { body } = firstBlock(bytes);
  const zero = bytes.slice();
  assertEquals(zero[body + 3], 1); // runs: count 1, then pid 1
  zero[body + 3] = 0;
  await fails(reseal(zero), "t.vmtb:1: Corrupt vmtb file: event 1 ('r') has pid 0");
  const mark = encode([{ pid: 0, op: "mark", label: "a" }]);
  const m = firstBlock(mark);
  mark[m.body + 3] = 4;
  await fails(reseal(mark), "t.vmtb:1: Corrupt vmtb file: event 1 ('mark') has pid 4");
});

Deno.test("vmtb: a version 1 file is refused, saying why", async () => {
  const bytes = encode([{ pid: 1, op: "r", addr: 0x1000, len: 1 }]);
  bytes[4] = 1;
  await fails(
    bytes,
    "t.vmtb: Unsupported vmtb version 1 (this reader knows versions 2 and 3; version 1 was never " +
      "released: convert the trace again from its text)",
  );
});

Deno.test("vmtb: rows reused after rare events read the defaults in the rare columns", async () => {
  // a first block full of events that use page2, off2, n2, small and str, then a block of accesses
  const rare: Event[] = [
    { pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 2, object: "f", offset: 4096 },
    { pid: 1, op: "mremap", addr: 0x10000, len: 4096, newAddr: 0x20123, newLen: 8192 },
    { pid: 1, op: "mprotect", addr: 0x10000, len: 4096, prot: 5 },
    { pid: 1, op: "madvise", addr: 0x10000, len: 4096, advice: "willneed" },
    { pid: 1, op: "read", object: "g", offset: 4096, len: 100 },
    { pid: 0, op: "swapon", name: "s", size: 1 << 25, prio: 3 },
    { pid: 0, op: "mark", label: "m" },
  ];
  const events: Event[] = [];
  while (events.length < VMTB_BLOCK) events.push(rare[events.length % rare.length]!);
  for (let i = 0; i < VMTB_BLOCK; i++) events.push({ pid: 2, op: "r", addr: 0x5000, len: 1 });
  const bytes = encode(events);
  const check = (b: EventBatch, what: string) => {
    for (let i = 0; i < b.length; i++) {
      const row = [b.page2[i], b.off2[i], b.n2[i], b.small[i], b.str[i]].join();
      if (row !== "0,0,0,0,-1") throw new Error(`${what}: row ${i} holds ${row}`);
    }
  };
  for (const size of [VMTB_BLOCK, 1000]) {
    const d = new VmtbDecoder(bytesReader(bytes), "t.vmtb");
    await d.readHeader();
    const b = new EventBatch(size);
    let accesses = 0;
    while (await d.next(b)) {
      if (b.op[0] === Op.r) (check(b, `batch size ${size}`), accesses += b.length);
    }
    accesses += b.length;
    check(b, `last batch, size ${size}`);
    assertEquals(accesses, VMTB_BLOCK);
  }
  // another decoder, or a direct write that says so, reusing the batch: the same
  const b = new EventBatch(VMTB_BLOCK);
  const first = new VmtbDecoder(bytesReader(bytes), "t.vmtb");
  await first.readHeader();
  await first.next(b);
  assertEquals(b.small[2], 5);
  const second = new VmtbDecoder(bytesReader(encode(events.slice(VMTB_BLOCK))), "u.vmtb");
  await second.readHeader();
  await second.next(b);
  check(b, "second decoder");
  b.small[7] = 9;
  b.rareDirty = -1;
  const third = new VmtbDecoder(bytesReader(encode(events.slice(VMTB_BLOCK))), "v.vmtb");
  await third.readHeader();
  await third.next(b);
  check(b, "after a direct write");
  // and after the text parser or push filled it
  b.clear();
  b.push(rare[0]!);
  const fourth = new VmtbDecoder(bytesReader(encode(events.slice(VMTB_BLOCK))), "w.vmtb");
  await fourth.readHeader();
  await fourth.next(b);
  check(b, "after push");
});

Deno.test("vmtb: many processes, short pid runs and long jumps (varints of every width) round-trip", async () => {
  const pids = [1, 127, 128, 200, 16383, 16384, 65535, 65536, 70000, 2147483647];
  const events: Event[] = [];
  const rng = new Rng(1);
  const rand = () => rng.next();
  const last = new Map<number, number>();
  for (let i = 0; i < 3 * VMTB_BLOCK + 7; i++) {
    const pid = pids[Math.floor(rand() * pids.length)]!;
    const run = rand() < 0.7 ? 1 : Math.floor(rand() * 40);
    for (let j = 0; j < run; j++) {
      const jump = [0, 3, 200, 20000, 3_000_000, 2 ** 40][Math.floor(rand() * 6)]!;
      const page = Math.max(0, (last.get(pid) ?? 0) + (rand() < 0.5 ? jump : -jump)) % 2 ** 40;
      last.set(pid, page);
      const len = [1, 8, 254, 255, 300, 2 ** 30][Math.floor(rand() * 6)]!;
      const op = rand() < 0.5 ? "r" : "w";
      events.push({ pid, op, addr: page * 4096 + Math.floor(rand() * 4096), len });
    }
  }
  const bytes = encode(events);
  for (const size of [VMTB_BLOCK, 999]) {
    const got = await decode(bytes, size);
    assertEquals(got.length, events.length);
    // event by event, so that a failure shows one event rather than a diff of thousands
    for (let i = 0; i < got.length; i++) assertEquals(got[i], events[i], `event ${i + 1}`);
  }
});

Deno.test("vmtb: blocks split across the source's chunks are read whole, and a cut one is reported", async () => {
  const events = randomEvents(11, 3 * VMTB_BLOCK + 5);
  const bytes = encode(events);
  /** A source handing `bytes` out in chunks of `size` bytes, reusing one buffer as a file does. */
  const chunked = (bytes: Uint8Array, size: number) => {
    const buf = new Uint8Array(size);
    let at = 0;
    return {
      read: () => {
        if (at >= bytes.length) return Promise.resolve(null);
        const k = Math.min(size, bytes.length - at);
        buf.set(bytes.subarray(at, at + k));
        at += k;
        return Promise.resolve(buf.subarray(0, k));
      },
      close: () => Promise.resolve(),
    };
  };
  for (const size of [1, 777, 65536]) {
    const d = new VmtbDecoder(chunked(bytes, size), "t.vmtb");
    await d.readHeader();
    const b = new EventBatch(VMTB_BLOCK);
    const got: Event[] = [];
    let more = true;
    while (more) {
      more = await d.next(b);
      for (let i = 0; i < b.length; i++) {
        const ev = b.get(i);
        delete ev.line;
        got.push(ev);
      }
    }
    assertEquals(got.length, events.length, `chunks of ${size}`);
    for (let i = 0; i < got.length; i++) assertEquals(got[i], events[i], `chunks of ${size}`);
    const cut = new VmtbDecoder(chunked(bytes.subarray(0, bytes.length - 4), size), "t.vmtb");
    await cut.readHeader();
    await rejects(
      (async () => {
        while (await cut.next(b));
      })(),
      /^TraceError: t\.vmtb:12289: Truncated vmtb file: it ends inside the block of events 12289 to 12293$/,
    );
  }
});

Deno.test("vmtb: a page delta that takes an address below 0 is reported at its event, in long and short pid runs", async () => {
  const n = 20;
  const long: Event[] = [], short: Event[] = [];
  for (let i = 0; i < n; i++) {
    long.push({ pid: 1, op: "r", addr: 0, len: 1 });
    short.push({ pid: 1 + (i % 2), op: "r", addr: 0, len: 1 });
  }
  const a = encode(long);
  const la = firstBlock(a);
  const pagesA = la.body + 1 + n + 3; // flags, ops, runs: count 1, pid 1, length 20
  assertEquals(a[pagesA + 2], 0);
  a[pagesA + 2] = 1; // zigzag 1: a delta of -1
  await fails(reseal(a), "t.vmtb:3: Corrupt vmtb file: event 3 has an address out of range");
  const b = encode(short);
  const lb = firstBlock(b);
  const pagesB = lb.body + 1 + n + 1 + 2 * n; // 20 runs of one event
  assertEquals(b[pagesB + 4], 0);
  b[pagesB + 4] = 1;
  await fails(reseal(b), "t.vmtb:5: Corrupt vmtb file: event 5 has an address out of range");
});

Deno.test("vmtb: a file of several blocks reads whole through readTrace (read straight into the decoder's buffer)", async () => {
  const events = randomEvents(5, 5 * VMTB_BLOCK + 77);
  const path = await Deno.makeTempFile({ suffix: ".vmtb" });
  try {
    await Deno.writeFile(path, encode(events));
    const r = await readTrace(path, { batchSize: 3000 });
    const got: Event[] = [];
    for await (const ev of r.events()) {
      delete ev.line;
      got.push(ev);
    }
    assertEquals(got.length, events.length);
    for (let i = 0; i < got.length; i++) assertEquals(got[i], events[i], `event ${i + 1}`);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("vmtb: an in-page offset above 4095 is corrupt, in blocks of an odd or even size", async () => {
  for (const n of [5, 6]) {
    const events: Event[] = [];
    for (let i = 0; i < n; i++) events.push({ pid: 1, op: "r", addr: 0x1000 + 8 * i, len: 1 });
    const bytes = encode(events);
    const { body } = firstBlock(bytes);
    assertEquals(bytes[body]! & BLOCK_HAS_OFFSETS, BLOCK_HAS_OFFSETS);
    const offsets = body + 1 + n + 3 + n + 1; // flags, ops, runs (1, pid 1, n), pages, no escapes
    assertEquals([bytes[offsets + 2 * (n - 1)], bytes[offsets + 2 * n - 1]], [8 * (n - 1), 0]);
    await decode(bytes, 4096); // intact
    const bad = bytes.slice();
    bad[offsets + 2 * n - 1] = 0x10; // the last offset becomes 4096 + 8 (n - 1)
    await fails(
      reseal(bad),
      `t.vmtb:1: Corrupt vmtb file: the block of events 1 to ${n} has an in-page offset above 4095`,
    );
  }
});

Deno.test("vmtb: an escaped value at a byte that is not the escape is corrupt", async () => {
  const bytes = encode([
    { pid: 1, op: "r", addr: 0x1000, len: 1 },
    { pid: 1, op: "r", addr: 0x7f0000000000, len: 1 },
  ]);
  const { body } = firstBlock(bytes);
  const pages = body + 1 + 2 + 3; // flags, ops, runs (1, pid 1, 2)
  assertEquals([bytes[pages], bytes[pages + 1]], [2, 255]);
  assertEquals(await decode(bytes, 4096), [
    { pid: 1, op: "r", addr: 0x1000, len: 1 },
    { pid: 1, op: "r", addr: 0x7f0000000000, len: 1 },
  ]);
  const bad = bytes.slice();
  bad[pages + 1] = 4;
  await fails(
    reseal(bad),
    "t.vmtb:1: Corrupt vmtb file: the block of events 1 to 2 has a bad escaped value in a byte column",
  );
});

Deno.test("vmtb: an op with fields of its own is found at any place among the accesses", async () => {
  const others: Event[] = [
    { pid: 1, op: "mmap", addr: 0x20000, len: 4096, prot: 3, flags: 5 },
    { pid: 1, op: "mprotect", addr: 0x10000, len: 4096, prot: 1 },
    { pid: 1, op: "munmap", addr: 0x30000, len: 4096 },
    { pid: 0, op: "mark", label: "m" },
    { pid: 1, op: "fork", child: 2 },
  ];
  for (const other of others) {
    for (let at = 0; at < 9; at++) {
      const events: Event[] = [];
      for (let i = 0; i < 9; i++) {
        events.push(
          i === at
            ? other
            : { pid: 1, op: (["r", "w", "x"] as const)[i % 3]!, addr: 0x10000, len: 1 },
        );
      }
      assertEquals(await decode(encode(events), 4096), events, `${other.op} at ${at}`);
    }
  }
});

Deno.test("vmtb: every single corrupt byte of a file is caught (its checksums), never read as events", async () => {
  const text = await Deno.readTextFile(new URL("../../fixtures/every_op.vmt", import.meta.url));
  const events: Event[] = [];
  const r0 = await readTraceBytes(new TextEncoder().encode(text), { name: "t.vmt" });
  for await (const ev of r0.events()) {
    delete ev.line;
    events.push(ev);
  }
  const bytes = encode(events);
  assertEquals(await decode(bytes, 4096), events);
  for (let i = 0; i < bytes.length; i++) {
    for (const flip of [0x01, 0x80, 0xff]) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ flip;
      await rejects(decode(bad, 4096), (e: unknown) => {
        ok(e instanceof TraceError, `byte ${i} ^ 0x${flip.toString(16)}: ${e}`);
        return true;
      }, `byte ${i} of ${bytes.length} ^ 0x${flip.toString(16)} went unnoticed`);
    }
  }
});

Deno.test("vmtb: a version 2 file (no checksums) still reads, with one warning", async () => {
  const v2 = new URL("../../fixtures/every_op.v2.vmtb", import.meta.url).pathname;
  const warnings: string[] = [];
  const r = await readTrace(v2, { onWarning: (m) => warnings.push(m) });
  const got: Event[] = [];
  for await (const ev of r.events()) {
    delete ev.line;
    got.push(ev);
  }
  assertEquals(warnings.length, 1);
  ok(warnings[0]!.startsWith(`${v2}: warning: a .vmtb file of version 2 has no checksums`));
  const text = await readTrace(new URL("../../fixtures/every_op.vmt", import.meta.url).pathname);
  const want: Event[] = [];
  for await (const ev of text.events()) {
    delete ev.line;
    want.push(ev);
  }
  assertEquals(got, want);
  assertEquals(r.header.mem, 16 << 20);
});
