/**
 * `import strace`: real recorded traces (fixtures/strace), the semantics of each system call,
 * warnings for unusual lines, errors for malformed ones, and round trips through the replay with
 * `--verify`.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import type { Event, ForkEvent } from "../trace/event.ts";
import {
  importStrace,
  type StraceImportOptions,
  type TouchMode,
} from "../trace/import/strace/importer.ts";
import { fileChunks } from "../trace/_io.ts";
import { readLines } from "../trace/_lines.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";
import { writeTrace } from "../trace/write.ts";
import { formatEvent } from "../trace/text/stringify.ts";
import { replayTrace } from "../analyze/replay.ts";

const DIR = new URL("../fixtures/strace/", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function importFile(
  name: string,
  opts: StraceImportOptions = {},
): Promise<{ events: Event[]; stats: ImportStats }> {
  const events: Event[] = [];
  let stats: ImportStats | undefined;
  for await (
    const ev of importStrace(readLines(fileChunks(join(DIR, name))), {
      name,
      ...opts,
      stats: (s) => stats = s,
    })
  ) events.push(ev);
  return { events, stats: stats! };
}

async function importText(
  text: string,
  opts: StraceImportOptions = {},
): Promise<{ lines: string[]; stats: ImportStats }> {
  const lines: string[] = [];
  let stats: ImportStats | undefined;
  for await (
    const ev of importStrace(text.split("\n"), {
      name: "t.strace",
      ...opts,
      stats: (s) => stats = s,
    })
  ) lines.push(formatEvent(ev));
  return { lines, stats: stats! };
}

function count(events: Event[], op: string): number {
  return events.filter((e) => e.op === op).length;
}

Deno.test("import strace: a shell pipeline (PID prefixes from -o) forks twice, each child execs", async () => {
  const { events, stats } = await importFile("pipeline.strace", { touch: "none" });
  equal(count(events, "fork"), 2);
  equal(count(events, "exec"), 2);
  equal(count(events, "exit"), 3);
  const forks = events.filter((e) => e.op === "fork") as ForkEvent[];
  deepStrictEqual(forks.map((f) => [f.pid, f.child]), [[21215, 21216], [21215, 21217]]);
  // Every child's exec comes after its fork and before its own mappings.
  for (const f of forks) {
    const forkAt = events.indexOf(f);
    const execAt = events.findIndex((e) => e.pid === f.child && e.op === "exec");
    const firstMap = events.findIndex((e) => e.pid === f.child && e.op === "mmap");
    ok(forkAt < execAt && execAt < firstMap);
  }
  // Without -y the files come from the openat calls the trace shows.
  ok(events.some((e) => e.op === "mmap" && e.object === "file:/lib/x86_64-linux-gnu/libc.so.6"));
  // The loader's mprotect of the program image's and ld.so's RELRO pages, which execve mapped
  // and the trace never shows: counted, not warned about.
  equal(stats.outsideCalls, 6);
  equal(stats.warnings, 0);
});

Deno.test("import strace: a compiler run (-yy, -tt) spawns cc1 and as with vfork-style clones", async () => {
  const { events } = await importFile("gcc.strace", { touch: "none" });
  const clones = events.filter((e) => e.op === "clone") as ForkEvent[];
  equal(clones.length, 2);
  for (const c of clones) {
    ok(events.some((e) => e.pid === c.child && e.op === "exec"), `child ${c.child} execs`);
  }
  ok(
    events.some((e) => e.op === "mmap" && e.object === "file:/usr/lib/x86_64-linux-gnu/libc.so.6"),
  );
  equal(count(events, "fork"), 0);
});

Deno.test("import strace: a forking Python program on stderr ([pid N], unprefixed lines, attach messages)", async () => {
  const { events, stats } = await importFile("python_fork.strace", { touch: "none" });
  const pids = [...new Set(events.map((e) => e.pid))].sort();
  // The unprefixed root gets its real PID as soon as a prefixed line names it.
  deepStrictEqual(pids, [21227, 21228, 21229, 21230]);
  deepStrictEqual(
    events.filter((e) => e.op === "fork").map((e) => (e as { child: number }).child),
    [21228, 21229, 21230],
  );
  equal(count(events, "exit"), 4);
  // The shared anonymous buffer the children write.
  ok(events.some((e) => e.op === "mmap" && e.len === 1 << 20 && e.flags === 6));
  equal(stats.processes, 3);
});

Deno.test("import strace: a threaded program (-r) covers threads, mremap, shm, memfd, vfork and fork", async () => {
  const { events } = await importFile("threads.strace", { touch: "none" });
  const text = events.map(formatEvent);
  const pid = events[0]!.pid;
  equal(count(events, "clone"), 3); // two threads (clone3) and a vfork
  equal(count(events, "fork"), 1);
  ok(
    text.includes(`${pid} mremap 0x7ff2b0ce3000 1M 0x7ff2b0800000 2M`) ||
      count(events, "mremap") === 2,
  );
  equal(count(events, "mremap"), 2);
  ok(text.some((l) => / madvise 0x600000000000 8K dontneed$/.test(l)));
  ok(text.some((l) => / mlock 0x600000000000 4K$/.test(l)));
  ok(text.some((l) => / munlock 0x600000000000 4K$/.test(l)));
  ok(text.some((l) => / msync 0x600000000000 4K$/.test(l)));
  ok(text.some((l) => / create shm:\d+ 64K$/.test(l)));
  ok(text.some((l) => / mmap 0x\w+ 64K rw- shared shm:\d+ 0$/.test(l)));
  ok(text.some((l) => / unlink shm:\d+$/.test(l)));
  ok(text.some((l) => / create tmpfs:memfd:probe\.1 64K$/.test(l)));
  ok(text.some((l) => / mmap 0x\w+ 64K rw- shared tmpfs:memfd:probe\.1 0$/.test(l)));
  // The 2^46-byte MAP_NORESERVE mapping is kept, never touched.
  ok(text.some((l) => / mmap 0x\w+ (64T|70368744177664) r-- private,anon,noreserve$/.test(l)));
});

Deno.test("import strace: a trace without PID prefixes is one process, PID 1 or --pid", async () => {
  const a = await importFile("single.strace", { touch: "none" });
  deepStrictEqual([...new Set(a.events.map((e) => e.pid))], [1]);
  const b = await importFile("single.strace", { touch: "none", defaultPid: 77 });
  deepStrictEqual([...new Set(b.events.map((e) => e.pid))], [77]);
});

for (const name of ["pipeline", "gcc", "python_fork", "threads", "single"]) {
  for (const touch of ["none", "populate", "all"] as TouchMode[]) {
    Deno.test(`import strace: ${name} with --touch ${touch} replays with zero verify errors and warnings`, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const out = join(dir, `${name}.vmt`);
        const { events } = await importFile(`${name}.strace`, { touch });
        await writeTrace(out, { version: 1, mem: 1 << 30 }, events);
        const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
        const c = run.results.anon_vma_chain!.counters;
        deepStrictEqual(
          [c.verify_errors, c.warnings, c.segv],
          [0, 0, 0],
          `${name}/${touch}: verify, warnings, segv`,
        );
        if (touch === "none") {
          equal(c.minor_faults, count(events, "mlock") > 0 ? c.minor_faults : 0);
        } else ok(c.minor_faults > 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

Deno.test("import strace --touch: populate writes writable pages and reads read-only ones; all adds fork passes", async () => {
  const trace = [
    "10  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
    "10  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3</etc/x>, 0) = 0x20000",
    "10  mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x30000",
    "10  mprotect(0x31000, 4096, PROT_READ|PROT_WRITE) = 0",
    "10  mmap(NULL, 1073745920, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x40000000",
    "10  fork() = 11",
    "11  +++ exited with 0 +++",
    "10  +++ exited with 0 +++",
  ].join("\n");
  const none = await importText(trace, { touch: "none" });
  equal(none.lines.filter((l) => / [rwx] /.test(l)).length, 0);
  const pop = await importText(trace, { touch: "populate" });
  deepStrictEqual(pop.lines.filter((l) => / [rwx] /.test(l)), [
    "10 w 0x10000 8192",
    "10 r 0x20000 4096",
    "10 w 0x31000 4096",
  ]);
  const all = await importText(trace, { touch: "all" });
  deepStrictEqual(all.lines.slice(all.lines.indexOf("10 fork 11") + 1, -2), [
    "10 w 0x10000 8192",
    "10 r 0x20000 4096",
    "10 w 0x31000 4096",
    "11 w 0x10000 8192",
    "11 r 0x20000 4096",
    "11 w 0x31000 4096",
  ]);
});

Deno.test("import strace: brk growth maps the heap, shrinking unmaps it", async () => {
  const { lines } = await importText(
    [
      "5 brk(NULL) = 0x555555559000",
      "5 brk(0x55555557a000) = 0x55555557a000",
      "5 brk(0x555555569000) = 0x555555569000",
      "5 brk(0x555555569800) = 0x555555569800",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, [
    "5 mmap 0x555555559000 132K rw- private,anon",
    "5 munmap 0x555555569000 68K",
    "5 mmap 0x555555569000 4K rw- private,anon",
  ]);
});

Deno.test("import strace: mremap with and without a new address, mprotect, munmap of mapped memory", async () => {
  const { lines, stats } = await importText(
    [
      "5 mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
      "5 mremap(0x7f0000000000, 1048576, 2097152, MREMAP_MAYMOVE) = 0x7f1000000000",
      "5 mremap(0x7f1000000000, 2097152, 2097152, MREMAP_MAYMOVE|MREMAP_FIXED, 0x600000000000) = 0x600000000000",
      "5 mprotect(0x600000000000, 4096, PROT_READ) = 0",
      "5 munmap(0x600000000000, 2097152) = 0",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, [
    "5 mmap 0x7f0000000000 1M rw- private,anon",
    "5 mremap 0x7f0000000000 1M 0x7f1000000000 2M",
    "5 mremap 0x7f1000000000 2M 0x600000000000 2M",
    "5 mprotect 0x600000000000 4K r--",
    "5 munmap 0x600000000000 2M",
  ]);
  equal(stats.warnings, 0);
});

Deno.test("import strace: clone flags decide fork, thread or vfork; exec gives a vfork child its own space", async () => {
  const { lines } = await importText(
    [
      "1 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
      "1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 2",
      "1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, exit_signal=0}, 88) = 3",
      "1 clone(child_stack=0x7f, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 4",
      '4 execve("/bin/true", ["true"], 0x7ffd /* 35 vars */) = 0',
      "4 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
      "1 vfork() = 5",
      "5 exit_group(0) = ?",
      "5 +++ exited with 0 +++",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, [
    "1 mmap 0x10000 4K rw- private,anon",
    "1 fork 2",
    "1 clone 3",
    "1 clone 4",
    "4 exec",
    "4 mmap 0x10000 4K rw- private,anon",
    "1 clone 5",
    "5 exit",
  ]);
});

