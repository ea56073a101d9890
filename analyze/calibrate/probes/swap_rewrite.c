/* Under memory pressure: writing pages that are on swap swaps them in (with readahead) and frees
 * their slots (the page is dirty again), so every page evicted afterwards is written again; a
 * read afterwards finds nothing still on swap from the first round. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "swap_rewrite", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("rewrite");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("read");
  op_read(BASE, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
