/** An mmap OFFSET must be page-aligned in every form: readers report where, writers refuse it. */
import assert from "node:assert/strict";
import { EventBatch } from "./batch.ts";
import { readTraceBytes } from "./read.ts";
import { VmtbEncoder } from "./vmtb/encoder.ts";
import { writeTrace } from "./write.ts";
import type { Event } from "./event.ts";
import { MapFlag, Prot } from "./event.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const MESSAGE = "Expected a page-aligned mmap OFFSET (a multiple of 4096), found 100 (0x64)";

async function readAll(bytes: Uint8Array, name: string): Promise<number> {
  const r = await readTraceBytes(bytes, { name });
  let n = 0;
  try {
    for await (const b of r.batches()) n += b.length;
  } finally {
    await r.close();
  }
  return n;
}

function mmapEvent(offset: number): Event {
  return {
    pid: 1,
    op: "mmap",
    addr: 0x10000,
    len: 4096,
    prot: Prot.read | Prot.write,
    flags: MapFlag.shared,
    object: "file:/x",
    offset,
  };
}

Deno.test("text: an unaligned mmap OFFSET is FILE:LINE:COL at the offset", async () => {
  const text = "vmtrace 1\n1 r 0x1000\n1 mmap 0x10000 4096 rw- shared file:/x 100\n";
  await assert.rejects(readAll(enc(text), "t.vmt"), {
    name: "TraceError",
    message: `t.vmt:3:40: ${MESSAGE}`,
  });
  const ok = "vmtrace 1\n1 mmap 0x10001 4097 rw- shared file:/x 0x3000\n";
  assert.equal(await readAll(enc(ok), "t.vmt"), 1, "unaligned ADDR and LEN stay accepted");
});

Deno.test("JSONL: an unaligned mmap offset is FILE:LINE:COL at the field", async () => {
  const line = `{"pid":1,"op":"mmap","addr":"0x10000","len":4096,"prot":"rw-","flags":"shared",` +
    `"object":"file:/x","offset":100}`;
  await assert.rejects(readAll(enc(`{"vmtrace":1}\n${line}\n`), "t.jsonl"), (e: Error) => {
    assert.equal(e.name, "TraceError");
    assert.match(
      e.message,
      new RegExp(`^t\\.jsonl:2:${line.indexOf('"offset"') + 1}: .*page-aligned`),
    );
    return true;
  });
});

Deno.test("CSV: an unaligned mmap offset is FILE:LINE:COL at the cell", async () => {
  const text = "# vmtrace 1\npid,op,addr,len,prot,flags,object,offset\n" +
    "1,mmap,0x10000,4096,rw-,shared,file:/x,100\n";
  await assert.rejects(readAll(enc(text), "t.csv"), (e: Error) => {
    assert.equal(e.name, "TraceError");
    assert.match(e.message, /^t\.csv:3:40: .*page-aligned mmap OFFSET/);
    return true;
  });
});

Deno.test("vmtb: an unaligned mmap offset is FILE:EVENT (binary: no column)", async () => {
  const b = new EventBatch(4);
  b.push({ pid: 1, op: "w", addr: 0x1000, len: 1 });
  b.push(mmapEvent(100));
  const v = new VmtbEncoder({ version: 1 });
  for (let i = 0; i < b.length; i++) v.add(b, i);
  v.finish();
  await assert.rejects(readAll(v.take(), "t.vmtb"), {
    name: "TraceError",
    message: `t.vmtb:2: Event 2 ('mmap'): ${MESSAGE}`,
  });
});

Deno.test("writeTrace() refuses an unaligned mmap offset in every form", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["t.vmt", "t.jsonl", "t.csv", "t.vmtb"]) {
      await assert.rejects(writeTrace(`${dir}/${name}`, { version: 1 }, [mmapEvent(100)]), {
        name: "TypeError",
        message: `writeTrace: event 1: ${MESSAGE}`,
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
