/* Under memory pressure, fork after swap-out: the child inherits swap entries (each slot then has
 * two references). The child reads everything (swap-ins it maps; the pages stay in the swap cache
 * for the parent) and writes a quarter (copies: the parent still holds the slots); after the
 * child exits the parent reads everything. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "swap_fork", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("parent-write");
  op_write(BASE, N * PAGE);
  phase_end();
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_begin("child-read");
    op_read(BASE, N * PAGE);
    phase_end();
    phase_begin("child-write-quarter");
    op_write(BASE, N / 4 * PAGE);
    phase_end();
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_begin("parent-read");
  op_read(BASE, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
