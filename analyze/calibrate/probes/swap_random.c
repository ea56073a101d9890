/* Under memory pressure (a 16 MiB memory cgroup, 24 MiB of private anonymous memory): reading
 * the swapped-out pages back in a random order gets no readahead (the window shrinks to one page
 * when faults are neither adjacent nor hit what was read ahead), so each swapped-out page is one
 * major fault; then an in-order read grows the window again. */
#include "probe.h"

#define N 6144UL

static unsigned long order[N];

int main(int argc, char **argv) {
  shuffle(order, N); /* before pressure_init: charged outside the cgroup */
  pressure_init(argc, argv, "swap_random", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("read-random");
  for (unsigned long i = 0; i < N; i++) op_read(BASE + order[i] * PAGE, PAGE);
  phase_end();
  phase_begin("read-in-order");
  op_read(BASE, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
