import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import { EventBatch } from "../batch.ts";
import { TraceError } from "../error.ts";
import { MAX_LINE, TextParser } from "./parser.ts";
import { parseTraceText } from "./parse.ts";
import { Rng } from "../_rng.ts";

/** Asserts that parsing `text` fails with exactly `message` (`FILE:LINE:COL: reason`). */
function fails(text: string, message: string): void {
  throws(() => parseTraceText(text, "t.vmt"), (e: unknown) => {
    ok(e instanceof TraceError, `expected a TraceError, got ${e}`);
    assertEquals(e.message, message);
    return true;
  });
}

const H = "vmtrace 1\n";

Deno.test("parseTraceText() reads every number form", () => {
  const { events } = parseTraceText(
    H + "1 r 4096 8\n1 r 0x1000 0x10\n1 r 0X1AbC 2K\n1 mmap 0 1M rw- private,anon\n" +
      "1 munmap 0x0 3g\n1 w 0x1ffffffffffffff\n1 w 0x20000000000000 7\n1 w 9007199254740993\n",
  );
  assertEquals(events.map((e) => "addr" in e ? e.addr : null), [
    4096,
    4096,
    0x1abc,
    0,
    0,
    2n ** 57n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
  ]);
  assertEquals(events.map((e) => "len" in e ? e.len : null), [
    8,
    16,
    2048,
    2 ** 20,
    3 * 2 ** 30,
    1,
    7,
    1,
  ]);
});

Deno.test("parseTraceText() skips comments and blank lines, takes tabs and CRLF", () => {
  const { header, events } = parseTraceText(
    "# leading comment\n\n  vmtrace 1 mem=8M swap=32M page=4096 tool=lackey # c\r\n" +
      "\t1\tw\t0x1000 # store\r\n#only\n   \n- mark after-fork\n",
  );
  assertEquals(header, {
    version: 1,
    mem: 8 << 20,
    swap: 32 << 20,
    page: 4096,
    extra: { tool: "lackey" },
  });
  assertEquals(events, [
    { pid: 1, op: "w", addr: 4096, len: 1, line: 4 },
    { pid: 0, op: "mark", label: "after-fork", line: 7 },
  ]);
});

Deno.test("parseTraceText() reads every op", () => {
  const { events } = parseTraceText(
    H + [
      "1 mmap 0x10000 64K r-x shared file:/lib.so 8K",
      "1 mmap 0x20000 4K --- private,anon,populate,locked,growsdown,noreserve",
      "1 munmap 0x10000 4K",
      "1 mremap 0x10000 4K 0x30000 8K",
      "1 mprotect 0x10000 4K r--",
      "1 madvise 0x10000 4K dontneed",
      "1 mlock 0x10000 4K",
      "1 munlock 0x10000 4K",
      "1 msync 0x10000 4K",
      "1 fork 2",
      "2 clone 3",
      "3 exec",
      "3 exit",
      "1 r 0x10000",
      "1 w 0x10000 8",
      "1 x 0x10000 2",
      "1 create tmpfs:/dev/shm/a 1M",
      "1 read file:/x 0 4K",
      "1 write file:/x 4K 100",
      "1 truncate shm:7 0",
      "1 unlink shm:7",
      "1 fsync file:/x",
      "- swapon swap0 32M prio=-2",
      "- swapoff swap0",
      "- reclaim 100",
      "- mark end",
    ].join("\n"),
  );
  assertEquals(events.length, 26);
  assertEquals(events[0], {
    pid: 1,
    op: "mmap",
    addr: 0x10000,
    len: 65536,
    prot: 5,
    flags: 2,
    object: "file:/lib.so",
    offset: 8192,
    line: 2,
  });
  assertEquals(events[1]?.op === "mmap" && events[1].flags, 0x7d);
  assertEquals(events[22], {
    pid: 0,
    op: "swapon",
    name: "swap0",
    size: 32 << 20,
    prio: -2,
    line: 24,
  });
});

Deno.test("parseTraceText() reports a missing or wrong header", () => {
  fails(
    "",
    "t.vmt:1:1: Missing header: expected 'vmtrace 1' as the first line, found an empty file",
  );
  fails(
    "# only a comment\n",
    "t.vmt:2:1: Missing header: expected 'vmtrace 1' as the first line, found only comments and blank lines",
  );
  fails(
    "1 w 0x1000\n",
    "t.vmt:1:1: Missing header: expected 'vmtrace 1' as the first line, found '1 w 0x1000'",
  );
  fails("vmtrace 2\n", "t.vmt:1:9: Unsupported vmtrace version '2' (this reader knows version 1)");
  fails("vmtrace\n", "t.vmt:1:8: Missing version: expected 'vmtrace 1'");
  fails("vmtrace 1 mem=lots\n", "t.vmt:1:11: Expected a size for mem (like 64M), found 'lots'");
  fails("vmtrace 1 junk\n", "t.vmt:1:11: Expected key=value in the header, found 'junk'");
  fails(
    "vmtrace 1 page=8192\n",
    "t.vmt:1:11: Page size 8192 is not supported: only page=4096 is modelled",
  );
});

