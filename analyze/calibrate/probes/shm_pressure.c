/* Under memory pressure: a System V segment's pages go to swap and come back with the swap
 * cluster readahead, one fault a page (no fault-around on System V mappings). */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "shm_pressure", 16UL << 20);
  shm_area("pressure", BASE, N * PAGE);
  phases_write_read_twice(BASE, N * PAGE);
  probe_done();
  return 0;
}
