/* Under memory pressure: mremap moves an area whose pages are partly on swap (the swap entries
 * move with the page tables); reading it at its new address swaps them in with readahead. */
#include "probe.h"

#define N 6144UL
#define TO (BASE + 0x40000000UL)

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_mremap", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_begin("mremap-read");
  op_mremap(BASE, N * PAGE, TO, N * PAGE);
  op_read(TO, N * PAGE);
  phase_end();
  phase_read("read-again", TO, N * PAGE);
  probe_done();
  return 0;
}
