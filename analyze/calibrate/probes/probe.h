/*
 * probe.h: what every calibration probe shares (x86-64 Linux only).
 *
 * A probe performs memory operations in measured phases and writes, as it goes, the vmtrace of
 * exactly what it did (trace file) and the kernel's own fault counts per phase (results file:
 * "LABEL PID MINFLT MAJFLT" lines, getrusage deltas of the process that ran the phase).
 *
 * Rules that keep the kernel's counts clean:
 * - Only one process runs a phase; the others wait on a pipe. Each phase is a `mark` of its own
 *   in the trace, followed by an "idle:LABEL" mark, so the simulator's per-phase counts are that
 *   process's counts too (per (pid, phase) comparison).
 * - Inside a phase nothing but our own code runs: system calls are raw `syscall` instructions,
 *   no libc, no errno, and output goes to a buffer that was written to before the phase began.
 * - Before each phase the process touches everything the phase's code may touch: every
 *   readable page of its own mappings (text, rodata, libc, after fork: lazily mapped in a child),
 *   writes to its state and to a deep stack area (copy-on-write after fork).
 * - THP is disabled (prctl PR_SET_THP_DISABLE), addresses are fixed (MAP_FIXED in a free range).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
/* A free range for the probes' areas, far from the program, its libraries, heap and stack. */
#define BASE 0x200000000000UL

static inline long sc6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

struct probe_state {
  char tbuf[1 << 16]; /* trace text of the current phase */
  char rbuf[4096];    /* results text */
  unsigned long tlen, rlen;
  int tfd, rfd;
  long pid;
  long min0, maj0;
  char label[96];
  char name[64];
};
static struct probe_state S __attribute__((aligned(4096)));

static __attribute__((unused)) void die(const char *what) {
  fprintf(stderr, "probe %s: %s failed\n", S.name, what);
  _exit(3);
}

/* --- text output without libc ------------------------------------------------------------ */
static __attribute__((unused)) void put(const char *s) {
  while (*s) S.tbuf[S.tlen++] = *s++;
}
static __attribute__((unused)) void put_dec(long v) {
  char tmp[24];
  int n = 0;
  if (v < 0) { S.tbuf[S.tlen++] = '-'; v = -v; }
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) S.tbuf[S.tlen++] = tmp[--n];
}
static __attribute__((unused)) void put_hex(unsigned long v) {
  char tmp[24];
  int n = 0;
  put("0x");
  do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  while (n) S.tbuf[S.tlen++] = tmp[--n];
}
static __attribute__((unused)) void put_pid(void) { put_dec(S.pid); put(" "); }

static __attribute__((unused)) void write_all(int fd, const char *p, unsigned long n) {
  while (n) {
    long w = sc6(SYS_write, fd, (long)p, (long)n, 0, 0, 0);
    if (w <= 0) die("write");
    p += w;
    n -= (unsigned long)w;
  }
}
static __attribute__((unused)) void flush(void) {
  write_all(S.tfd, S.tbuf, S.tlen);
  S.tlen = 0;
  write_all(S.rfd, S.rbuf, S.rlen);
  S.rlen = 0;
}

/* --- touching everything a phase may touch ---------------------------------------------------- */
static __attribute__((unused)) void __attribute__((noinline)) touch_stack(void) {
  volatile char buf[65536];
  for (unsigned long i = 0; i < sizeof buf; i += 256) buf[i] = 0;
}

/* Reads one byte of every page of every readable mapping below BASE (text, rodata, libc). */
static __attribute__((unused)) void touch_mappings(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) die("open /proc/self/maps");
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3) continue;
    if (perms[0] != 'r' || s >= BASE || strstr(line, "[vvar") || strstr(line, "[vsyscall]")) continue;
    for (unsigned long a = s; a < e; a += PAGE) (void)*(volatile char *)a;
  }
  fclose(f);
}

static __attribute__((unused)) void prepare(void) {
  for (unsigned long i = 0; i < sizeof S; i += 256) ((volatile char *)&S)[i] = ((char *)&S)[i];
  touch_stack();
}

