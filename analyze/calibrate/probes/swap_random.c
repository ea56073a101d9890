/* Under memory pressure (a 16 MiB memory cgroup, 24 MiB of private anonymous memory): reading
 * the swapped-out pages back in a random order gets no readahead (the window shrinks to one page
 * when faults are neither adjacent nor hit what was read ahead), so each swapped-out page is one
 * major fault; then an in-order read grows the window again. */
#include "probe.h"

#define N 6144UL

static unsigned long order[N];

int main(int argc, char **argv) {
  shuffle(order, N); /* before pressure_init: charged outside the cgroup */
  pressure_init_anon(argc, argv, "swap_random", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_read_pages("read-random", BASE, order, N);
  phase_read("read-in-order", BASE, N * PAGE);
  probe_done();
  return 0;
}