Deno.test("import strace: a child that speaks before its parent's fork returns is attributed to that fork", async () => {
  const { lines, stats } = await importText(
    [
      "1 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>",
      "2 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
      "1 <... clone resumed>) = 2",
      "2 +++ exited with 0 +++",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, ["1 fork 2", "2 mmap 0x10000 4K r-- private,anon", "2 exit"]);
  equal(stats.warnings, 0);
});

Deno.test("import strace: a vfork child that exits before its parent resumes is forked once", async () => {
  const { lines, stats } = await importText(
    [
      "100 vfork( <unfinished ...>",
      "102 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
      "102 exit_group(0) = ?",
      "102 +++ exited with 0 +++",
      "100 <... vfork resumed>) = 102",
      "100 exit_group(0) = ?",
      "100 +++ exited with 0 +++",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, [
    "100 clone 102",
    "102 mmap 0x10000 4K r-- private,anon",
    "102 exit",
    "100 exit",
  ]);
  equal(stats.warnings, 0);
  // The same with fork (its own address space) and clone.
  for (const call of ["fork()", "clone(child_stack=NULL, flags=SIGCHLD"]) {
    const name = call.slice(0, call.indexOf("("));
    const r = await importText(
      [
        `100 ${call} <unfinished ...>`,
        "102 +++ exited with 0 +++",
        `100 <... ${name} resumed>) = 102`,
      ].join("\n"),
      { touch: "none" },
    );
    deepStrictEqual(r.lines, ["100 fork 102", "102 exit"], call);
  }
});

Deno.test("import strace --touch: an area above 1 GiB is touched by one access per GiB", async () => {
  const { lines } = await importText(
    "1 mmap(NULL, 3221225472, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n",
    { touch: "populate", touchMax: 4 * 2 ** 30 },
  );
  deepStrictEqual(lines, [
    "1 mmap 0x7f0000000000 3G rw- private,anon",
    "1 w 0x7f0000000000 1073741824",
    "1 w 0x7f0040000000 1073741824",
    "1 w 0x7f0080000000 1073741824",
  ]);
});

Deno.test("import strace: an empty file or one without strace lines is refused", async () => {
  await rejects(importText(""), /^ImportError: t\.strace: no strace output in 1 lines/);
  await rejects(
    importText("strace: Process 5 attached\n"),
    /^ImportError: t\.strace: no strace output in 2 lines/,
  );
  await rejects(
    importText("\u0000\u0001garbage\n"),
    /^ImportError: t\.strace:1: expected a strace line .*found '\\x00\\x01garbage'/,
  );
});

Deno.test("import strace: System V shm and memfd become objects", async () => {
  const { lines } = await importText(
    [
      "1 shmget(IPC_PRIVATE, 65536, IPC_CREAT|0600) = 3",
      "1 shmat(3, NULL, 0) = 0x7f0000000000",
      "1 shmat(3, NULL, SHM_RDONLY) = 0x7f0000100000",
      "1 shmctl(3, IPC_RMID, NULL) = 0",
      "1 shmdt(0x7f0000000000) = 0",
      '1 memfd_create("buf", MFD_CLOEXEC) = 4',
      "1 ftruncate(4, 8192) = 0",
      "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = 0x7f0000200000",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, [
    "1 create shm:3 64K",
    "1 mmap 0x7f0000000000 64K rw- shared shm:3 0",
    "1 mmap 0x7f0000100000 64K r-- shared shm:3 0",
    "1 unlink shm:3",
    "1 munmap 0x7f0000000000 64K",
    "1 create tmpfs:memfd:buf.1 8K",
    "1 mmap 0x7f0000200000 8K rw- shared tmpfs:memfd:buf.1 0",
  ]);
});

Deno.test("import strace: failed calls are skipped; calls on memory never mapped are counted, partly mapped ones warned with line numbers", async () => {
  const { lines, stats } = await importText(
    [
      "1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)",
      "1 mprotect(0x555555554000, 8192, PROT_READ) = 0",
      "1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
      "1 munmap(0x10000, 16384) = 0",
      "1 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2} ---",
      "1 <... read resumed>) = 1",
      "1 mremap(0x7ffc0000, 4096, 8192, MREMAP_MAYMOVE) = 0x20000",
      "1 madvise(0x10000, 4096, MADV_FREE) = 0",
      "1 shmat(9, NULL, 0) = 0x7f0000000000",
      "1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0 <unfinished ...>",
    ].join("\n"),
    { touch: "none" },
  );
  deepStrictEqual(lines, ["1 mmap 0x10000 8K r-- private,anon", "1 munmap 0x10000 8K"]);
  equal(stats.failed, 1);
  // Lines 2 (mprotect) and 7 (mremap): wholly on memory the trace never mapped.
  equal(stats.outsideCalls, 2);
  deepStrictEqual(stats.warningList.map((w) => w.line), [4, 6, 9, 10]);
  match(
    stats.warningList[0]!.message,
    /munmap of 0x10000\+16384 by PID 1: 2 of 4 pages the trace never mapped.*only the mapped part kept/,
  );
  match(stats.warningList[1]!.message, /without its start/);
  match(stats.warningList[2]!.message, /created before the trace began/);
  match(stats.warningList[3]!.message, /never completed/);
  deepStrictEqual(stats.ignored, { "madvise MADV_FREE": 1 });
});

Deno.test("import strace: malformed lines stop the import with FILE:LINE: message", async () => {
  await rejects(
    importText("1 mmap(NULL, 4096) = 0x1000\n"),
    /^ImportError: t\.strace:1: mmap: expected PROT_\* flags as argument 3, found only 2 arguments/,
  );
  await rejects(
    importText("1 brk(NULL) = 0x1000\n1 munmap(0x1000, lots) = 0\n"),
    /t\.strace:2: munmap: expected a length as argument 2, found 'lots'/,
  );
  await rejects(
    importText("1 brk(NULL) = 0x1000\nthis is not strace output\n"),
    /t\.strace:2: expected a strace line .*found 'this is not strace output'/,
  );
  await rejects(
    importText("1 mmap(NULL, 4096, PROT_READ, MAP_BOGUS, -1, 0) = 0x1000\n"),
    /t\.strace:1: mmap: expected MAP_\* flags as argument 4, found 'MAP_BOGUS'/,
  );
});

Deno.test("vmreplay import strace: CLI writes the trace, prints warnings as FILE:LINE, exits 1 on bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "t.vmt.gz");
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, ...args],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    const good = await run([
      "import",
      "strace",
      join(DIR, "pipeline.strace"),
      "-o",
      out,
      "--warnings",
      "1",
    ]);
    const stdout = new TextDecoder().decode(good.stdout);
    equal(good.code, 0, new TextDecoder().decode(good.stderr));
    match(stdout, /pipeline\.strace -> .*t\.vmt\.gz: 542 lines, 139 events/);
    // The loader's RELRO mprotects, on memory execve mapped: one line, no warnings.
    match(stdout, /; 0 warnings \(/);
    match(stdout, /^skipped: 6 calls wholly on memory the trace never mapped/m);
    ok((await Deno.stat(out)).size > 0);
    const odd = join(dir, "odd.strace");
    await Deno.writeTextFile(
      odd,
      [
        "1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000",
        "1 munmap(0x10000, 16384) = 0",
        "1 <... read resumed>) = 1",
        "1 +++ exited with 0 +++",
      ].join("\n"),
    );
    const warned = await run([
      "import",
      "strace",
      odd,
      "-o",
      join(dir, "odd.vmt"),
      "--warnings",
      "1",
    ]);
    const warnedOut = new TextDecoder().decode(warned.stdout);
    equal(warned.code, 0);
    match(warnedOut, /; 2 warnings \(/);
    match(warnedOut, /^.*odd\.strace:2: warning: munmap of 0x10000\+16384 by PID 1: 2 of 4 pages/m);
    match(warnedOut, /^\.\.\. 1 more warning \(--warnings N shows more\)$/m);
    const badFile = join(dir, "bad.strace");
    await Deno.writeTextFile(badFile, "1 brk(NULL) = 0x1000\ngarbage\n");
    const bad = await run(["import", "strace", badFile, "-o", join(dir, "bad.vmt")]);
    equal(bad.code, 1);
    match(new TextDecoder().decode(bad.stderr), /bad\.strace:2: expected a strace line/);
    const usage = await run([
      "import",
      "strace",
      badFile,
      "-o",
      join(dir, "x.vmt"),
      "--touch",
      "some",
    ]);
    equal(usage.code, 2);
    const missing = await run([
      "import",
      "strace",
      join(dir, "nope.strace"),
      "-o",
      join(dir, "x.vmt"),
    ]);
    equal(missing.code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
