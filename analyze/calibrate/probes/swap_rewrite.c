/* Under memory pressure: writing pages that are on swap swaps them in (with readahead) and frees
 * their slots (the page is dirty again), so every page evicted afterwards is written again; a
 * read afterwards finds nothing still on swap from the first round. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_rewrite", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_write("rewrite", BASE, N * PAGE);
  phase_read("read", BASE, N * PAGE);
  probe_done();
  return 0;
}
