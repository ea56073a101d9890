/*
 * probe.h: what every calibration probe shares (x86-64 Linux only).
 *
 * A probe performs memory operations in measured phases and writes, as it goes, the vmtrace of
 * exactly what it did (trace file) and the kernel's own counts per phase (results file:
 * "LABEL PID MINFLT MAJFLT PSWPIN PSWPOUT" lines: getrusage deltas of the process that ran the
 * phase, and /proc/vmstat deltas of the pages swapped in and out meanwhile).
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
 *
 * Pressure probes (pressure_init instead of probe_init) run inside a memory cgroup with a swap
 * file, both made by `vmreplay calibrate`, which passes their paths. See pressure_init.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
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
  char vbuf[16384];   /* /proc/vmstat */
  unsigned long tlen, rlen;
  int tfd, rfd;
  int pressure;       /* inside a memory cgroup (pressure_init) */
  int zero_page;      /* the kernel maps the zero page on read faults (kernel_has_zero_page) */
  char cg[400];       /* that cgroup's directory */
  long pid;
  long min0, maj0, in0, out0;
  long root;          /* the pid of the process that called pressure_init */
  long kbase;         /* the cgroup's kernel memory when that process joined it, bytes */
  long kdesc;         /* pages of it the trace describes (describe_kernel_memory) */
  char label[96];
  char name[64];
};
static struct probe_state S __attribute__((aligned(4096)));

static __attribute__((unused)) void die(const char *what) {
  fprintf(stderr, "probe %s: %s failed\n", S.name, what);
  _exit(3);
}