Deno.test("parseTraceText() reports an unknown op", () => {
  fails(
    H + "1 mmapp 0 4K rw- private\n",
    "t.vmt:2:3: Unknown op 'mmapp' (expected one of mmap, munmap, mremap, mprotect, madvise, mlock, munlock, msync, fork, clone, exec, exit, r, w, x, create, read, write, truncate, unlink, fsync, swapon, swapoff, reclaim, mark)",
  );
  fails(H + "1\n", "t.vmt:2:2: Missing op: expected 'PID OP ARGS...'");
});

Deno.test("parseTraceText() reports bad numbers", () => {
  fails(
    H + "1 w 0xzz\n",
    "t.vmt:2:5: Expected an address for ADDR (like 0x7f0000000000), found '0xzz'",
  );
  fails(
    H + "1 w 12Q\n",
    "t.vmt:2:5: Expected an address for ADDR (like 0x7f0000000000), found '12Q'",
  );
  fails(
    H + "1 w 0x\n",
    "t.vmt:2:5: Expected an address for ADDR (like 0x7f0000000000), found '0x'",
  );
  fails(H + "1 w K\n", "t.vmt:2:5: Expected an address for ADDR (like 0x7f0000000000), found 'K'");
  fails(
    H + "1 munmap 0x1000 -4\n",
    "t.vmt:2:17: Expected a number for LEN (like 4096, 0x1000 or 64K), found '-4'",
  );
  fails(
    H + "1 w 0x200000000000000\n",
    "t.vmt:2:5: Address '0x200000000000000' for ADDR is beyond the 2^57 address space",
  );
  fails(
    H + "1 w 999999999999999999999\n",
    "t.vmt:2:5: Address '999999999999999999999' for ADDR is beyond the 2^57 address space",
  );
  fails(
    H + "1 munmap 0 0x20000000000000\n",
    "t.vmt:2:12: Number '0x20000000000000' for LEN is too large (at most 2^53-1)",
  );
  fails(
    H + "1 munmap 0 9007199254740992\n",
    "t.vmt:2:12: Number '9007199254740992' for LEN is too large (at most 2^53-1)",
  );
});

Deno.test("parseTraceText() reports missing and extra arguments", () => {
  fails(
    H + "1 munmap 0x1000\n",
    "t.vmt:2:16: Missing argument LEN of 'munmap' (expected 'munmap ADDR LEN')",
  );
  fails(
    H + "1 mmap 0x1000 4K rw-   # comment\n",
    "t.vmt:2:21: Missing argument FLAGS of 'mmap' (expected 'mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]')",
  );
  fails(
    H + "1 fork\n",
    "t.vmt:2:7: Missing argument CHILDPID of 'fork' (expected 'fork CHILDPID')",
  );
  fails(
    H + "1 exit now\n",
    "t.vmt:2:8: Extra argument 'now' after a complete 'exit' event (expected 'exit ')",
  );
  fails(
    H + "1 w 0x1000 8 9\n",
    "t.vmt:2:14: Extra argument '9' after a complete 'w' event (expected 'w ADDR [LEN]')",
  );
  fails(
    H + "1 mmap 0 4K rw- private file:/a 0 7\n",
    "t.vmt:2:35: Extra argument '7' after a complete 'mmap' event (expected 'mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]')",
  );
});

Deno.test("parseTraceText() reports bad PIDs", () => {
  fails(H + "0 w 0x1000\n", "t.vmt:2:1: PID 0 is not allowed: process ids start at 1");
  fails(H + "1 fork 0\n", "t.vmt:2:8: CHILDPID 0 is not allowed: process ids start at 1");
  fails(H + "x1 w 0x1000\n", "t.vmt:2:1: Expected a PID (a positive integer), found 'x1'");
  fails(
    H + "4294967296 w 0x1000\n",
    "t.vmt:2:1: PID '4294967296' is too large (at most 2147483647)",
  );
  fails(
    H + "2147483648 w 0x1000\n",
    "t.vmt:2:1: PID '2147483648' is too large (at most 2147483647)",
  );
  fails(H + "1 mark x\n", "t.vmt:2:1: System op 'mark' takes '-' as its PID, found '1'");
  fails(H + "- w 0x1000\n", "t.vmt:2:1: Op 'w' needs a process id as its PID, found '-'");
});