static __attribute__((unused)) void rusage_now(long *minflt, long *majflt) {
  struct rusage ru;
  if (sc6(SYS_getrusage, RUSAGE_SELF, (long)&ru, 0, 0, 0, 0) != 0) die("getrusage");
  *minflt = ru.ru_minflt;
  *majflt = ru.ru_majflt;
}

/* --- phases -------------------------------------------------------------------------------------- */
static __attribute__((unused)) void phase_begin(const char *label) {
  strncpy(S.label, label, sizeof S.label - 1);
  put("- mark ");
  put(label);
  put("\n");
  flush();
  touch_mappings();
  prepare();
  long a, b;
  rusage_now(&a, &b); /* warms the call path */
  rusage_now(&S.min0, &S.maj0);
}

static __attribute__((unused)) void phase_end(void) {
  long min1, maj1;
  rusage_now(&min1, &maj1);
  /* results line, built in rbuf with the same helpers via a swap of buffers */
  unsigned long keep = S.tlen;
  char *r = S.rbuf + S.rlen;
  char line[160];
  int n = snprintf(line, sizeof line, "%s %ld %ld %ld\n", S.label, S.pid, min1 - S.min0,
                   maj1 - S.maj0);
  memcpy(r, line, (size_t)n);
  S.rlen += (unsigned long)n;
  S.tlen = keep;
  put("- mark idle:");
  put(S.label);
  put("\n");
  flush();
}

