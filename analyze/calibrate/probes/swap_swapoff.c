/* Under memory pressure: after the area shrinks so that it fits the limit, swapoff brings every
 * page on the swap file back (the process itself runs swapoff: its faults do not count, the pages
 * swapped in do) and maps them read-only; reads then do not fault, a write faults once a page. */
#include "probe.h"
#include <sys/swap.h>

#define N 6144UL
#define KEEP 2048UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_swapoff", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_begin("munmap-most");
  op_munmap(BASE + KEEP * PAGE, (N - KEEP) * PAGE);
  phase_end();
  phase_begin("swapoff");
  if (sc6(SYS_swapoff, (long)argv[4], 0, 0, 0, 0, 0) != 0) die("swapoff");
  put("- swapoff swap\n");
  phase_end();
  phase_read("read", BASE, KEEP * PAGE);
  phase_write("write-again", BASE, KEEP * PAGE);
  probe_done();
  return 0;
}