Deno.test("parseTraceText() reports bad PROT, FLAGS, advice, objects and prio", () => {
  fails(
    H + "1 mmap 0 4K wr- private\n",
    "t.vmt:2:13: Expected PROT as three characters from r, w, x or - (like rw- or r-x), found 'wr-'",
  );
  fails(
    H + "1 mprotect 0 4K rwxx\n",
    "t.vmt:2:17: Expected PROT as three characters from r, w, x or - (like rw- or r-x), found 'rwxx'",
  );
  fails(
    H + "1 mmap 0 4K rw- anon\n",
    "t.vmt:2:17: Mapping flags need one of private or shared, found neither in FLAGS 'anon'",
  );
  fails(
    H + "1 mmap 0 4K rw- private,shared\n",
    "t.vmt:2:17: Mapping flags need exactly one of private or shared, found both in FLAGS 'private,shared'",
  );
  fails(
    H + "1 mmap 0 4K rw- private,huge\n",
    "t.vmt:2:25: Unknown mapping flag 'huge' in FLAGS (expected private or shared, plus any of anon, populate, locked, growsdown, noreserve, separated by commas)",
  );
  fails(
    H + "1 mmap 0 4K rw- private, \n",
    "t.vmt:2:25: Unknown mapping flag '' in FLAGS (expected private or shared, plus any of anon, populate, locked, growsdown, noreserve, separated by commas)",
  );
  fails(
    H + "1 madvise 0 4K free\n",
    "t.vmt:2:16: Unknown advice 'free' (expected dontneed, pageout, willneed)",
  );
  fails(
    H + "1 create disk:/x 4K\n",
    "t.vmt:2:10: Unknown object prefix in 'disk:/x' (expected file:PATH, tmpfs:PATH or shm:KEY)",
  );
  fails(H + "1 unlink file:\n", "t.vmt:2:10: Empty object name after 'file:'");
  fails(
    H + "- swapon s 1M prio=high\n",
    "t.vmt:2:15: Expected prio=N (an integer priority), found 'prio=high'",
  );
});

Deno.test("parseTraceText() reports columns in characters on non-ASCII lines", () => {
  fails(
    H + "1 create file:/é 4X\n",
    "t.vmt:2:18: Expected a number for SIZE (like 4096, 0x1000 or 64K), found '4X'",
  );
});

Deno.test("TextParser rejects an oversized line without buffering it", () => {
  const p = new TextParser("big.vmt");
  const b = new EventBatch(4);
  p.push(new TextEncoder().encode(H));
  p.fill(b);
  const chunk = new Uint8Array(16 * 1024).fill(0x41);
  throws(() => {
    for (let k = 0; k < 10; k++) {
      p.push(chunk);
      p.fill(b);
    }
  }, (e: unknown) => {
    ok(e instanceof TraceError);
    assertEquals(
      e.message,
      `big.vmt:2:1: Line too long: longer than ${MAX_LINE} bytes (is this a vmtrace text file?)`,
    );
    return true;
  });
  fails(
    H + "#" + "x".repeat(MAX_LINE + 1) + "\n",
    `t.vmt:2:1: Line too long: longer than ${MAX_LINE} bytes (is this a vmtrace text file?)`,
  );
});

Deno.test("TextParser gives the same events whatever the chunk boundaries", () => {
  const text = H + "1 mmap 0x7f0000000000 1M rw- private,anon\n1 w 0x7f0000000000 4096\n" +
    "1 fork 2\n2 w 0x7f0000001000 # cow\n- mark after-fork\n1 create file:/data 1M\n2 exit\n1 exit";
  const whole = parseTraceText(text).events;
  const bytes = new TextEncoder().encode(text);
  for (const size of [1, 2, 3, 7, 64]) {
    const p = new TextParser("c.vmt");
    const b = new EventBatch(3);
    const got = [];
    for (let s = 0; s < bytes.length; s += size) {
      p.push(bytes.subarray(s, s + size));
      while (p.fill(b)) {
        for (let i = 0; i < b.length; i++) got.push(b.get(i));
        b.clear();
      }
    }
    while (p.end(b)) {
      for (let i = 0; i < b.length; i++) got.push(b.get(i));
      b.clear();
    }
    for (let i = 0; i < b.length; i++) got.push(b.get(i));
    assertEquals(got, whole, `chunks of ${size}`);
  }
});

Deno.test("TextParser: access addresses of every hex width split exactly into page and offset", () => {
  const rng = new Rng(3);
  const rand = () => rng.next();
  const lines: string[] = [];
  const want: [number, number][] = [];
  for (let digits = 1; digits <= 15; digits++) {
    for (let k = 0; k < 40; k++) {
      let hex = "";
      for (let j = 0; j < digits; j++) hex += "0123456789abcdefABCDEF"[Math.floor(rand() * 22)];
      if (digits === 15) hex = "1" + hex.slice(1); // below 2^57
      const a = BigInt("0x" + hex);
      lines.push(`7 ${"rwx"[k % 3]} 0x${hex}${k % 2 ? " 8" : ""}`);
      want.push([Number(a >> 12n), Number(a & 4095n)]);
    }
  }
  const p = new TextParser("t.vmt");
  const b = new EventBatch(want.length);
  p.push(new TextEncoder().encode(H + lines.join("\n") + "\n"));
  p.fill(b);
  p.end(b);
  assertEquals(b.length, want.length);
  for (let i = 0; i < b.length; i++) {
    assertEquals([b.page[i], b.off[i]], want[i], lines[i]);
  }
});
