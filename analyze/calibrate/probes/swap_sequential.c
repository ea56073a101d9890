/* Under memory pressure (a 16 MiB memory cgroup, 24 MiB of private anonymous memory): written
 * pages go to swap; reading them back in order swaps in with readahead (by virtual address, or by
 * slot where swap is on a rotational disk: a window of up to 2^page-cluster pages, grown by
 * readahead hits: one major fault for 8 pages); again, the same; backwards, the window lies below
 * the fault. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_sequential", 16UL << 20, N * PAGE);
  phases_write_read_twice(BASE, N * PAGE);
  phase_begin("read-backwards");
  for (long i = (long)N - 1; i >= 0; i--) op_read(BASE + (unsigned long)i * PAGE, PAGE);
  phase_end();
  probe_done();
  return 0;
}
