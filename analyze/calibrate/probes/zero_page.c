/* Zero page then write: a read of untouched private anonymous memory maps the shared zero page
 * (1 fault a page); a later write faults again for a fresh page; a write first faults once. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 64 * PAGE;
  probe_init_anon(argc, argv, "zero_page", 2 * n);
  phase_read("read-untouched", BASE, n);
  phase_write("write-after-read", BASE, n);
  phase_write("write-untouched", BASE + n, n);
  phase_read("read-written", BASE, 2 * n);
  probe_done();
  return 0;
}