/* --- text output without libc ------------------------------------------------------------ */
static void flush_trace(void);
static __attribute__((unused)) void put(const char *s) {
  /* A long phase (thousands of events) moves its trace out of S.tbuf as it goes (flush_trace):
   * nothing it touches is new. */
  if (S.tlen > sizeof S.tbuf - 256) flush_trace();
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
/* A pressure probe's output, kept in memory until it ends (pressure_init, probe_done): a write(2)
 * inside the cgroup would charge page-cache pages to it that the trace does not describe, and
 * writing them out between phases (fdatasync) sent the disk a cache flush (a FLUSH request, with
 * the journal's commit) that delayed the next phase's first swap writes: measured on Linux 6.18,
 * 1.2 to 2.7 ms against 0.2-0.4 ms in mid-phase, so the first reclaim of a phase or after a fork
 * scanned 160 to 950 pages before a write completed, against 16-54. Shared (MAP_SHARED), so a
 * child appends to it too; its pages are charged to the cgroup the probe started in. */
struct out_area {
  unsigned long tlen, rlen;
  char t[8UL << 20]; /* trace */
  char r[1UL << 16]; /* results */
};
static struct out_area *OUT;

static void out_append(char *dst, unsigned long *len, unsigned long cap, const char *src,
                       unsigned long n) {
  if (*len + n > cap) die("keep the output in memory (too long)");
  for (unsigned long i = 0; i < n; i++) dst[*len + i] = src[i];
  *len += n;
}

static void flush_trace(void) {
  if (OUT) out_append(OUT->t, &OUT->tlen, sizeof OUT->t, S.tbuf, S.tlen);
  else write_all(S.tfd, S.tbuf, S.tlen);
  S.tlen = 0;
}
static __attribute__((unused)) void flush(void) {
  flush_trace();
  if (OUT) out_append(OUT->r, &OUT->rlen, sizeof OUT->r, S.rbuf, S.rlen);
  else write_all(S.rfd, S.rbuf, S.rlen);
  S.rlen = 0;
}

/* --- touching everything a phase may touch ---------------------------------------------------- */
static __attribute__((unused)) void __attribute__((noinline)) touch_stack(void) {
  volatile char buf[65536];
  for (unsigned long i = 0; i < sizeof buf; i += 256) buf[i] = 0;
}

/* Whether a mapping starting at `s` is one of the probe's own areas: they and the areas its trace
 * describes lie within 2 TiB below BASE and 1 TiB above. The probe's program, heap, libraries and
 * stack lie elsewhere (a position-independent executable at 0x55..., libraries and the stack at
 * 0x7f...: all above BASE, which an earlier test, `s >= BASE`, took for the probe's areas). */
static int probe_area(unsigned long s) {
  return s >= BASE - 0x20000000000UL && s < BASE + 0x10000000000UL;
}

/* Whether `line` of /proc/self/maps is a readable mapping of the probe's own (its program, heap,
 * libraries, stack: not one of its areas, nor [vvar] or [vsyscall]); if so its range and
 * permissions are in *s, *e and perms. */
static int own_mapping(const char *line, unsigned long *s, unsigned long *e, char perms[8]) {
  if (sscanf(line, "%lx-%lx %7s", s, e, perms) != 3) return 0;
  return perms[0] == 'r' && !probe_area(*s) && !strstr(line, "[vvar") &&
         !strstr(line, "[vsyscall]");
}

/* Reads one byte of every page of every readable mapping but the probe's areas (the program, its
 * heap and stack, libc). */
static __attribute__((unused)) void touch_mappings(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) die("open /proc/self/maps");
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    if (!own_mapping(line, &s, &e, perms)) continue;
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

/* The value of the line starting `key` in S.vbuf ("KEY VALUE" of /proc/vmstat and memory.stat,
 * "KEY:   VALUE kB" of smaps_rollup: key includes the colon), or -1. */
static long vbuf_field(const char *key) {
  unsigned long klen = strlen(key);
  for (char *p = S.vbuf; *p;) {
    if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
      long v = 0;
      for (p += klen; *p == ' '; p++) {}
      for (; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
      return v;
    }
    while (*p && *p != '\n') p++;
    if (*p) p++;
  }
  return -1;
}

/* Reads file `path` into S.vbuf with raw system calls (a buffer the process has touched: no
 * fault, no allocation). Returns 0, or -1 when it cannot be opened. */
static int read_vbuf(const char *path) {
  long fd = sc6(SYS_open, (long)path, O_RDONLY, 0, 0, 0, 0);
  if (fd < 0) return -1;
  unsigned long n = 0;
  long r;
  while (n < sizeof S.vbuf - 1 &&
         (r = sc6(SYS_read, fd, (long)(S.vbuf + n), (long)(sizeof S.vbuf - 1 - n), 0, 0, 0)) > 0) {
    n += (unsigned long)r;
  }
  sc6(SYS_close, fd, 0, 0, 0, 0, 0);
  S.vbuf[n] = 0;
  return 0;
}

/* Pages swapped in and out so far, machine-wide (/proc/vmstat pswpin, pswpout), read with raw
 * system calls into a buffer the process has touched: no fault, no allocation. */
static __attribute__((unused)) void swap_now(long *in, long *out) {
  if (read_vbuf("/proc/vmstat") != 0) die("open /proc/vmstat");
  *in = vbuf_field("pswpin");
  *out = vbuf_field("pswpout");
}

/* --- phases -------------------------------------------------------------------------------------- */
static void describe_kernel_memory(void);

static __attribute__((unused)) void phase_begin(const char *label) {
  strncpy(S.label, label, sizeof S.label - 1);
  describe_kernel_memory();
  put("- mark ");
  put(label);
  put("\n");
  flush();
  touch_mappings();
  prepare();
  long a, b;
  swap_now(&a, &b); /* warms the call paths */
  rusage_now(&a, &b);
  swap_now(&S.in0, &S.out0);
  rusage_now(&S.min0, &S.maj0);
}

static __attribute__((unused)) void phase_end(void) {
  long min1, maj1, in1, out1;
  rusage_now(&min1, &maj1);
  swap_now(&in1, &out1);
  /* results line, built in rbuf with the same helpers via a swap of buffers */
  unsigned long keep = S.tlen;
  char *r = S.rbuf + S.rlen;
  char line[200];
  int n = snprintf(line, sizeof line, "%s %ld %ld %ld %ld %ld\n", S.label, S.pid, min1 - S.min0,
                   maj1 - S.maj0, in1 - S.in0, out1 - S.out0);
  memcpy(r, line, (size_t)n);
  S.rlen += (unsigned long)n;
  S.tlen = keep;
  put("- mark idle:");
  put(S.label);
  put("\n");
  flush();
}

/* --- operations: each performs the call and records its vmtrace line ---------------------------- */
/* The trace line of an area mapped at addr (object 0: anonymous, no object or offset). */
static void put_mmap(unsigned long addr, unsigned long len, long off, const char *vprot,
                     const char *vflags, const char *object) {
  put_pid(); put("mmap "); put_hex(addr); put(" "); put_dec((long)len); put(" ");
  put(vprot); put(" "); put(vflags);
  if (object) { put(" "); put(object); put(" "); put_dec(off); }
  put("\n");
}
static __attribute__((unused)) void op_mmap(unsigned long addr, unsigned long len, int prot, int flags, int fd, long off,
                    const char *vprot, const char *vflags, const char *object) {
  long r = sc6(SYS_mmap, (long)addr, (long)len, prot, flags | MAP_FIXED, fd, off);
  if (r != (long)addr) die("mmap");
  put_mmap(addr, len, off, vprot, vflags, object);
}
/* The probes' commonest area: private anonymous memory, read-write, at addr. */
static __attribute__((unused)) void op_mmap_anon(unsigned long addr, unsigned long len) {
  op_mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-", "private,anon", 0);
}
static __attribute__((unused)) void op_munmap(unsigned long addr, unsigned long len) {
  if (sc6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0) != 0) die("munmap");
  put_pid(); put("munmap "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
}
static __attribute__((unused)) void op_mlock(unsigned long addr, unsigned long len) {
  if (sc6(SYS_mlock, (long)addr, (long)len, 0, 0, 0, 0) != 0) die("mlock");
  put_pid(); put("mlock "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
}
static __attribute__((unused)) void op_munlock(unsigned long addr, unsigned long len) {
  if (sc6(SYS_munlock, (long)addr, (long)len, 0, 0, 0, 0) != 0) die("munlock");
  put_pid(); put("munlock "); put_hex(addr); put(" "); put_dec((long)len); put("\n");
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
/* A phase that only loads from every page of [addr, addr+len). */
static __attribute__((unused)) void phase_read(const char *label, unsigned long addr, unsigned long len) {
  phase_begin(label);
  op_read(addr, len);
  phase_end();
}
/* A phase that loads from pages order[0..n) of the area at addr, one page each, in that order. */
static __attribute__((unused)) void phase_read_pages(const char *label, unsigned long addr,
                                                     const unsigned long *order, unsigned long n) {
  phase_begin(label);
  for (unsigned long i = 0; i < n; i++) op_read(addr + order[i] * PAGE, PAGE);
  phase_end();
}
/* Three phases: "write" stores to every page of [addr, addr+len) (under pressure, what does not
 * fit the cgroup goes to swap), "read" loads from every page back in order, "read-again" does it
 * once more. */
static __attribute__((unused)) void phases_write_read_twice(unsigned long addr, unsigned long len) {
  phase_write("write", addr, len);
  phase_read("read", addr, len);
  phase_read("read-again", addr, len);
}
/* A line of the trace that the probe does not perform through an op_ helper. */
static __attribute__((unused)) void op_line(const char *text) { put_pid(); put(text); put("\n"); }

/* --- processes ------------------------------------------------------------------------------------ */
struct baton { int to_child[2], to_parent[2]; };

static __attribute__((unused)) void wait_on(int fd) {
  char c;
  long n = read(fd, &c, 1);
  /* End of file: the other process is gone (killed: by the memory cgroup's OOM killer when the
   * probe does not fit its swap), and no baton will come. */
  if (n == 0) die("waiting for the other process (it is gone: killed?)");
  if (n != 1) die("read baton");
}
static __attribute__((unused)) void signal_on(int fd) {
  flush();
  if (write(fd, "x", 1) != 1) die("passing the baton to the other process (is it gone?)");
}

static long read_number(const char *path);

/* Kernel memory the probe's cgroup is charged for, in bytes (v1 memory.kmem.usage_in_bytes, v2
 * memory.stat's kernel), read without fault or allocation; -1 when it cannot be read. */
static long cgroup_kernel_bytes(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/memory.kmem.usage_in_bytes", S.cg);
  long b = read_number(path);
  if (b >= 0) return b;
  snprintf(path, sizeof path, "%s/memory.stat", S.cg);
  return read_vbuf(path) == 0 ? vbuf_field("kernel") : -1;
}

/* Where a pressure probe's trace puts the child's own memory (child_own_memory): below BASE, apart
 * from every area a probe maps. */
#define CHILD_KERNEL_AREA (BASE - 0x10000000000UL)
#define CHILD_COPIES_AREA (BASE - 0x8000000000UL)
#define CHILD_ZERO_AREA (BASE - 0x4000000000UL)

/* Pages of the probe's own private writable mappings (not its areas) that the process holds alone
 * (a child's copies on write since the fork, or pages new since) and that are all zeros: Linux
 * 6.12 and later reclaim such a page without a write (the swap zeromap), so it goes at once. */
static long own_zero_pages(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  int pm = open("/proc/self/pagemap", O_RDONLY);
  if (!f || pm < 0) die("open /proc/self/maps and pagemap");
  char line[512];
  long n = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    if (!own_mapping(line, &s, &e, perms) || perms[1] != 'w' || perms[3] != 'p') continue;
    for (unsigned long a = s; a < e; a += PAGE) {
      uint64_t v;
      if (pread(pm, &v, sizeof v, (off_t)(a / PAGE * sizeof v)) != (ssize_t)sizeof v) break;
      if (!(v >> 63) || !((v >> 56) & 1)) continue; /* not present, or mapped more than once */
      const unsigned long *w = (const unsigned long *)a;
      unsigned long i = 0;
      while (i < PAGE / sizeof *w && w[i] == 0) i++;
      if (i == PAGE / sizeof *w) n++;
    }
  }
  close(pm);
  fclose(f);
  return n;
}

/* Trace lines for `pages` of private anonymous memory at `addr` that the process holds without
 * having mapped them itself: their mmap, then `op` ("w", "mlock") over all of them. */
static void described_area(unsigned long addr, long pages, const char *op) {
  char line[128];
  snprintf(line, sizeof line, "mmap 0x%lx %ld rw- private,anon", addr, pages * (long)PAGE);
  op_line(line);
  snprintf(line, sizeof line, "%s 0x%lx %ld", op, addr, pages * (long)PAGE);
  op_line(line);
}

/* Where a pressure probe's trace puts the kernel memory its cgroup is charged for
 * (describe_kernel_memory): below BASE, apart from the child's own memory and every probe's area. */
#define KERNEL_AREA (BASE - 0x18000000000UL)
/* A page shared with every child (MAP_SHARED, charged outside the cgroup): the kernel memory, in
 * pages, that the children alive have described themselves (child_own_memory). */
static long *KSHARED;

/* Under pressure, the cgroup is charged for kernel memory that no operation of the trace
 * describes: page tables (GFP_PGTABLE_USER has __GFP_ACCOUNT), the xarray nodes of page-cache
 * objects (tmpfs, System V, files), the buffer heads a disk file's pages get when write(2) fills
 * them (ext4: about 122 pages for 16 MiB), VMAs and the like. At each phase's start the process
 * that joined the cgroup measures it (the cgroup's kernel memory since it joined, less what living
 * children described) and the trace describes what it grew or shrank by since the last phase:
 * locked anonymous pages at KERNEL_AREA (the kernel never reclaims them), mapped and locked as it
 * grows, unmapped from the top as it shrinks (buffer heads go with the file pages reclaim drops). A
 * phase's own growth is described at the next phase's start, or as the process forks (probe_fork):
 * the child's phases describe only the child's. */
static void describe_kernel_memory(void) {
  if (!S.pressure || S.pid != S.root) return;
  long b = cgroup_kernel_bytes();
  if (b < 0) return;
  long now = (b - S.kbase) / (long)PAGE - (KSHARED ? *KSHARED : 0);
  if (now < 0) now = 0;
  char line[128];
  if (now > S.kdesc) {
    described_area(KERNEL_AREA + (unsigned long)S.kdesc * PAGE, now - S.kdesc, "mlock");
  } else if (now < S.kdesc) {
    snprintf(line, sizeof line, "munmap 0x%lx %ld", KERNEL_AREA + (unsigned long)now * PAGE,
             (S.kdesc - now) * (long)PAGE);
    op_line(line);
  }
  S.kdesc = now;
}

/* Under pressure, a child takes memory from the cgroup that no operation of the trace describes:
 * its fork charges kernel memory (page tables, kernel stack, task), and the child copies on write
 * the probe's own pages it writes (stack, buffers, library data: measured, 39-40 and 48 pages in
 * swap_fork on Linux 6.18). They are pages the child's first reclaims meet on the LRU, and
 * without them the simulator's reclaim took a different course through the fork probes (the
 * parent's read-back, 18% fewer swap-ins, when mem= moved a page). So the child writes what it
 * will write (touch_mappings, prepare), measures both (the cgroup's kernel memory against
 * `kernel0`, read before the fork; smaps_rollup's Private_Dirty: its pages copied, or new, since
 * the fork) and the trace describes them: the kernel memory as locked anonymous pages (the kernel
 * never reclaims it), the copies as written anonymous pages, both freed as the child exits. */
static void child_own_memory(long kernel0) {
  touch_mappings();
  prepare();
  long zeros = own_zero_pages();
  long kernel1 = cgroup_kernel_bytes();
  long copies = read_vbuf("/proc/self/smaps_rollup") == 0 ? vbuf_field("Private_Dirty:") : -1;
  if (copies < 0) die("read /proc/self/smaps_rollup");
  /* A kernel that reports no kernel memory for the cgroup (v1 without kmem accounting, v2 before
   * memory.stat's "kernel"): the copies only. */
  long kpages = kernel0 < 0 || kernel1 < 0 ? 0 : (kernel1 - kernel0) / (long)PAGE;
  if (kpages < 0) kpages = 0;
  long cpages = copies * 1024 / (long)PAGE;
  /* The zero-filled copies are described as reads of fresh anonymous memory: on a kernel without the
   * zero page such a read takes a zero-filled page, as they are (with it, it would take none). */
  if (S.zero_page) zeros = 0;
  else if (zeros > cpages) zeros = cpages;
  char line[300];
  snprintf(line, sizeof line,
           "# the child's own memory: its fork's kernel memory, %ld pages (locked: never reclaimed), "
           "and the probe's pages it copied on write, %ld (%ld of them zero-filled)\n",
           kpages, cpages, zeros);
  put(line);
  if (kpages > 0) described_area(CHILD_KERNEL_AREA, kpages, "mlock");
  if (KSHARED) __atomic_add_fetch(KSHARED, kpages, __ATOMIC_SEQ_CST);
  S.kdesc = kpages; /* what child_exit takes back */
  if (cpages > zeros) described_area(CHILD_COPIES_AREA, cpages - zeros, "w");
  if (zeros > 0) described_area(CHILD_ZERO_AREA, zeros, "r");
}

/* Forks; the child waits until the parent has written the fork event (then, under pressure,
 * describes its own memory: child_own_memory). Returns as fork(). */
static __attribute__((unused)) long probe_fork(struct baton *b) {
  /* The kernel memory the process grew by since its phase began (the page tables of the memory it
   * wrote), described now: the child's phases do not describe the parent's. */
  describe_kernel_memory();
  flush();
  if (pipe(b->to_child) || pipe(b->to_parent)) die("pipe");
  long kernel0 = S.pressure ? cgroup_kernel_bytes() : 0;
  long child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    /* Each side keeps only its own ends, so a read sees the end of file once the other side is
     * gone rather than waiting for ever. */
    close(b->to_child[1]);
    close(b->to_parent[0]);
    S.pid = getpid();
    wait_on(b->to_child[0]);
    if (S.pressure) child_own_memory(kernel0);
    return 0;
  }
  close(b->to_child[0]);
  close(b->to_parent[1]);
  put_pid(); put("fork "); put_dec(child); put("\n");
  signal_on(b->to_child[1]);
  return child;
}
/* Lets the other side of the baton run until it passes it back. */
static __attribute__((unused)) void parent_yield(struct baton *b) { signal_on(b->to_child[1]); wait_on(b->to_parent[0]); }
static __attribute__((unused)) void child_yield(struct baton *b) { signal_on(b->to_parent[1]); wait_on(b->to_child[0]); }

static __attribute__((unused)) void child_exit(struct baton *b) {
  if (KSHARED && S.pid != S.root) __atomic_sub_fetch(KSHARED, S.kdesc, __ATOMIC_SEQ_CST);
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

/* What every probe does first: THP off, SIGPIPE ignored, its outputs (argv[1] the trace, argv[2]
 * the results) opened. */
static void probe_start(char **argv) {
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) die("prctl(PR_SET_THP_DISABLE)");
  /* A baton passed to a process that is gone fails with EPIPE (and says so) instead of killing. */
  signal(SIGPIPE, SIG_IGN);
  S.tfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  S.rfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (S.tfd < 0 || S.rfd < 0) die("open outputs");
  S.pid = getpid();
}

static __attribute__((unused)) void probe_init(int argc, char **argv, const char *name) {
  strncpy(S.name, name, sizeof S.name - 1);
  if (argc != 3) {
    fprintf(stderr, "usage: %s TRACE RESULTS\n", argv[0]);
    exit(2);
  }
  probe_start(argv);
  put(kernel_has_zero_page() ? "vmtrace 1 mem=256M\n" : "vmtrace 1 mem=256M zero_page=0\n");
  put("# calibration probe ");
  put(name);
  put("\n");
  flush();
}

/* probe_init, then the probe's area: len bytes of private anonymous memory at BASE. */
static __attribute__((unused)) void probe_init_anon(int argc, char **argv, const char *name,
                                                    unsigned long len) {
  probe_init(argc, argv, name);
  op_mmap_anon(BASE, len);
}

/* --- memory pressure ------------------------------------------------------------------------------
 * A pressure probe runs as `PROBE TRACE RESULTS CGROUP SWAPFILE`: `vmreplay calibrate` has made the
 * memory cgroup CGROUP (a directory of cgroup v1's memory hierarchy or of cgroup v2) and switched
 * the swap file SWAPFILE on, and removes both afterwards. pressure_init() touches everything the
 * probe's own code uses (charged to the cgroup it runs in, not to CGROUP), sets CGROUP's limit,
 * moves the process into it (children it forks stay there) and writes the trace's header: mem=
 * the limit less what CGROUP holds once the process is in (its pages and kernel memory, not the
 * charge stock: cgroup_held_pages), swap= the swap file's size, memcg=1
 * (reclaim at the limit, as a memory cgroup does), and the kernel's settings that the replay
 * models: zero_page, page_cluster (vm.page-cluster), vma_ra (/sys/kernel/mm/swap/vma_ra_enabled,
 * unless a swap area is on a rotational disk: then 0, as Linux reads ahead by slot),
 * read_ahead_kb (of the device holding TRACE's directory, where the probes make their files),
 * swappiness (cgroup v1: CGROUP's memory.swappiness, which it took from vm.swappiness when it was
 * made; cgroup v2: vm.swappiness) and, when that directory's files get no large page-cache folios
 * (dir_large_folios), large_folios=0.
 */

/* The first number in file `path`; -1 when it cannot be read. "true"/"false" read as 1/0. */
static long read_number(const char *path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  if (strncmp(buf, "true", 4) == 0) return 1;
  if (strncmp(buf, "false", 5) == 0) return 0;
  if (strncmp(buf, "max", 3) == 0) return -1;
  return strtol(buf, NULL, 10);
}

/* Writes `text` to file `path` (a sysfs or cgroup file); 0, or -1 when it cannot. */
static int try_write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int ok = write(fd, text, strlen(text)) == (long)strlen(text);
  close(fd);
  return ok ? 0 : -1;
}

