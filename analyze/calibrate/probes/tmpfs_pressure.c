/* Under memory pressure: the pages of a tmpfs file (a memfd) mapped shared go to swap like
 * anonymous memory, but come back with the swap cluster readahead (an aligned block of slots,
 * sized from the readahead hits of the whole machine), not the VMA-based one; read(2) of swapped
 * pages swaps them in without mapping them. */
#include "probe.h"

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "tmpfs_pressure", 16UL << 20);
  int fd = memfd_create("vmreplay-pressure", 0);
  if (fd < 0) die("memfd_create");
  if (ftruncate(fd, (long)(N * PAGE)) != 0) die("ftruncate");
  op_line("create tmpfs:vmreplay-pressure 25165824");
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "rw-", "shared",
          "tmpfs:vmreplay-pressure");
  phase_begin("write");
  op_write(BASE, N * PAGE);
  phase_end();
  phase_begin("read");
  op_read(BASE, N * PAGE);
  phase_end();
  phase_begin("read-again");
  op_read(BASE, N * PAGE);
  phase_end();
  probe_done();
  return 0;
}
