/* Under memory pressure: mlock of swapped-out pages brings them back, reading ahead as a fault
 * does, but every fault of its populate counts as minor (Linux retries a fault that waited for a
 * read without FAULT_FLAG_TRIED) and touches its page (FOLL_TOUCH); after munlock the touched
 * pages are activated rather than evicted, so reading everything again swaps nothing out. */
#include "probe.h"

#define N 6144UL
#define L 1024UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_mlock", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_begin("mlock");
  op_mlock(BASE, L * PAGE);
  phase_end();
  phase_read("read", BASE, N * PAGE);
  phase_begin("munlock");
  op_munlock(BASE, L * PAGE);
  phase_end();
  phase_read("read-again", BASE, N * PAGE);
  probe_done();
  return 0;
}