static void write_text(const char *path, const char *text) {
  if (try_write_text(path, text) != 0) {
    fprintf(stderr, "probe %s: cannot write '%s' to %s\n", S.name, text, path);
    _exit(3);
  }
}

/* Size in KiB of swap area `path` as /proc/swaps shows it (its header page excluded), or -1. */
static long swap_kib(const char *path) {
  FILE *f = fopen("/proc/swaps", "r");
  if (!f) return -1;
  char line[512], name[400];
  long kib = -1, size;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%399s %*s %ld", name, &size) == 2 && strcmp(name, path) == 0) kib = size;
  }
  fclose(f);
  return kib;
}

/* Whether the block device `dev` (or, for a partition, its disk) is rotational. */
static int dev_rotational(dev_t dev) {
  char path[128];
  snprintf(path, sizeof path, "/sys/dev/block/%u:%u/queue/rotational", major(dev), minor(dev));
  long r = read_number(path);
  if (r < 0) {
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/../queue/rotational", major(dev),
             minor(dev));
    r = read_number(path);
  }
  return r == 1;
}

/* Whether a swap area in /proc/swaps lies on a rotational disk: Linux then reads anonymous
 * memory ahead by swap slot, whatever vma_ra_enabled says (swap_use_vma_readahead). */
static int swap_rotational(void) {
  FILE *f = fopen("/proc/swaps", "r");
  if (!f) return 0;
  char line[512], name[400];
  int rot = 0;
  while (fgets(line, sizeof line, f)) {
    struct stat st;
    if (sscanf(line, "%399s", name) != 1 || name[0] != '/' || stat(name, &st) != 0) continue;
    if (dev_rotational(S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev)) rot = 1;
  }
  fclose(f);
  return rot;
}

