/* Under memory pressure (a 16 MiB memory cgroup, 24 MiB of private anonymous memory): fork after
 * swap-out, the child writes every page (each write copies: the parent still holds the page or
 * its swap slot, so swap-ins with readahead, then a copy per page, the copies swapped out as the
 * child goes) and exits, then the parent reads everything in order: its own pages, from swap or
 * from the swap cache. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_fork_rewrite", 16UL << 20, N * PAGE);
  phase_write("parent-write", BASE, N * PAGE);
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_write("child-write-all", BASE, N * PAGE);
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_read("parent-read", BASE, N * PAGE);
  probe_done();
  return 0;
}
