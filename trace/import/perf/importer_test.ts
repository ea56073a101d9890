import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import { importPerfBatches, PerfImporter } from "./importer.ts";
import { formatEvent } from "../../text/stringify.ts";
import type { Event } from "../../event.ts";
import { EventBatch } from "../../batch.ts";
import { runBatch } from "../../../core/run_batch.ts";
import { ImportError, type ImportStats } from "../import_stats.ts";

/** What `perf script -F pid,tid,event,trace --show-*-events` prints for a small program tree. */
const SCRIPT = `
10/10 PERF_RECORD_COMM exec: app:10/10
10/10 PERF_RECORD_MMAP2 10/10: [0x7ffd00000000(0x21000) @ 0x7ffffffde000 00:00 0 0]: rw-p [stack]
10/10 PERF_RECORD_MMAP2 10/10: [0x400000(0x3000) @ 0 fe:00 11 0]: r--p /usr/bin/app
10/10 PERF_RECORD_MMAP2 10/10: [0x401000(0x1000) @ 0x1000 fe:00 11 0]: r-xp /usr/bin/app
10/10 PERF_RECORD_MMAP2 10/10: [0x7f0000010000(0x2000) @ 0 00:00 0 0]: r-xp [vdso]
10/10 PERF_RECORD_MMAP2 10/10: [0x7f000000c000(0x4000) @ 0 00:00 0 0]: r--p [vvar]
10/10 exceptions:page_fault_user: address=0x401010 ip=0x401010 error_code=0x14
10/10 exceptions:page_fault_kernel: address=0x7ffd00020ff8 ip=_copy_to_user error_code=0x2
10/10 exceptions:page_fault_user: address=0x7ffcfffff008 ip=0x401020 error_code=0x6
10/10 PERF_RECORD_MMAP2 10/10: [0x7ffcfffff000(0x22000) @ 0x7ffffffde000 00:00 0 0]: rw-p [stack]
10/10 syscalls:sys_enter_brk: brk: 0x00000000
10/10 syscalls:sys_exit_brk: 0x600000
10/10 syscalls:sys_enter_brk: brk: 0x00621000
10/10 PERF_RECORD_MMAP2 10/10: [0x600000(0x21000) @ 0x600000 00:00 0 0]: rw-p [heap]
10/10 syscalls:sys_exit_brk: 0x621000
10/10 syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00003000, prot: 0x00000001, flags: 0x00000002, fd: 0x00000003, off: 0x00001000
10/10 PERF_RECORD_MMAP2 10/10: [0x7f0000000000(0x3000) @ 0x1000 fe:00 12 0]: r--p /data/my file.bin
10/10 syscalls:sys_exit_mmap: 0x7f0000000000
10/10 exceptions:page_fault_user: address=0x7f0000001000 ip=0x401030 error_code=0x4
10/10 syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00100000, prot: 0x00000003, flags: 0x00000022, fd: 0xffffffff, off: 0x00000000
10/10 PERF_RECORD_MMAP2 10/10: [0x7f0000100000(0x100000) @ 0x7f0000100000 00:00 0 0]: rw-p //anon
10/10 syscalls:sys_exit_mmap: 0x7f0000100000
10/10 exceptions:page_fault_user: address=0x7f0000100000 ip=0x401040 error_code=0x6
10/10 syscalls:sys_enter_mprotect: start: 0x7f0000100000, len: 0x00100000, prot: 0x00000007
10/10 PERF_RECORD_MMAP2 10/10: [0x7f0000100000(0x100000) @ 0x7f0000100000 00:00 0 0]: rwxp //anon
10/10 syscalls:sys_exit_mprotect: 0x0
10/10 syscalls:sys_enter_munmap: addr: 0x7f0000000000, len: 0x00003000
10/10 syscalls:sys_exit_munmap: 0xffffffffffffffea
10/10 PERF_RECORD_FORK(10:11):(10:10)
10/10 task:task_newtask: pid=11 comm=app clone_flags=3d0f00 oom_score_adj=0
10/11 exceptions:page_fault_user: address=0x7f0000101000 ip=0x401050 error_code=0x6
10/11 PERF_RECORD_EXIT(10:11):(10:10)
10/10 PERF_RECORD_FORK(12:12):(10:10)
10/10 task:task_newtask: pid=12 comm=app clone_flags=1200011 oom_score_adj=0
12/12 exceptions:page_fault_user: address=0x7f0000101000 ip=0x401050 error_code=0x7
12/12 syscalls:sys_enter_mremap: addr: 0x7f0000100000, old_len: 0x00100000, new_len: 0x00200000, flags: 0x00000001, new_addr: 0x00000000
12/12 syscalls:sys_exit_mremap: 0x7f0000400000
12/12 syscalls:sys_enter_madvise: start: 0x7f0000401000, len_in: 0x00001000, behavior: 0x00000004
12/12 syscalls:sys_exit_madvise: 0x0
12/12 syscalls:sys_enter_madvise: start: 0x7f0000402000, len_in: 0x00001000, behavior: 0x00000008
12/12 syscalls:sys_exit_madvise: 0x0
12/12 PERF_RECORD_FORK(13:13):(12:12)
12/12 task:task_newtask: pid=13 comm=app clone_flags=4111 oom_score_adj=0
13/13 PERF_RECORD_COMM exec: true:13/13
13/13 PERF_RECORD_MMAP2 13/13: [0x7ffe00000000(0x21000) @ 0x7ffffffde000 00:00 0 0]: rw-p [stack]
13/13 exceptions:page_fault_user: address=0x7ffe00020000 ip=0x401000 error_code=0x6
13/13 PERF_RECORD_EXIT(13:13):(12:12)
12/12 exceptions:page_fault_user: address=0x12345678 ip=0x401060 error_code=0x4
12/12 PERF_RECORD_EXIT(12:12):(10:10)
    0/0     PERF_RECORD_LOST lost 5
10/10 PERF_RECORD_EXIT(10:10):(9:9)
`;