/* read_ahead_kb of the block device holding directory `dir` (its backing device), or 128. */
static long device_read_ahead_kb(const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0) return 128;
  char path[128];
  snprintf(path, sizeof path, "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
           minor(st.st_dev));
  long kb = read_number(path);
  return kb < 0 ? 128 : kb;
}

/* Whether this kernel gives files in directory `dir` large page-cache folios (readahead makes
 * them, a fault maps a whole one): ext4 since Linux 6.16, XFS since 5.18; 1 when it cannot tell. */
static int dir_large_folios(const char *dir) {
  struct statfs fs;
  struct utsname u;
  int major = 0, minor = 0;
  if (statfs(dir, &fs) != 0 || uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
    return 1;
  }
  long version = major * 1000L + minor;
  if (fs.f_type == 0xEF53) return version >= 6016;     /* EXT4_SUPER_MAGIC */
  if (fs.f_type == 0x58465342) return version >= 5018; /* XFS_SUPER_MAGIC */
  return 0;
}

/* Pages the memory cgroup `dir` charges now (v1 memory.usage_in_bytes, v2 memory.current). This
 * includes the charge stock: pages precharged for a CPU's next allocations (up to 64 a CPU,
 * MEMCG_CHARGE_BATCH), which the process uses before the cgroup charges anything more. */
