/* mprotect to read-only and back: exclusive anonymous pages become writable again without a
 * fault; a zero-page mapping still faults on write. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "mprotect_roundtrip", 2 * n);
  phase_begin("write-half-read-half");
  op_write(BASE, n);
  op_read(BASE + n, n);
  phase_end();
  phase_begin("readonly-read");
  op_mprotect(BASE, 2 * n, PROT_READ, "r--");
  op_read(BASE, 2 * n);
  phase_end();
  phase_begin("readwrite-write");
  op_mprotect(BASE, 2 * n, PROT_READ | PROT_WRITE, "rw-");
  op_write(BASE, 2 * n);
  phase_end();
  probe_done();
  return 0;
}
