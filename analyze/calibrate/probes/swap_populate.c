/* Under memory pressure: a MAP_POPULATE area mapped once memory is full faults every page in (and
 * touches it: FOLL_TOUCH); reading the first area then pushes pages out, but not the populated
 * ones, which reclaim finds referenced twice and activates: writing them afterwards faults on
 * none. */
#include "probe.h"

#define N 4096UL
#define M 2048UL
#define SECOND (BASE + (1UL << 32))

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_populate", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_begin("mmap-populate");
  op_mmap(SECOND, M * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
          -1, 0, "rw-", "private,anon,populate", 0);
  phase_end();
  phase_read("read", BASE, N * PAGE);
  phase_write("write-second", SECOND, M * PAGE);
  probe_done();
  return 0;
}