static long cgroup_usage_pages(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/memory.usage_in_bytes", dir);
  long b = read_number(path);
  if (b < 0) {
    snprintf(path, sizeof path, "%s/memory.current", dir);
    b = read_number(path);
  }
  if (b < 0) die("read the cgroup's usage");
  return b / (long)PAGE;
}

/* The sum of the values of `keys` (a NULL-ended list) in the "KEY VALUE" lines of `path`, in bytes,
 * or -1 when the file cannot be read or has none of them. Read with raw system calls into S.vbuf:
 * stdio's buffer for a cgroup file (4 KiB) would be the process's first write to a heap page after
 * it joined the cgroup, which charges that page to the cgroup (measured with /proc/kpagecgroup:
 * then the first page the probe swaps out, one its trace does not describe). */
static long sum_stat(const char *path, const char *const *keys) {
  if (read_vbuf(path) != 0) return -1;
  long sum = 0;
  int found = 0;
  for (const char *const *k = keys; *k; k++) {
    long v = vbuf_field(*k);
    if (v >= 0) {
      sum += v;
      found = 1;
    }
  }
  return found ? sum : -1;
}

/* Pages the memory cgroup `dir` really holds: its pages on the LRU lists and the kernel memory
 * charged to it (v1: memory.stat rss and cache, and memory.kmem.usage_in_bytes; v2: memory.stat
 * anon, file and kernel), without the charge stock that its usage includes (cgroup_usage_pages). */
