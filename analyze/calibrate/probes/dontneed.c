/* MADV_DONTNEED on private anonymous memory: the pages are gone; the next read maps the zero
 * page, the next write a fresh page. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "dontneed", n);
  phase_write("write", BASE, n);
  phase_begin("dontneed-read");
  op_madvise(BASE, n, MADV_DONTNEED, "dontneed");
  op_read(BASE, n);
  phase_end();
  phase_write("write-again", BASE, n);
  probe_done();
  return 0;
}
