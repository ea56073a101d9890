import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import type { Event } from "./event.ts";
import { TraceError } from "./error.ts";
import { readTrace, readTraceBytes, validateTrace } from "./read.ts";
import { writeTrace } from "./write.ts";
import { TraceBuilder } from "./builder.ts";
import { reseal } from "./vmtb/_reseal.ts";

const te = new TextEncoder();

async function readAllBytes(bytes: Uint8Array, name: string): Promise<Event[]> {
  const r = await readTraceBytes(bytes, { name });
  const out: Event[] = [];
  for await (const ev of r.events()) out.push(ev);
  return out;
}

/** Asserts that reading `bytes` as `name` fails with exactly `message`. */
async function fails(bytes: Uint8Array | string, name: string, message: string): Promise<void> {
  const b = typeof bytes === "string" ? te.encode(bytes) : bytes;
  await rejects(readAllBytes(b, name), (e: unknown) => {
    ok(e instanceof TraceError, `expected a TraceError, got ${e}`);
    assertEquals(e.message, message);
    return true;
  });
}

const sample = new TraceBuilder({ mem: "8M" })
  .mmap(1, "0x7f0000000000", "1M", "rw-", "private,anon")
  .w(1, "0x7f0000000000").fork(1, 2).mark("after-fork").create(2, "file:/x", "4K").exit(2).exit(1);

