/* Under memory pressure (a 16 MiB memory cgroup, 24 MiB of private anonymous memory): written
 * pages go to swap; reading them back in order swaps in with readahead (by virtual address, or by
 * slot where swap is on a rotational disk: a window of up to 2^page-cluster pages, grown by
 * readahead hits: one major fault for 8 pages); again, the same; backwards, the window lies below
 * the fault. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "swap_sequential", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("read");
  op_read(BASE, N * PAGE);
  phase_end();
  phase_begin("read-again");
  op_read(BASE, N * PAGE);
  phase_end();
  phase_begin("read-backwards");
  for (long i = (long)N - 1; i >= 0; i--) op_read(BASE + (unsigned long)i * PAGE, PAGE);
  phase_end();
  probe_done();
  return 0;
}