static long cgroup_held_pages(const char *dir) {
  static const char *const v1[] = {"rss", "cache", NULL};
  static const char *const v2[] = {"anon", "file", "kernel", NULL};
  char path[512];
  snprintf(path, sizeof path, "%s/memory.kmem.usage_in_bytes", dir);
  long kmem = read_number(path);
  snprintf(path, sizeof path, "%s/memory.stat", dir);
  long b = sum_stat(path, kmem >= 0 ? v1 : v2);
  if (b < 0) die("read the cgroup's memory.stat");
  return (b + (kmem > 0 ? kmem : 0) + (long)PAGE - 1) / (long)PAGE;
}

/* Linux's slot readahead (swap_cluster_readahead, swapin_nr_pages) keeps its history machine-wide:
 * the readahead hits since the last swap-in, the last window and the last offset, as whatever
 * swapped in before left them (an earlier probe run: measured, a strided read-back then took 5 to
 * 1282 minor faults depending on the run before it). The simulator starts a trace with none.
 * prime_readahead() brings the kernel to that state. Inside the cgroup, under a limit of
 * PRIME_LIMIT, it writes PRIME_PAGES pages (the first ones go to swap) and reads back PRIME_READS
 * of them far apart: no readahead hit, no adjacent offset, so each window is half the previous one
 * down to one page, and no hit is pending. Then it unmaps them and switches the swap file off and
 * on again (same priority), so that the probe's pages get the swap file's first slots, as on a
 * swap file just switched on. */
