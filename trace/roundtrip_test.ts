import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import type { Event, TraceHeader } from "./event.ts";
import { randomEvents, TraceBuilder } from "./builder.ts";
import { readTrace } from "./read.ts";
import { writeTrace } from "./write.ts";

async function readAll(path: string): Promise<{ header: TraceHeader; events: Event[] }> {
  const r = await readTrace(path, { batchSize: 7 });
  const events: Event[] = [];
  for await (const ev of r.events()) {
    delete ev.line;
    events.push(ev);
  }
  return { header: r.header, events };
}

const CHAIN = [
  "a.vmt",
  "b.vmtb",
  "c.jsonl",
  "d.csv.gz",
  "e.vmt",
  "f.vmtb.gz",
  "g.csv",
  "h.jsonl.gz",
  "i.vmt.gz",
];

async function roundTrip(header: TraceHeader, events: Event[]): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    let prev = { header, events };
    await writeTrace(`${dir}/${CHAIN[0]}`, header, events);
    for (let k = 0; k < CHAIN.length; k++) {
      const cur = await readAll(`${dir}/${CHAIN[k]}`);
      assertEquals(cur.header, header, `header after ${CHAIN[k]}`);
      assertEquals(cur.events.length, events.length, `event count after ${CHAIN[k]}`);
      for (let i = 0; i < events.length; i++) {
        assertEquals(cur.events[i], events[i], `event ${i} after ${CHAIN[k]}`);
      }
      prev = cur;
      if (k + 1 < CHAIN.length) {
        await writeTrace(`${dir}/${CHAIN[k + 1]}`, prev.header, prev.events);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("round trip vmt → vmtb → jsonl → csv.gz → vmt → ... keeps random events", async () => {
  const header: TraceHeader = { version: 1, mem: 8 << 20, swap: 32 << 20, extra: { tool: "test" } };
  await roundTrip(header, randomEvents(1, 600));
  await roundTrip({ version: 1 }, randomEvents(2, 250));
});

Deno.test("round trip keeps a builder trace", async () => {
  const t = new TraceBuilder({ mem: "8M", swap: "32M", page: 4096 })
    .swapon("swap0", "32M")
    .mmap(1, "0x7f0000000000", "1M", "rw-", "private,anon")
    .w(1, "0x7f0000000000", 4096).fork(1, 2).w(2, "0x7f0000001000").mark("after-fork")
    .mremap(1, "0x7f0000000000", "1M", "0x7f1000000000", "2M").exit(2).exit(1);
  await roundTrip(t.header(), t.events());
});

Deno.test("readTrace() streams vmtb files larger than its buffer", async () => {
  const events = randomEvents(7, 250_000);
  const dir = await Deno.makeTempDir();
  try {
    for (const ext of [".vmtb", ".vmtb.gz"]) {
      await writeTrace(`${dir}/big${ext}`, { version: 1 }, events);
      if (ext === ".vmtb") ok((await Deno.stat(`${dir}/big${ext}`)).size > 3 << 19, "big enough");
      const r = await readTrace(`${dir}/big${ext}`, { batchSize: 5000 });
      let i = 0;
      for await (const b of r.batches()) {
        for (let k = 0; k < b.length; k++, i++) {
          if (i % 7 !== 0) continue; // a sample keeps the test fast; the rest is counted
          const { line: _, ...ev } = b.get(k);
          assertEquals(ev, events[i], `event ${i} of big${ext}`);
        }
      }
      assertEquals(i, events.length, ext);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTrace() streams text files larger than its 1 MiB reads", async () => {
  const lines = ["vmtrace 1"];
  for (let k = 0; k < 150_000; k++) {
    lines.push(`${1 + (k % 5)} w 0x${(0x7f0000000000 + k * 24).toString(16)} 8`);
  }
  const path = await Deno.makeTempFile({ suffix: ".vmt" });
  try {
    await Deno.writeTextFile(path, lines.join("\n"));
    const r = await readTrace(path, { batchSize: 4096 });
    let k = 0;
    for await (const b of r.batches()) {
      for (let i = 0; i < b.length; i++, k++) {
        const addr = 0x7f0000000000 + k * 24;
        if (
          b.page[i] !== Math.floor(addr / 4096) || b.off[i] !== addr % 4096 || b.line[i] !== k + 2
        ) {
          assertEquals(b.get(i), { pid: 1 + (k % 5), op: "w", addr, len: 8, line: k + 2 });
        }
      }
    }
    assertEquals(k, 150_000);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("writeTrace() refuses an event no form could carry and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [ev, msg] of [
        [{ pid: 0, op: "mark", label: "two words" }, "event 2: Bad label 'two words'"],
        [{ pid: 0, op: "w", addr: 1, len: 1 }, "event 2: PID 0 is not a process id"],
        [
          { pid: 1, op: "w", addr: 2n ** 57n, len: 1 },
          "event 2: ADDR 144115188075855872 is outside",
        ],
        [
          { pid: 1, op: "mmap", addr: 0, len: 1, prot: 3, flags: 1, offset: 0 },
          "OFFSET needs an OBJECT",
        ],
      ] as [Event, string][]
    ) {
      await rejects(
        writeTrace(`${dir}/x.vmt`, { version: 1 }, [{ pid: 1, op: "exit" }, ev]),
        (e: unknown) => e instanceof TypeError && e.message.includes(msg),
      );
    }
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
