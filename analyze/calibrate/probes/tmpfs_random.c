/* Under memory pressure (a 20 MiB memory cgroup, a 32 MiB tmpfs file mapped shared): the file's
 * swapped-out pages read back in a random order (slot readahead shrinks to one page), then the
 * first half written again in order (swap-ins with readahead, each page dirtied again). */
#include "probe.h"

#define N 8192UL

static unsigned long order[N];

int main(int argc, char **argv) {
  shuffle(order, N); /* before pressure_init: charged outside the cgroup */
  pressure_init(argc, argv, "tmpfs_random", 20UL << 20);
  tmpfs_area("vmreplay-random", BASE, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_read_pages("read-random", BASE, order, N);
  phase_write("write-first-half", BASE, N / 2 * PAGE);
  probe_done();
  return 0;
}
