/* mremap moves page tables: no faults after a move, no page copied; growing adds untouched
 * pages that fault on first touch. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  const unsigned long to = BASE + 0x40000000UL;
  probe_init_anon(argc, argv, "mremap_move", n);
  phase_write("write", BASE, n);
  phase_begin("move-then-touch");
  op_mremap(BASE, n, to, n);
  op_read(to, n);
  op_write(to, n);
  phase_end();
  phase_begin("grow-move-then-touch");
  op_mremap(to, n, BASE + 0x80000000UL, 2 * n);
  op_write(BASE + 0x80000000UL, 2 * n);
  phase_end();
  phase_begin("shrink-then-read");
  op_mremap(BASE + 0x80000000UL, 2 * n, BASE + 0x80000000UL, n);
  op_read(BASE + 0x80000000UL, n);
  phase_end();
  probe_done();
  return 0;
}