const EXPECTED = [
  "10 mmap 0x7ffd00000000 132K rw- private,anon,growsdown",
  "10 mmap 0x400000 12K r-- private file:/usr/bin/app 0",
  "10 mmap 0x401000 4K r-x private file:/usr/bin/app 4K",
  "10 mmap 0x7f0000010000 8K r-x shared tmpfs:[vdso] 0",
  "10 mmap 0x7f000000c000 16K r-- private,anon",
  "10 x 0x401010",
  "10 w 0x7ffd00020ff8",
  // The stack grows down to the fault; perf's MMAP2 of the grown stack then adds nothing.
  "10 mmap 0x7ffcfffff000 4K rw- private,anon,growsdown",
  "10 w 0x7ffcfffff008",
  "10 mmap 0x600000 132K rw- private,anon",
  "10 mmap 0x7f0000000000 12K r-- private file:/data/my%20file.bin 4K",
  "10 r 0x7f0000001000",
  "10 mmap 0x7f0000100000 1M rw- private,anon",
  "10 w 0x7f0000100000",
  "10 mprotect 0x7f0000100000 1M rwx",
  "10 clone 11",
  "11 w 0x7f0000101000",
  "11 exit",
  "10 fork 12",
  "12 w 0x7f0000101000",
  "12 mremap 0x7f0000100000 1M 0x7f0000400000 2M",
  "12 madvise 0x7f0000401000 4K dontneed",
  // vfork: the child shares the address space until its exec.
  "12 clone 13",
  "13 exec",
  "13 mmap 0x7ffe00000000 132K rw- private,anon,growsdown",
  "13 w 0x7ffe00020000",
  "13 exit",
  "12 mmap 0x12300000 1M rwx private,anon",
  "12 r 0x12345678",
  "12 exit",
  "10 exit",
];

function importText(text: string): { events: Event[]; stats: ImportStats } {
  const imp = new PerfImporter({ name: "t.perf" });
  const events: Event[] = [];
  text.split("\n").forEach((l, i) => events.push(...imp.feed(l, i + 1)));
  events.push(...imp.finish());
  return { events, stats: imp.stats };
}

