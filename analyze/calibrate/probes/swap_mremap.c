/* Under memory pressure: mremap moves an area whose pages are partly on swap (the swap entries
 * move with the page tables); reading it at its new address swaps them in with readahead. */
#include "probe.h"

#define N 6144UL
#define TO (BASE + 0x40000000UL)

int main(int argc, char **argv) {
  pressure_init(argc, argv, "swap_mremap", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("mremap-read");
  op_mremap(BASE, N * PAGE, TO, N * PAGE);
  op_read(TO, N * PAGE);
  phase_end();
  phase_begin("read-again");
  op_read(TO, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
