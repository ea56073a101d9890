import { deepStrictEqual, equal } from "node:assert/strict";
import { parsePerfScriptLine } from "./line.ts";

Deno.test("parsePerfScriptLine() reads a fault in both prefixes (PID/TID, and COMM TID [CPU] TIME)", () => {
  const want = { kind: "fault", tid: 20353, address: 0x7fe5c7824b70, errorCode: 0x14 };
  deepStrictEqual(
    parsePerfScriptLine(
      "20351/20353 exceptions:page_fault_user: address=0x7fe5c7824b70 ip=0x7fe5c7824b70 error_code=0x14",
    ),
    want,
  );
  deepStrictEqual(
    parsePerfScriptLine(
      "  Web Content 20353 [001]  1657.910046:   exceptions:page_fault_user: address=0x7fe5c7824b70 ip=0x7fe5c7824b70 error_code=0x14",
    ),
    want,
  );
  deepStrictEqual(
    parsePerfScriptLine(
      "prog 7 [000] 1.000001: exceptions:page_fault_kernel: address=0x55c5c7f0d078 ip=elf_load error_code=0x2",
    ),
    { kind: "fault", tid: 7, address: 0x55c5c7f0d078, errorCode: 2 },
  );
  // A kernel address (past 2^53) or one perf printed as a symbol is not a user address.
  for (const a of ["0xffffffff81000000", "init_task+0x40"]) {
    const r = parsePerfScriptLine(
      `7/7 exceptions:page_fault_kernel: address=${a} ip=x error_code=0x0`,
    );
    equal(r?.kind === "fault" && r.address, -1);
  }
});

Deno.test("parsePerfScriptLine() reads system call entries and exits, and new tasks", () => {
  deepStrictEqual(
    parsePerfScriptLine(
      "5/6 syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00002000, prot: 0x00000003, flags: 0x00000022, fd: 0xffffffff, off: 0x00000000",
    ),
    {
      kind: "enter",
      tid: 6,
      name: "mmap",
      args: ["0x00000000", "0x00002000", "0x00000003", "0x00000022", "0xffffffff", "0x00000000"],
    },
  );
  deepStrictEqual(parsePerfScriptLine("5/6 syscalls:sys_exit_mmap: 0x7fe5c7800000"), {
    kind: "exit",
    tid: 6,
    name: "mmap",
    ret: "0x7fe5c7800000",
    failed: false,
  });
  equal(
    (parsePerfScriptLine("5/6 syscalls:sys_exit_munmap: 0xffffffffffffffea") as { failed: boolean })
      .failed,
    true,
  );
  deepStrictEqual(
    parsePerfScriptLine(
      "5/5 task:task_newtask: pid=9 comm=my prog clone_flags=3d0f00 oom_score_adj=0",
    ),
    { kind: "newtask", tid: 5, child: 9, flags: 0x3d0f00 },
  );
  deepStrictEqual(parsePerfScriptLine("5/5 sched:sched_switch: prev_comm=a"), {
    kind: "other",
    event: "sched:sched_switch",
  });
});

Deno.test("parsePerfScriptLine() reads MMAP2, FORK, EXIT, COMM exec and LOST records", () => {
  deepStrictEqual(
    parsePerfScriptLine(
      "5/5 PERF_RECORD_MMAP2 5/5: [0x7fe5c763a000(0x156000) @ 0x26000 fe:00 339380 0]: r-xp /usr/lib/libc.so.6",
    ),
    {
      kind: "mmap",
      pid: 5,
      tid: 5,
      addr: 0x7fe5c763a000,
      len: 0x156000,
      pgoff: 0x26000,
      prot: 5,
      shared: false,
      path: "/usr/lib/libc.so.6",
      inode: 339380,
    },
  );
  const withBuildId = parsePerfScriptLine(
    "x 5 [0] 2.5: PERF_RECORD_MMAP2 5/7: [0x1000(0x2000) @ 0 <abc123>]: rw-s /dev/shm/my file (deleted)",
  );
  deepStrictEqual(withBuildId, {
    kind: "mmap",
    pid: 5,
    tid: 7,
    addr: 0x1000,
    len: 0x2000,
    pgoff: 0,
    prot: 3,
    shared: true,
    path: "/dev/shm/my file (deleted)",
    inode: 0,
  });
  deepStrictEqual(parsePerfScriptLine("5/5 PERF_RECORD_FORK(5:8):(5:5)"), {
    kind: "fork",
    pid: 5,
    tid: 8,
    ppid: 5,
    ptid: 5,
  });
  deepStrictEqual(parsePerfScriptLine("5/8 PERF_RECORD_EXIT(5:8):(4:4)"), {
    kind: "task_exit",
    pid: 5,
    tid: 8,
  });
  deepStrictEqual(parsePerfScriptLine("9/9 PERF_RECORD_COMM exec: a:b:9/9"), {
    kind: "exec",
    pid: 9,
    tid: 9,
    comm: "a:b",
  });
  deepStrictEqual(parsePerfScriptLine("    0/0     PERF_RECORD_COMM: perf-exec:9/9"), {
    kind: "noise",
  });
  deepStrictEqual(parsePerfScriptLine("0/0 PERF_RECORD_LOST lost 1234"), {
    kind: "lost",
    count: 1234,
  });
  deepStrictEqual(
    parsePerfScriptLine(
      "0/0 PERF_RECORD_MMAP -1/0: [0xffffffff81000000(0x1259b00) @ 0xffffffff81000000]: x [kernel.kallsyms]_text",
    ),
    { kind: "noise" },
  );
});

Deno.test("parsePerfScriptLine() returns null for what perf script does not print", () => {
  equal(parsePerfScriptLine("hello world"), null);
  equal(parsePerfScriptLine("5/6 syscalls:sys_exit_mmap: oops"), null);
  equal(parsePerfScriptLine("5/5 PERF_RECORD_MMAP2 garbage"), null);
  deepStrictEqual(parsePerfScriptLine("# ========"), { kind: "noise" });
  deepStrictEqual(parsePerfScriptLine(""), { kind: "noise" });
});
