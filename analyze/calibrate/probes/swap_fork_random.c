/* Under memory pressure (a 16 MiB memory cgroup, 32 MiB of private anonymous memory): fork after
 * swap-out, the child reads a random half of the pages and exits, then the parent reads
 * everything in order. */
#include "probe.h"

#define N 8192UL

static unsigned long order[N];

int main(int argc, char **argv) {
  shuffle(order, N); /* before pressure_init: charged outside the cgroup */
  pressure_init_anon(argc, argv, "swap_fork_random", 16UL << 20, N * PAGE);
  phase_write("parent-write", BASE, N * PAGE);
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_read_pages("child-read-random-half", BASE, order, N / 2);
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_read("parent-read", BASE, N * PAGE);
  probe_done();
  return 0;
}
