/* Under memory pressure: MADV_DONTNEED of the first half drops its pages, resident or on swap
 * (their slots are freed); reading the area then maps fresh pages there (zero-filled) and swaps
 * in the second half. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init_anon(argc, argv, "swap_dontneed", 16UL << 20, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_begin("dontneed-half");
  op_madvise(BASE, N / 2 * PAGE, MADV_DONTNEED, "dontneed");
  phase_end();
  phase_read("read", BASE, N * PAGE);
  probe_done();
  return 0;
}
