/* Under memory pressure, fork after swap-out: the child inherits swap entries (each slot then has
 * two references). The child reads everything (swap-ins it maps; the pages stay in the swap cache
 * for the parent) and writes a quarter (copies: the parent still holds the slots); after the
 * child exits the parent reads everything. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_fork", 16UL << 20, N * PAGE);
  phase_write("parent-write", BASE, N * PAGE);
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_read("child-read", BASE, N * PAGE);
    phase_write("child-write-quarter", BASE, N / 4 * PAGE);
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_read("parent-read", BASE, N * PAGE);
  probe_done();
  return 0;
}
