/* A tmpfs file (memfd) filled with write(2), mapped shared and private. Read faults do
 * fault-around (up to 16 pages already in the page cache, clamped to the area and to the
 * page-table page); write faults do not; pages fault-around maps into a shared writable mapping
 * are writable; a private mapping copies a page on its first write. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "tmpfs_file");
  const unsigned long n = 64 * PAGE;
  int fd = memfd_create("vmreplay-calibrate", 0);
  if (fd < 0) die("memfd_create");
  static char page[4096];
  memset(page, 7, sizeof page);
  for (unsigned long off = 0; off < n; off += PAGE) {
    if (write(fd, page, PAGE) != (long)PAGE) die("write memfd");
  }
  op_line("create tmpfs:vmreplay-calibrate 256K");
  op_line("write tmpfs:vmreplay-calibrate 0 256K");
  const unsigned long sh = BASE, pr = BASE + 0x10000000UL, odd = BASE + 0x20000000UL + 5 * PAGE;
  op_mmap(sh, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "rw-", "shared",
          "tmpfs:vmreplay-calibrate");
  op_mmap(pr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0, "rw-", "private",
          "tmpfs:vmreplay-calibrate");
  op_mmap(odd, 20 * PAGE, PROT_READ, MAP_SHARED, fd, 0, "r--", "shared",
          "tmpfs:vmreplay-calibrate");
  phase_read("shared-read", sh, n);
  phase_write("shared-write", sh, n);
  phase_write("private-write-first", pr, 16 * PAGE);
  phase_read("private-read", pr, n);
  phase_write("private-write-after-read", pr + 16 * PAGE, n - 16 * PAGE);
  phase_begin("unaligned-area-read");
  op_read(odd + 10 * PAGE, PAGE);
  op_read(odd, 20 * PAGE);
  phase_end();
  phase_begin("reverse-read");
  op_munmap(sh, n);
  op_mmap(sh, n, PROT_READ, MAP_SHARED, fd, 0, "r--", "shared", "tmpfs:vmreplay-calibrate");
  for (long i = 63; i >= 0; i--) op_read(sh + (unsigned long)i * PAGE, PAGE);
  phase_end();
  probe_done();
  return 0;
}