/* --- operations: each performs the call and records its vmtrace line ---------------------------- */
static __attribute__((unused)) void op_mmap(unsigned long addr, unsigned long len, int prot, int flags, int fd, long off,
                    const char *vprot, const char *vflags, const char *object) {
  long r = sc6(SYS_mmap, (long)addr, (long)len, prot, flags | MAP_FIXED, fd, off);
  if (r != (long)addr) die("mmap");
  put_pid(); put("mmap "); put_hex(addr); put(" "); put_dec((long)len); put(" ");
  put(vprot); put(" "); put(vflags);
  if (object) { put(" "); put(object); put(" "); put_dec(off); }
  put("\n");
}
/* The probes' commonest area: private anonymous memory, read-write, at addr. */
static __attribute__((unused)) void op_mmap_anon(unsigned long addr, unsigned long len) {
  op_mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-", "private,anon", 0);
}
static __attribute__((unused)) void op_munmap(unsigned long addr, unsigned long len) {
  if (sc6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0) != 0) die("munmap");
  put_pid(); put("munmap "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
}
static __attribute__((unused)) void op_mremap(unsigned long addr, unsigned long len, unsigned long naddr, unsigned long nlen) {
  /* In place (resize) when the address stays, else a move to the fixed new address. */
  long flags = naddr == addr ? 0 : MREMAP_MAYMOVE | MREMAP_FIXED;
  long r = sc6(SYS_mremap, (long)addr, (long)len, (long)nlen, flags, (long)naddr, 0);
  if (r != (long)naddr) die("mremap");
  put_pid(); put("mremap "); put_hex(addr); put(" "); put_dec((long)len); put(" ");
  put_hex(naddr); put(" "); put_dec((long)nlen); put("\n");
}
static __attribute__((unused)) void op_mprotect(unsigned long addr, unsigned long len, int prot, const char *vprot) {
  if (sc6(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0) != 0) die("mprotect");
  put_pid(); put("mprotect "); put_hex(addr); put(" "); put_dec((long)len); put(" "); put(vprot);
  put("\n");
}
static __attribute__((unused)) void op_madvise(unsigned long addr, unsigned long len, int advice, const char *vadvice) {
  if (sc6(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0) != 0) die("madvise");
  put_pid(); put("madvise "); put_hex(addr); put(" "); put_dec((long)len); put(" "); put(vadvice);
  put("\n");
}
/* One load of a byte in every page of [addr, addr+len), in order. */
static __attribute__((unused)) void op_read(unsigned long addr, unsigned long len) {
  for (unsigned long a = addr; a < addr + len; a += PAGE) (void)*(volatile char *)a;
  put_pid(); put("r "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
}
/* One store of a byte in every page of [addr, addr+len), in order. */
static __attribute__((unused)) void op_write(unsigned long addr, unsigned long len) {
  for (unsigned long a = addr; a < addr + len; a += PAGE) *(volatile char *)a = 1;
  put_pid(); put("w "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
}
/* A phase that only stores to every page of [addr, addr+len). */
static __attribute__((unused)) void phase_write(const char *label, unsigned long addr, unsigned long len) {
  phase_begin(label);
  op_write(addr, len);
  phase_end();
}
/* A line of the trace that the probe does not perform through an op_ helper. */
static __attribute__((unused)) void op_line(const char *text) { put_pid(); put(text); put("\n"); }

/* --- processes ------------------------------------------------------------------------------------ */
struct baton { int to_child[2], to_parent[2]; };

static __attribute__((unused)) void wait_on(int fd) {
  char c;
  if (read(fd, &c, 1) != 1) die("read baton");
}
static __attribute__((unused)) void signal_on(int fd) {
  flush();
  if (write(fd, "x", 1) != 1) die("write baton");
}

/* Forks; the child waits until the parent has written the fork event. Returns as fork(). */
static __attribute__((unused)) long probe_fork(struct baton *b) {
  flush();
  if (pipe(b->to_child) || pipe(b->to_parent)) die("pipe");
  long child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    S.pid = getpid();
    wait_on(b->to_child[0]);
    return 0;
  }
  put_pid(); put("fork "); put_dec(child); put("\n");
  signal_on(b->to_child[1]);
  return child;
}
/* Lets the other side of the baton run until it passes it back. */
static __attribute__((unused)) void parent_yield(struct baton *b) { signal_on(b->to_child[1]); wait_on(b->to_parent[0]); }
static __attribute__((unused)) void child_yield(struct baton *b) { signal_on(b->to_parent[1]); wait_on(b->to_child[0]); }

static __attribute__((unused)) void child_exit(struct baton *b) {
  op_line("exit");
  signal_on(b->to_parent[1]);
  _exit(0);
}
/* Waits for the child to finish (it passes the baton back as it exits). */
static __attribute__((unused)) void parent_reap(struct baton *b, long child) {
  wait_on(b->to_parent[0]);
  int st;
  if (waitpid((pid_t)child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    die("child");
  }
}

/* Whether a read fault on untouched private anonymous memory maps the shared zero page: then a
 * write after the read faults again. Some kernels are booted without it (pvm_no_zero_page): the
 * read allocates a page and the write does not fault. The trace's header says which (zero_page=0),
 * so the replay models the kernel it is compared with. */
static int kernel_has_zero_page(void) {
  volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap (zero page test)");
  struct rusage a, b;
  (void)p[0];
  getrusage(RUSAGE_SELF, &a);
  p[0] = 1;
  getrusage(RUSAGE_SELF, &b);
  munmap((void *)p, PAGE);
  return b.ru_minflt > a.ru_minflt;
}

static __attribute__((unused)) void probe_init(int argc, char **argv, const char *name) {
  strncpy(S.name, name, sizeof S.name - 1);
  if (argc != 3) {
    fprintf(stderr, "usage: %s TRACE RESULTS\n", argv[0]);
    exit(2);
  }
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) die("prctl(PR_SET_THP_DISABLE)");
  S.tfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  S.rfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (S.tfd < 0 || S.rfd < 0) die("open outputs");
  S.pid = getpid();
  put(kernel_has_zero_page() ? "vmtrace 1 mem=256M\n" : "vmtrace 1 mem=256M zero_page=0\n");
  put("# calibration probe ");
  put(name);
  put("\n");
  flush();
}

static __attribute__((unused)) void probe_done(void) {
  op_line("exit");
  flush();
}
