/* Zero page then write: a read of untouched private anonymous memory maps the shared zero page
 * (1 fault a page); a later write faults again for a fresh page; a write first faults once. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "zero_page");
  const unsigned long n = 64 * PAGE;
  op_mmap_anon(BASE, 2 * n);
  phase_begin("read-untouched");
  op_read(BASE, n);
  phase_end();
  phase_write("write-after-read", BASE, n);
  phase_write("write-untouched", BASE + n, n);
  phase_begin("read-written");
  op_read(BASE, 2 * n);
  phase_end();
  probe_done();
  return 0;
}
