/* Under memory pressure: MADV_DONTNEED of the first half drops its pages, resident or on swap
 * (their slots are freed); reading the area then maps fresh pages there (zero-filled) and swaps
 * in the second half. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "swap_dontneed", 16UL << 20);
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("dontneed-half");
  op_madvise(BASE, N / 2 * PAGE, MADV_DONTNEED, "dontneed");
  phase_end();
  phase_begin("read");
  op_read(BASE, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