Deno.test("PerfImporter turns faults, mapping calls and the task tree into vmtrace events", () => {
  const { events, stats } = importText(SCRIPT);
  deepStrictEqual(events.map(formatEvent), EXPECTED);
  equal(stats.touches, 9);
  equal(stats.processes, 3);
  equal(stats.syscalls, 9);
  equal(stats.failed, 1);
  equal(stats.inferredAreas, 1);
  deepStrictEqual(stats.ignored, { "madvise MADV_FREE": 1, "events perf lost": 5 });
  deepStrictEqual(stats.warningList.map((w) => w.line), [49, 51]);
  match(stats.warningList[0]!.message, /fault at 0x12345678 by PID 12 outside every area/);
  match(stats.warningList[1]!.message, /perf lost 5 events/);
});

Deno.test("PerfImporter's trace replays without segv or warnings, faulting where perf did", () => {
  const batch = new EventBatch(1024);
  for (const ev of importText(SCRIPT).events) batch.push(ev);
  const run = runBatch(batch, { memPages: 4096, swapPages: 0, strategy: "anon_vma_chain" });
  deepStrictEqual([run.counters.segv, run.counters.warnings], [0, 0]);
  // Every fault in the trace is a fault in the replay (the thread's write shared the page).
  equal(run.counters.minor_faults + run.counters.major_faults, 9);
});

Deno.test("PerfImporter: a fork whose clone flags were not recorded is a fork", () => {
  const { events } = importText([
    "1/1 PERF_RECORD_COMM exec: a:1/1",
    "1/1 PERF_RECORD_FORK(2:2):(1:1)",
    "2/2 PERF_RECORD_EXIT(2:2):(1:1)",
    "1/1 PERF_RECORD_FORK(1:3):(1:1)",
    "1/3 PERF_RECORD_EXIT(1:3):(1:1)",
  ].join("\n"));
  deepStrictEqual(events.map(formatEvent), ["1 fork 2", "2 exit", "1 clone 3", "3 exit"]);
});

Deno.test("PerfImporter stops at a line that is not perf script output, naming it", () => {
  const imp = new PerfImporter({ name: "bad.perf" });
  imp.feed("1/1 PERF_RECORD_COMM exec: a:1/1", 1);
  throws(
    () => imp.feed("garbage here", 2),
    (e) =>
      e instanceof ImportError &&
      /^bad\.perf:2: expected a 'perf script' line .*found 'garbage here'$/.test(e.message),
  );
});

Deno.test("importPerfBatches() streams the same events in batches", async () => {
  const got: string[] = [];
  let stats: ImportStats | undefined;
  const src = new TextEncoder().encode(SCRIPT);
  const chunks = [src.subarray(0, 1000), src.subarray(1000)];
  for await (const b of importPerfBatches(chunks, { batchSize: 4, stats: (s) => stats = s })) {
    for (let i = 0; i < b.length; i++) got.push(formatEvent(b.get(i)));
  }
  deepStrictEqual(got, EXPECTED);
  equal(stats!.events, EXPECTED.length);
});

Deno.test("PerfImporter counts calls wholly on memory it never saw mapped, warns about partly", () => {
  const { events, stats } = importText(`
20/20 syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00004000, prot: 0x00000003, flags: 0x00000022, fd: 0xffffffff, off: 0x00000000
20/20 syscalls:sys_exit_mmap: 0x7f0000000000
20/20 syscalls:sys_enter_mprotect: start: 0x00400000, len: 0x00002000, prot: 0x00000001
20/20 syscalls:sys_exit_mprotect: 0x0
20/20 syscalls:sys_enter_munmap: addr: 0x7effffffe000, len: 0x00004000
20/20 syscalls:sys_exit_munmap: 0x0
`);
  deepStrictEqual(events.map(formatEvent), [
    "20 mmap 0x7f0000000000 16K rw- private,anon",
    "20 munmap 0x7f0000000000 8K",
  ]);
  equal(stats.outsideCalls, 1);
  deepStrictEqual(stats.warningList.map((w) => w.line), [7]); // the munmap's sys_exit
  match(stats.warningList[0]!.message, /munmap of 0x7effffffe000\+16384 by PID 20: 2 of 4 pages/);
});
