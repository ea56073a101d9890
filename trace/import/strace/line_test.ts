import { deepStrictEqual, equal } from "node:assert/strict";
import { parseResult, parseStraceLine } from "./line.ts";
import { parseFd, parseFlags, parseInteger, splitArgs } from "./args.ts";

Deno.test("parseStraceLine() reads every PID prefix and timestamp form", () => {
  const forms = [
    ["1234  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000", 1234],
    [
      "[pid  1234] mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      1234,
    ],
    ["mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000", null],
    [
      "1234  01:31:03 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      1234,
    ],
    [
      "01:31:03.915152 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      null,
    ],
    [
      "[pid 7] 1795311063.930190 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      7,
    ],
    [
      "6777       0.000399 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      6777,
    ],
    [
      "     0.000399 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000 <0.000012>",
      null,
    ],
  ] as const;
  for (const [line, pid] of forms) {
    const l = parseStraceLine(line);
    equal(l.kind, "call", line);
    equal(l.pid, pid, line);
    equal(l.name, "mmap", line);
    equal(l.args, "NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0", line);
    equal(l.ret, "0x7f0000000000", line);
  }
});

Deno.test("parseStraceLine() splits unfinished and resumed calls", () => {
  const u = parseStraceLine(
    "6571  mmap(NULL, 38759, PROT_READ, MAP_PRIVATE, 3, 0 <unfinished ...>",
  );
  deepStrictEqual([u.kind, u.pid, u.name, u.args, u.ret], [
    "unfinished",
    6571,
    "mmap",
    "NULL, 38759, PROT_READ, MAP_PRIVATE, 3, 0",
    null,
  ]);
  const r = parseStraceLine("6571  <... mmap resumed>)               = 0x7f7692718000");
  deepStrictEqual([r.kind, r.name, r.args, r.ret], ["resumed", "mmap", "", "0x7f7692718000"]);
  const c = parseStraceLine(
    "6751  <... clone3 resumed> => {parent_tid=[6752]}, 88) = 6752",
  );
  deepStrictEqual([c.kind, c.name, c.ret], ["resumed", "clone3", "6752"]);
});

Deno.test("parseStraceLine() recognises exits, signals, strace messages and garbage", () => {
  equal(parseStraceLine("6570  +++ exited with 0 +++").kind, "exited");
  equal(parseStraceLine("[pid 9] +++ killed by SIGKILL +++").kind, "exited");
  equal(
    parseStraceLine("6751  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6754} ---")
      .kind,
    "signal",
  );
  equal(parseStraceLine("strace: Process 6764 attached").kind, "noise");
  equal(parseStraceLine("").kind, "noise");
  equal(parseStraceLine("hello world").kind, "unknown");
  const cut = parseStraceLine("vfork(strace: Process 6769 attached");
  deepStrictEqual([cut.kind, cut.name, cut.attached], ["unfinished", "vfork", 6769]);
});

Deno.test("parseResult() tells failures, values and fd paths apart", () => {
  deepStrictEqual(parseResult("-1 ENOMEM (Cannot allocate memory)"), {
    value: "-1",
    failed: true,
    errno: "ENOMEM",
    path: null,
  });
  equal(parseResult("0x7f0000000000").value, "0x7f0000000000");
  equal(parseResult("3</memfd:probe>(deleted)").path, "/memfd:probe");
  equal(parseResult("3</usr/lib/libc.so.6>").path, "/usr/lib/libc.so.6");
  equal(parseResult("? ERESTARTSYS (To be restarted)").failed, true);
  equal(parseResult("0x8002 (flags O_RDONLY|O_LARGEFILE)").failed, false);
});

Deno.test("splitArgs() keeps structures, strings and fd decorations whole", () => {
  deepStrictEqual(
    splitArgs("{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}, 88"),
    ["{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD}", "88"],
  );
  deepStrictEqual(splitArgs('AT_FDCWD, "/a, b\\"c", O_RDONLY'), [
    "AT_FDCWD",
    '"/a, b\\"c"',
    "O_RDONLY",
  ]);
  deepStrictEqual(splitArgs("NULL, 8192, 3</x, y>(deleted), 0"), [
    "NULL",
    "8192",
    "3</x, y>(deleted)",
    "0",
  ]);
  deepStrictEqual(splitArgs(""), []);
});

Deno.test("strace args helpers decode numbers, flags and fds", () => {
  equal(parseInteger("0x7ffc12345000"), 0x7ffc12345000);
  equal(parseInteger("-1"), -1);
  equal(typeof parseInteger("0x20000000000000"), "bigint");
  equal(parseFlags("PROT_READ|PROT_WRITE", { PROT_READ: 1, PROT_WRITE: 2 }), 3);
  equal(parseFlags("MAP_BOGUS", {}), undefined);
  deepStrictEqual(parseFd("3</usr/lib/libc.so.6>"), { fd: 3, path: "/usr/lib/libc.so.6" });
  deepStrictEqual(parseFd("-1"), { fd: -1, path: null });
  equal(parseFd("abc"), undefined);
});
