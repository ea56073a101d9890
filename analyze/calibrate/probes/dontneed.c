/* MADV_DONTNEED on private anonymous memory: the pages are gone; the next read maps the zero
 * page, the next write a fresh page. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "dontneed");
  const unsigned long n = 32 * PAGE;
  op_mmap(BASE, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, n);
  phase_end();
  phase_begin("dontneed-read");
  op_madvise(BASE, n, MADV_DONTNEED, "dontneed");
  op_read(BASE, n);
  phase_end();
  phase_begin("write-again");
  op_write(BASE, n);
  phase_end();
  probe_done();
  return 0;
}