#define PRIME_BASE (BASE - 0x100000000UL)
#define PRIME_PAGES 1024UL
#define PRIME_READS 8UL
#define PRIME_STRIDE 40UL
#define PRIME_LIMIT (2UL << 20)
#define SWAP_PRIORITY 32767

static void set_limit(const char *cg, unsigned long bytes) {
  char path[512], text[64];
  snprintf(text, sizeof text, "%lu", bytes);
  snprintf(path, sizeof path, "%s/memory.limit_in_bytes", cg);
  if (access(path, F_OK) != 0) snprintf(path, sizeof path, "%s/memory.max", cg);
  write_text(path, text);
}

static void prime_readahead(const char *cg, const char *swapfile) {
  set_limit(cg, PRIME_LIMIT);
  volatile char *p = mmap((void *)PRIME_BASE, PRIME_PAGES * PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (p == MAP_FAILED) die("mmap (readahead priming)");
  for (unsigned long i = 0; i < PRIME_PAGES; i++) p[i * PAGE] = 1;
  for (unsigned long i = 0; i < PRIME_READS; i++) (void)p[i * PRIME_STRIDE * PAGE];
  if (munmap((void *)p, PRIME_PAGES * PAGE) != 0) die("munmap (readahead priming)");
  if (swapoff(swapfile) != 0) die("swapoff (readahead priming)");
  int flags = SWAP_FLAG_PREFER | ((SWAP_PRIORITY << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
  if (swapon(swapfile, flags) != 0) die("swapon (readahead priming)");
}

static __attribute__((unused)) char PROBE_DIR[400];

static __attribute__((unused)) void pressure_init(int argc, char **argv, const char *name,
                                                  unsigned long limit) {
  strncpy(S.name, name, sizeof S.name - 1);
  if (argc != 5) {
    fprintf(stderr, "usage: %s TRACE RESULTS CGROUP SWAPFILE (run by vmreplay calibrate)\n",
            argv[0]);
    exit(2);
  }
  const char *cg = argv[3], *swapfile = argv[4];
  strncpy(S.cg, cg, sizeof S.cg - 1);
  probe_start(argv);
  char tmp[400];
  strncpy(tmp, argv[1], sizeof tmp - 1);
  strncpy(PROBE_DIR, dirname(tmp), sizeof PROBE_DIR - 1);
  int zero = kernel_has_zero_page();
  S.zero_page = zero;
  KSHARED = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (KSHARED == MAP_FAILED) die("mmap (shared counts)");
  *KSHARED = 0;
  OUT = mmap(NULL, sizeof *OUT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (OUT == MAP_FAILED) die("mmap (output)");
  memset(OUT, 0, sizeof *OUT); /* its pages now, outside the cgroup */
  /* Everything the probe's own code touches is charged before it joins: the cgroup holds only
   * what the trace describes (and the kernel memory that goes with it: describe_kernel_memory). */
  touch_mappings();
  prepare();
  char path[512], text[64];
  snprintf(path, sizeof path, "%s/cgroup.procs", cg);
  snprintf(text, sizeof text, "%ld", S.pid);
  set_limit(cg, PRIME_LIMIT);
  write_text(path, text);
  prime_readahead(cg, swapfile);
  set_limit(cg, limit);
  long cluster = read_number("/proc/sys/vm/page-cluster");
  long vma_ra = read_number("/sys/kernel/mm/swap/vma_ra_enabled");
  int rotational = swap_rotational();
  long ra_kb = device_read_ahead_kb(PROBE_DIR);
  long swap = swap_kib(swapfile);
  snprintf(path, sizeof path, "%s/memory.swappiness", cg);
  long swappiness = read_number(path);
  if (swappiness < 0) swappiness = read_number("/proc/sys/vm/swappiness");
  if (cluster < 0 || vma_ra < 0 || swappiness < 0) {
    die("read vm.page-cluster, vma_ra_enabled and vm.swappiness");
  }
  if (swap <= 0) die("find the swap file in /proc/swaps");
  long usage = cgroup_usage_pages(cg);
  long held = cgroup_held_pages(cg);
  S.kbase = cgroup_kernel_bytes();
  S.root = S.pid;
  S.pressure = 1;
  char head[300];
  snprintf(head, sizeof head,
           "vmtrace 1 mem=%luK swap=%ldK memcg=1 page_cluster=%ld vma_ra=%ld read_ahead_kb=%ld"
           " swappiness=%ld%s%s\n",
           (limit / PAGE - (unsigned long)held) * 4, swap, cluster, (long)(vma_ra && !rotational),
           ra_kb, swappiness, zero ? "" : " zero_page=0",
           dir_large_folios(PROBE_DIR) ? "" : " large_folios=0");
  put(head);
  if (vma_ra && rotational) {
    put("# vma_ra=0: vma_ra_enabled is true, but a swap area is on a rotational disk, so Linux\n");
    put("# reads anonymous memory ahead by swap slot (swap_use_vma_readahead)\n");
  }
  put("# calibration probe ");
  put(name);
  put(" in a memory cgroup of ");
  put_dec((long)(limit >> 10));
  put("K holding ");
  put_dec(held * 4);
  put("K when it joined (usage ");
  put_dec(usage * 4);
  put("K with the charge stock)\n");
  flush();
}

/* pressure_init, then the probe's area: len bytes of private anonymous memory at BASE. */
static __attribute__((unused)) void pressure_init_anon(int argc, char **argv, const char *name,
                                                       unsigned long limit, unsigned long len) {
  pressure_init(argc, argv, name, limit);
  op_mmap_anon(BASE, len);
}

/* Names an object KIND NAME (kind "tmpfs:" or "shm:") into object (size bytes) and writes its
 * trace line "create OBJECT LEN". */
static __attribute__((unused)) void put_create(char *object, unsigned long size, const char *kind,
                                               const char *name, unsigned long len) {
  object[0] = 0;
  strncat(object, kind, size - 1);
  strncat(object, name, size - strlen(object) - 1);
  put_pid(); put("create "); put(object); put(" "); put_dec((long)len); put("\n");
}

/* A tmpfs file of len bytes (a memfd called `name`, sized with ftruncate), mapped shared and
 * read-write at addr; the trace names it tmpfs:NAME. */
static __attribute__((unused)) void tmpfs_area(const char *name, unsigned long addr,
                                               unsigned long len) {
  int fd = memfd_create(name, 0);
  if (fd < 0) die("memfd_create");
  if (ftruncate(fd, (long)len) != 0) die("ftruncate");
  char object[96];
  put_create(object, sizeof object, "tmpfs:", name, len);
  op_mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "rw-", "shared", object);
}

/* A System V segment of len bytes (IPC_PRIVATE), attached read-write at addr and marked for
 * removal at once (its pages stay until it is detached); the trace names it shm:NAME. */
static __attribute__((unused)) void shm_area(const char *name, unsigned long addr,
                                             unsigned long len) {
  int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
  if (id < 0) die("shmget");
  if (shmat(id, (void *)addr, 0) != (void *)addr) die("shmat");
  if (shmctl(id, IPC_RMID, 0) != 0) die("shmctl");
  char object[96];
  put_create(object, sizeof object, "shm:", name, len);
  put_mmap(addr, len, 0, "rw-", "shared", object);
  put_pid(); put("unlink "); put(object); put("\n");
}

/* A pseudo-random permutation of 0..n-1 (a fixed seed: every run makes the same one). */
static __attribute__((unused)) void shuffle(unsigned long *v, unsigned long n) {
  unsigned long x = 0x9e3779b97f4a7c15UL;
  for (unsigned long i = 0; i < n; i++) v[i] = i;
  for (unsigned long i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    unsigned long j = x % (i + 1), t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

static __attribute__((unused)) void probe_done(void) {
  op_line("exit");
  flush();
  if (OUT) {
    /* Out of the cgroup first (into its parent), so that writing the output reclaims nothing;
     * where the parent takes no process (cgroup v2 with controllers for its children) it is
     * written from inside. */
    char dir[sizeof S.cg], path[512], text[64];
    memcpy(dir, S.cg, sizeof dir);
    snprintf(path, sizeof path, "%s/cgroup.procs", dirname(dir));
    snprintf(text, sizeof text, "%ld", S.pid);
    (void)try_write_text(path, text);
    write_all(S.tfd, OUT->t, OUT->tlen);
    write_all(S.rfd, OUT->r, OUT->rlen);
  }
}