async function encoded(ext: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await writeTrace(`${dir}/t${ext}`, sample.header(), sample.events());
    return await Deno.readFile(`${dir}/t${ext}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readTraceBytes() reports truncated gzip naming the file", async () => {
  for (const ext of [".vmt.gz", ".vmtb.gz", ".jsonl.gz", ".csv.gz"]) {
    const gz = await encoded(ext);
    await rejects(readAllBytes(gz.subarray(0, gz.length - 12), `cut${ext}`), (e: unknown) => {
      ok(e instanceof TraceError);
      ok(e.message.startsWith(`cut${ext}: Truncated or corrupt gzip data: `), e.message);
      return true;
    });
  }
  // the text after our prefix comes from the runtime's gzip decoder
  await rejects(
    readAllBytes(te.encode("not gzip at all"), "t.vmt.gz"),
    /^TraceError: t\.vmt\.gz: Truncated or corrupt gzip data: ./,
  );
});

Deno.test("readTraceBytes() reports a bad binary header", async () => {
  await fails(
    "vmtrace 1\n",
    "t.vmtb",
    "t.vmtb: Not a vmtb file: expected the magic bytes 'VMTB' (56 4d 54 42), found 76 6d 74 72",
  );
  await fails(
    "",
    "t.vmtb",
    "t.vmtb: Not a vmtb file: expected the magic bytes 'VMTB' (56 4d 54 42), found an empty file",
  );
  const good = await encoded(".vmtb");
  const v4 = good.slice();
  v4[4] = 4;
  await fails(
    v4,
    "t.vmtb",
    "t.vmtb: Unsupported vmtb version 4 (this reader knows versions 2 and 3)",
  );
});

Deno.test("readTraceBytes() reports a truncated or corrupt vmtb body", async () => {
  const good = await encoded(".vmtb");
  assertEquals((await readAllBytes(good, "t.vmtb")).length, 7);
  await fails(
    good.subarray(0, good.length - 2),
    "t.vmtb",
    "t.vmtb: Truncated vmtb file: it ends after 7 events without the end marker",
  );
  const bad = good.slice();
  bad[bad.length - 1] = 9; // the end marker's count
  await fails(
    bad,
    "t.vmtb",
    "t.vmtb: Corrupt vmtb file: the end marker counts 9 events, the file holds 7",
  );
  const extra = new Uint8Array([...good, 1]);
  await fails(extra, "t.vmtb", "t.vmtb: Corrupt vmtb file: data after the end marker");
});

Deno.test("readTraceBytes() reports JSON Lines errors with line and field column", async () => {
  await fails(
    '{"vmtrace":1}\n{"pid":1,"op":"w","addr":"0x1000"}\n{"pid":1,"op":"zap"}\n',
    "t.jsonl",
    `t.jsonl:3:10: Unknown op "zap" (expected one of mmap, munmap, mremap, mprotect, madvise, mlock, munlock, msync, fork, clone, exec, exit, r, w, x, create, read, write, truncate, unlink, fsync, swapon, swapoff, reclaim, mark)`,
  );
  await fails(
    '{"pid":0,"op":"w","addr":1}\n',
    "t.jsonl",
    "t.jsonl:1:2: Field 'pid' of 'w': PID 0 is not allowed: process ids start at 1",
  );
  await fails(
    '{"pid":1,"op":"munmap","addr":1}\n',
    "t.jsonl",
    "t.jsonl:1:1: Missing field 'len' of 'munmap'",
  );
  await fails(
    '{"pid":1,"op":"w","addr":"0xq"}\n',
    "t.jsonl",
    `t.jsonl:1:19: Field 'addr' of 'w': expected an address, found "0xq"`,
  );
  await fails(
    '{"pid":1,"op":"exit","now":1}\n',
    "t.jsonl",
    "t.jsonl:1:22: Unexpected field 'now' in 'exit'",
  );
  await fails(
    '{"pid":1,"op":"create","object":"x:/a","size":1}\n',
    "t.jsonl",
    "t.jsonl:1:24: Field 'object' of 'create': Unknown object prefix in 'x:/a' (expected file:PATH, tmpfs:PATH or shm:KEY)",
  );
  await fails(
    '{"vmtrace":2}\n',
    "t.jsonl",
    "t.jsonl:1:2: Field 'vmtrace' of the header: unsupported vmtrace version (this reader knows version 1)",
  );
  await fails(
    '{"pid":1,\n',
    "t.jsonl",
    "t.jsonl:1:10: Bad JSON: Expected double-quoted property name in JSON at position 9 (line 1 column 10)",
  );
});

Deno.test("readTraceBytes() reports CSV errors with line and column", async () => {
  const head = "# vmtrace 1\npid,op,addr,len,prot,flags,object\n";
  assertEquals(
    (await readAllBytes(te.encode(head + '1,mmap,0x0,4K,rw-,"private,anon",\n'), "t.csv")).length,
    1,
  );
  await fails(
    head + "1,mmap,0x0,4K,rw-,anon,\n",
    "t.csv",
    "t.csv:3:19: Field 'flags' of 'mmap': Mapping flags need one of private or shared, found neither",
  );
  await fails(
    head + "0,w,0x1000,,,,\n",
    "t.csv",
    "t.csv:3:1: Field 'pid' of 'w': PID 0 is not allowed: process ids start at 1",
  );
  await fails(
    "pid,op,colour\n",
    "t.csv",
    "t.csv:1:8: Unknown CSV column 'colour' (expected columns among pid,op,addr,len,prot,flags,object,offset,newAddr,newLen,advice,child,size,name,prio,pages,label)",
  );
  await fails(
    "# vmtrace 3\npid,op\n",
    "t.csv",
    "t.csv:1:11: Unsupported vmtrace version '3' (this reader knows version 1)",
  );
  await fails(
    head + "1,w,0x1000\n",
    "t.csv",
    "t.csv:3:11: Expected 7 CSV fields as in the header row, found 3",
  );
  await fails(
    head + '1,mmap,0x0,4K,rw-,"private,\nanon",\n',
    "t.csv",
    "t.csv:3:19: Bad CSV: a quoted field spans lines (trace CSV has one event per line)",
  );
  await fails("pid,op\n1,w\n", "t.csv", "t.csv:2:4: Missing field 'addr' of 'w'");
});

Deno.test("readTrace() rejects an unknown extension and a missing file", async () => {
  await rejects(readTrace("trace.txt"), (e: unknown) => {
    ok(e instanceof TraceError);
    assertEquals(
      e.message,
      "trace.txt: Unknown trace file extension: expected .vmt, .jsonl, .csv or .vmtb, each optionally followed by .gz",
    );
    return true;
  });
  await rejects(readTrace("/nonexistent/x.vmt"), Deno.errors.NotFound);
});

Deno.test("validateTrace() counts events and reports the first error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.vmt`, sample.text());
    assertEquals(await validateTrace(`${dir}/a.vmt`), {
      header: { version: 1, mem: 8 << 20 },
      events: 7,
    });
    await Deno.writeTextFile(`${dir}/b.vmt`, sample.text() + "1 w\n");
    await rejects(validateTrace(`${dir}/b.vmt`), /b\.vmt:9:4: Missing argument ADDR of 'w'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceReader.batches() reuses one batch and gives line numbers", async () => {
  const r = await readTraceBytes(te.encode(sample.text()), { name: "s.vmt", batchSize: 2 });
  const seen = new Set();
  const lines: number[] = [];
  for await (const b of r.batches()) {
    seen.add(b);
    for (let i = 0; i < b.length; i++) lines.push(b.line[i]!);
  }
  assertEquals(seen.size, 1);
  assertEquals(lines, [2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("readTraceBytes() skips a UTF-8 byte order mark in every text form", async () => {
  const bom = "\ufeff";
  assertCount(await readAllBytes(te.encode(bom + sample.text()), "b.vmt"), 7);
  assertCount(
    await readAllBytes(te.encode(bom + '{"pid":1,"op":"w","addr":"0x1000"}\n'), "b.jsonl"),
    1,
  );
  assertCount(
    await readAllBytes(te.encode(bom + "pid,op,addr\n1,w,0x1000\n"), "b.csv"),
    1,
  );
});

Deno.test("readTraceBytes() says when gzip data lacks its .gz extension", async () => {
  for (const ext of [".vmt", ".vmtb"]) {
    const gz = await encoded(ext + ".gz");
    await rejects(
      readAllBytes(gz, `t${ext}`),
      /looks like gzip-compressed data; name the file with a \.gz extension/,
    );
  }
});

function assertCount(events: Event[], n: number): void {
  assertEquals(events.length, n);
}

Deno.test("readTraceBytes() rejects vmtb fields out of range", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTrace(`${dir}/m.vmtb`, { version: 1 }, [
      { pid: 1, op: "madvise", addr: 0x1000, len: 4096, advice: "pageout" },
    ]);
    const bytes = await Deno.readFile(`${dir}/m.vmtb`);
    // the advice byte, before the block's checksum, the end marker and the count
    assertEquals(bytes[bytes.length - 7], 1);
    bytes[bytes.length - 7] = 9;
    await fails(
      bytes,
      "m.vmtb",
      "m.vmtb:1: Corrupt vmtb file: the block of events 1 to 1 fails its checksum",
    );
    await fails(
      reseal(bytes),
      "m.vmtb",
      "m.vmtb:1: Corrupt vmtb file: event 1 ('madvise') is malformed",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
