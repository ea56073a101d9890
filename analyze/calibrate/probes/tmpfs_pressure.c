/* Under memory pressure: the pages of a tmpfs file (a memfd) mapped shared go to swap like
 * anonymous memory, but come back with the swap cluster readahead (an aligned block of slots,
 * sized from the readahead hits of the whole machine), not the VMA-based one; read(2) of swapped
 * pages swaps them in without mapping them. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "tmpfs_pressure", 16UL << 20);
  tmpfs_area("vmreplay-pressure", BASE, N * PAGE);
  phases_write_read_twice(BASE, N * PAGE);
  probe_done();
  return 0;
}
