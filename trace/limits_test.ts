/**
 * The ranges of `uapi/limits.ts` in every form: an out-of-range header or event is a malformed trace
 * with its position, whatever the form, and the writers refuse to produce one.
 */
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { EventBatch } from "./batch.ts";
import type { Event, TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";
import { readTraceBytes } from "./read.ts";
import { VmtbEncoder } from "./vmtb/encoder.ts";
import { writeTrace } from "./write.ts";
import { eventProblem } from "./check.ts";

const te = new TextEncoder();

async function readAll(bytes: Uint8Array | string, name: string): Promise<number> {
  const r = await readTraceBytes(typeof bytes === "string" ? te.encode(bytes) : bytes, { name });
  let n = 0;
  for await (const b of r.batches()) n += b.length;
  return n;
}

async function fails(bytes: Uint8Array | string, name: string, message: string | RegExp) {
  await rejects(readAll(bytes, name), (e: unknown) => {
    ok(e instanceof TraceError, `expected a TraceError, got ${e}`);
    if (typeof message === "string") deepStrictEqual(e.message, message);
    else ok(message.test(e.message), e.message);
    return true;
  });
}

function vmtb(header: TraceHeader, events: Event[]): Uint8Array {
  const enc = new VmtbEncoder(header);
  const b = new EventBatch(16);
  for (const ev of events) b.push(ev);
  for (let i = 0; i < b.length; i++) enc.add(b, i);
  enc.finish();
  return enc.take();
}

Deno.test("header mem= and swap= out of range are errors at their column in every form", async () => {
  for (
    const [hdr, col, msg] of [
      ["mem=4095", 11, "Memory mem=4095 is out of range: from 4K (one page) to 4T"],
      ["mem=0", 11, "Memory mem=0 is out of range: from 4K (one page) to 4T"],
      ["mem=8192G", 11, "Memory mem=8T is out of range: from 4K (one page) to 4T"],
      ["swap=4097G", 11, "Swap swap=4097G is out of range: at most 4T"],
    ] as const
  ) {
    await fails(`vmtrace 1 ${hdr}\n1 exit\n`, "t.vmt", `t.vmt:1:${col}: ${msg}`);
    await fails(`# vmtrace 1 ${hdr}\npid,op\n1,exit\n`, "t.csv", `t.csv:1:${col + 2}: ${msg}`);
  }
  await fails(
    '{"vmtrace":1,"mem":7}\n{"pid":1,"op":"exit"}\n',
    "t.jsonl",
    "t.jsonl:1:14: Field 'mem' of the header: Memory mem=7 is out of range: from 4K (one page) to 4T",
  );
  // The bounds themselves are fine.
  deepStrictEqual(await readAll("vmtrace 1 mem=4K swap=4096G\n1 exit\n", "t.vmt"), 1);
  deepStrictEqual(await readAll("vmtrace 1 mem=4096G swap=0\n1 exit\n", "t.vmt"), 1);
});

Deno.test("a .vmtb header out of range is refused too", async () => {
  // The encoder writes the header line as given; the decoder checks it.
  const bytes = vmtb({ version: 1, mem: 7 }, [{ pid: 1, op: "exit" }]);
  await fails(bytes, "t.vmtb", /^t\.vmtb.*Memory mem=7 is out of range/);
});

Deno.test("one read/write of more than MAX_RW_COUNT, and swapon above 4T, are malformed events", async () => {
  await fails(
    "vmtrace 1\n1 write file:/big 0 128G\n",
    "t.vmt",
    "t.vmt:2:21: LEN 128G of one read/write is out of range: at most 2147479552 (0x7ffff000, " +
      "what one read(2) or write(2) moves on Linux); split it",
  );
  await fails(
    "vmtrace 1\n1 read file:/big 0x1fffffffffff00 4096\n",
    "t.vmt",
    /t\.vmt:2:18: OFFSET\+LEN/,
  );
  await fails("vmtrace 1\n- swapon big 65536G\n", "t.vmt", /^t\.vmt:2:14: Swap device SIZE 64T/);
  await fails(
    '{"pid":1,"op":"write","object":"file:/big","offset":0,"len":"128G"}\n',
    "t.jsonl",
    /^t\.jsonl:1:55: Field 'len' of 'write': LEN 128G/,
  );
  await fails(
    "pid,op,object,offset,len\n1,write,file:/big,0,137438953472\n",
    "t.csv",
    /^t\.csv:2:21: Field 'len' of 'write': LEN 128G/,
  );
  await fails(
    vmtb({ version: 1 }, [{ pid: 1, op: "write", object: "file:/big", offset: 0, len: 2 ** 37 }]),
    "t.vmtb",
    /^t\.vmtb:1: Event 1 \('write'\): LEN 128G/,
  );
  await fails(
    vmtb({ version: 1 }, [{ pid: 0, op: "swapon", name: "big", size: 2 ** 46 }]),
    "t.vmtb",
    /^t\.vmtb:1: Event 1 \('swapon'\): Swap device SIZE 64T/,
  );
  // Just below: fine.
  deepStrictEqual(await readAll("vmtrace 1\n1 write file:/big 0 0x7ffff000\n", "t.vmt"), 1);
  deepStrictEqual(await readAll("vmtrace 1\n- swapon big 4096G\n", "t.vmt"), 1);
});

Deno.test("one access of more than 1 GiB is a malformed event in every form", async () => {
  await fails(
    "vmtrace 1\n1 r 0x7f0000000000 128G\n",
    "t.vmt",
    /^t\.vmt:2:20: LEN 128G of one access/,
  );
  await fails("vmtrace 1\n1 w 0x10000 0x40000001\n", "t.vmt", /^t\.vmt:2:13: LEN 1073741825 /);
  await fails(
    '{"pid":1,"op":"r","addr":"0x10000","len":"2G"}\n',
    "t.jsonl",
    /^t\.jsonl:1:36: Field 'len' of 'r': LEN 2G of one access/,
  );
  await fails("pid,op,addr,len\n1,x,0x10000,4294967296\n", "t.csv", /^t\.csv:2:13: Field 'len'/);
  await fails(
    vmtb({ version: 1 }, [{ pid: 1, op: "w", addr: 0x10000, len: 2 ** 37 }]),
    "t.vmtb",
    /^t\.vmtb:1: Event 1 \('w'\): LEN 128G of one access/,
  );
  // Other ops keep their lengths; 1 GiB itself is fine.
  deepStrictEqual(await readAll("vmtrace 1\n1 mmap 0x10000 128G rw- private,anon\n", "t.vmt"), 1);
  deepStrictEqual(await readAll("vmtrace 1\n1 r 0x10000 1G\n", "t.vmt"), 1);
  deepStrictEqual(
    await readAll(
      vmtb({ version: 1 }, [{ pid: 1, op: "munmap", addr: 0, len: 2 ** 40 }]),
      "t.vmtb",
    ),
    1,
  );
  ok(eventProblem({ pid: 1, op: "r", addr: 0, len: 2 ** 31 }));
});

Deno.test("writers refuse events out of range", async () => {
  ok(eventProblem({ pid: 1, op: "write", object: "file:/x", offset: 0, len: 2 ** 37 }));
  ok(eventProblem({ pid: 0, op: "swapon", name: "s", size: 2 ** 46 }));
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      writeTrace(`${dir}/t.vmt`, { version: 1 }, [
        { pid: 1, op: "write", object: "file:/x", offset: 0, len: 2 ** 37 },
      ]),
      /event 1: LEN 128G/,
    );
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
