/**
 * `capture --perf` and `import perf` on two real C program trees (threads, five forks with a
 * grandchild and one from a thread, copy-on-write, mremap, shared and file mappings, exec, vfork),
 * compiled here with gcc: each trace keeps the program's forks, threads, execs and mremaps, and its
 * replay must count the faults the kernel counted for the same program (getrusage of the tree),
 * within 15 %, with no segv, warning or verify error.
 *
 * Needs gcc and a perf that may record tracepoints (root, or kernel.perf_event_paranoid=-1).
 * Without them the tests fail when `CI` is set, and are skipped with the reason otherwise.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { readTrace } from "../trace/read.ts";
import { replayTrace } from "../analyze/replay.ts";
import { findPerf } from "../trace/import/perf/command.ts";
import { vmreplay } from "./_cli.ts";

/** A program: 2 threads, 5 forks (a grandchild, one from a thread), COW, mremap and friends. */
const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#define PG 4096
static char *area;
static void touch(char *p, long pages, int write) {
  volatile char s = 0;
  for (long i = 0; i < pages; i++) {
    if (write) p[i * PG] = (char)i; else s += p[i * PG];
  }
}
static void *worker(void *arg) {
  char *m = malloc(200 * PG);
  memset(m, 1, 200 * PG);
  touch(area + (long)arg * 100 * PG, 100, 1);
  if ((long)arg == 7) { /* a fork from a thread */
    pid_t f = fork();
    if (f == 0) { touch(area, 20, 1); _exit(0); }
    waitpid(f, NULL, 0);
  }
  free(m);
  return NULL;
}
int main(void) {
  area = mmap(NULL, 1024 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(area, 1024 * PG, MADV_NOHUGEPAGE);
  touch(area, 400, 1);
  touch(area + 400 * PG, 200, 0);
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 6));
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  pid_t c = fork();
  if (c == 0) {
    touch(area, 300, 1); /* copy-on-write */
    pid_t g = fork();
    if (g == 0) { touch(area + 300 * PG, 100, 1); touch(area, 50, 0); _exit(0); }
    waitpid(g, NULL, 0);
    char *r = mremap(area, 1024 * PG, 2048 * PG, MREMAP_MAYMOVE);
    touch(r + 1024 * PG, 300, 1);
    touch(r, 100, 0);
    munmap(r, 2048 * PG);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  char *b = mmap(NULL, 400 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(b, 200 * PG, PROT_READ | PROT_WRITE);
  touch(b, 200, 1);
  madvise(b, 200 * PG, MADV_DONTNEED);
  touch(b, 100, 1);
  char *h = sbrk(0);
  sbrk(300 * PG);
  touch(h, 300, 1);
  for (long k = 0; k < 2; k++) {
    if (fork() == 0) { touch(area + k * 200 * PG, 200, 1); _exit(0); }
  }
  while (wait(NULL) > 0) {}
  return 0;
}
`;

/**
 * Another program, so that the count is not fitted to one: a 6000-page area written with a stride
 * and in random order, shared anonymous memory across fork, a private file mapping read then
 * written, read(2) into a fresh buffer, a hole, mremap in place, execs, vfork, 4 threads, 3 forks.
 */
const SECOND = String.raw`
/* Other sizes and patterns: a big strided area, random order, MAP_SHARED anon across
 * fork, a private file mapping written (COW of file pages), read(2) into a fresh buffer, mremap in
 * place, a hole punched with munmap, exec of true in a child, vfork+exec, 4 threads, 3 forks */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#define PG 4096
static char *big;
static unsigned rnd = 12345;
static unsigned next(void) { rnd = rnd * 1103515245u + 12345u; return rnd >> 8; }
static void *thr(void *a) {
  long k = (long)a;
  for (long i = 0; i < 700; i++) big[(k * 1500 + (next() % 1500)) * PG + 7] = 1; /* random */
  char *heap = malloc(90 * PG);
  memset(heap, 2, 90 * PG);
  free(heap);
  return NULL;
}
int main(int argc, char **argv) {
  (void)argc;
  long n = 6000;
  big = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(big, n * PG, MADV_NOHUGEPAGE);
  for (long i = 0; i < n; i += 3) big[i * PG] = 1;          /* stride 3 */
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, thr, (void *)i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  char *sh = mmap(NULL, 256 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (long i = 0; i < 128; i++) sh[i * PG] = 1;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 200 * PG);
  char *f = mmap(NULL, 200 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  volatile char s = 0;
  for (long i = 0; i < 200; i++) s += f[i * PG];            /* read file pages */
  for (long i = 0; i < 200; i += 2) f[i * PG] = 3;          /* COW of file pages */
  char *rb = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  read(fd, rb, 64 * PG);                                    /* kernel faults on a fresh buffer */
  pid_t c = fork();
  if (c == 0) {
    for (long i = 0; i < 256; i++) sh[i * PG] = 2;          /* shared: no COW */
    for (long i = n - 1; i >= 0; i -= 5) big[i * PG] = 2;   /* backwards, COW */
    if (fork() == 0) { execl("/bin/true", "true", (char *)0); _exit(1); }
    wait(NULL);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  munmap(big + 1000 * PG, 2000 * PG);                       /* a hole */
  char *g = mmap(NULL, 160 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(g + 100 * PG, 60 * PG);
  for (long i = 0; i < 100; i++) g[i * PG] = 1;
  g = mremap(g, 100 * PG, 160 * PG, 0);                     /* grows in place */
  if (g == MAP_FAILED) return 1;
  for (long i = 100; i < 160; i++) g[i * PG] = 1;
  mprotect(big, 1000 * PG, PROT_READ);
  s += big[5 * PG];
  mprotect(big, 1000 * PG, PROT_READ | PROT_WRITE);
  for (long i = 0; i < 1000; i += 4) big[i * PG] = 9;
  pid_t v = vfork();
  if (v == 0) { execl("/bin/true", "true", (char *)0); _exit(1); }
  waitpid(v, NULL, 0);
  if (fork() == 0) { for (long i = 3000; i < n; i += 2) big[i * PG] = 4; _exit(0); }
  wait(NULL);
  return 0;
}
`;

/** Runs a command in a vfork child and prints the faults of its whole tree (RUSAGE_CHILDREN). */
const RUSAGE = String.raw`
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  pid_t p = vfork();
  if (p == 0) { execvp(argv[1], argv + 1); _exit(127); }
  int st;
  waitpid(p, &st, 0);
  struct rusage r;
  getrusage(RUSAGE_CHILDREN, &r);
  printf("%ld %ld\n", r.ru_minflt, r.ru_majflt);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
`;

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Why the perf tests cannot run here, or null when they can. */
async function whyNot(): Promise<string | null> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return "x86-64 Linux only";
  if (!await succeeds("gcc", ["--version"])) return "gcc not found (apt-get install gcc)";
  const perf = await findPerf();
  if (perf === null) return "perf not found (Debian: apt-get install linux-perf)";
  const dir = await Deno.makeTempDir();
  try {
    const args = ["record", "-q", "-o", join(dir, "p.data"), "-e", "exceptions:page_fault_user"];
    if (!await succeeds(perf, [...args, "--", "true"])) {
      return "perf may not record tracepoints here (needs root or " +
        `kernel.perf_event_paranoid=-1; it is ${
          (await Deno.readTextFile("/proc/sys/kernel/perf_event_paranoid").catch(() => "?"))
            .trim()
        })`;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return null;
}

const reason = await whyNot();
const inCI = Boolean(Deno.env.get("CI"));
if (reason && !inCI) console.error(`capture_perf_test.ts: skipped: ${reason}`);

/** `kernelHasZeroPage()` (analyze/calibrate/zero_page.ts) in a fresh Deno process, as `capture` runs it. */
async function freshZeroPage(): Promise<boolean | null> {
  const url = new URL("../analyze/calibrate/zero_page.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { kernelHasZeroPage } from "${url}"; console.log(kernelHasZeroPage())`],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** A test that needs gcc and perf, in a temporary directory it removes. */
function perfTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: reason !== null && !inCI,
    fn: async () => {
      if (reason) throw new Error(`CI is set but the perf tests cannot run: ${reason}`);
      const dir = await Deno.makeTempDir();
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

async function gcc(dir: string, name: string, source: string, extra: string[] = []) {
  await Deno.writeTextFile(join(dir, `${name}.c`), source);
  const out = await new Deno.Command("gcc", {
    args: ["-O1", "-o", join(dir, name), join(dir, `${name}.c`), ...extra],
  }).output();
  equal(out.success, true, new TextDecoder().decode(out.stderr));
  return join(dir, name);
}

async function opCounts(path: string): Promise<Record<string, number>> {
  const r = await readTrace(path);
  const n: Record<string, number> = {};
  for await (const ev of r.events()) n[ev.op] = (n[ev.op] ?? 0) + 1;
  await r.close();
  return n;
}

/** The programs, what each is given, and the events their traces must hold. */
const PROGRAMS = [
  {
    name: "threads, 5 forks, COW, mremap, mprotect, madvise, brk",
    source: PROGRAM,
    args: () => [],
    ops: { fork: 5, clone: 2, exit: 8, mremap: 1, exec: undefined },
  },
  {
    name: "random and strided writes, shared and file mappings, exec, vfork",
    source: SECOND,
    args: (dir: string) => [join(dir, "file.dat")],
    ops: { fork: 3, clone: 5, exit: 9, mremap: 1, exec: 2 },
  },
];

for (const [k, p] of PROGRAMS.entries()) {
  perfTest(
    `capture --perf: ${p.name}: the replay counts the kernel's faults (within 15 %)`,
    async (dir) => {
      const prog = await gcc(dir, `prog${k}`, p.source, ["-pthread"]);
      const rusage = await gcc(dir, "rusage", RUSAGE);
      const native = await new Deno.Command(rusage, { args: [prog, ...p.args(dir)] }).output();
      equal(native.success, true);
      const [minor, major] = new TextDecoder().decode(native.stdout).trim().split(" ").map(
        Number,
      );
      const kernel = minor! + major!;

      const out = join(dir, "prog.vmtb");
      const data = join(dir, "prog.data");
      const r = await vmreplay(
        "capture",
        "--perf",
        "--keep-raw",
        data,
        "-o",
        out,
        "--",
        prog,
        ...p.args(dir),
      );
      equal(r.code, 0, r.stderr);
      match(
        r.stderr,
        /exited with status 0; .*prog\.vmtb: \d+ events \(\d+ faults, .*0 warnings/,
      );

      const n = await opCounts(out);
      deepStrictEqual(
        { fork: n.fork, clone: n.clone, exit: n.exit, mremap: n.mremap, exec: n.exec },
        p.ops,
      );
      const header = (await readTrace(out)).header;
      // The capture tests the kernel in a fresh process; this long-lived one may find no fresh
      // memory to read (null), so a fresh process answers.
      const zeroPage = await freshZeroPage();
      equal(header.extra?.zero_page, zeroPage === false ? "0" : undefined, `${zeroPage}`);

      const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
      const c = run.results.anon_vma_chain!.counters;
      deepStrictEqual([c.segv, c.warnings, c.verify_errors], [0, 0, 0]);
      const replayed = c.minor_faults! + c.major_faults!;
      console.error(
        `capture --perf: kernel ${kernel} faults (${minor} minor, ${major} major), ` +
          `replay ${replayed}`,
      );
      ok(
        Math.abs(replayed - kernel) <= 0.15 * kernel,
        `replay counted ${replayed} faults, the kernel ${kernel}`,
      );

      // import perf of the kept perf.data gives the same events.
      const again = join(dir, "again.vmtb");
      const i = await vmreplay("import", "perf", data, "-o", again);
      equal(i.code, 0, i.stderr);
      deepStrictEqual(await opCounts(again), n);
    },
  );
}

perfTest("capture --perf: a program that cannot start gives no trace and says why", async (dir) => {
  const out = join(dir, "x.vmt");
  const r = await vmreplay("capture", "--perf", "-o", out, "--", join(dir, "no-such-program"));
  equal(r.code, 1);
  match(r.stderr, /could not be traced \(perf exited with status \d+ and recorded nothing\)/);
  equal(await Deno.stat(out).then(() => true, () => false), false);
});

perfTest(
  "capture --perf: the program runs with the caller's PATH first (not perf's directory)",
  async (dir) => {
    // A 'cat' of our own in front of PATH: perf must not put /usr/bin before it.
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(join(dir, "bin", "cat"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../main.ts", import.meta.url).pathname,
        "capture",
        "--perf",
        "-q",
        "-o",
        join(dir, "t.vmtb"),
        "--",
        "sh",
        "-c",
        "command -v cat",
      ],
      env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    equal(out.code, 0, dec.decode(out.stderr));
    equal(dec.decode(out.stdout).trim(), join(dir, "bin", "cat"));
  },
);
