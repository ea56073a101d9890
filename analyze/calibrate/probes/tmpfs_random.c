/* Under memory pressure (a 20 MiB memory cgroup, a 32 MiB tmpfs file mapped shared): the file's
 * swapped-out pages read back in a random order (slot readahead shrinks to one page), then the
 * first half written again in order (swap-ins with readahead, each page dirtied again). */
#include "probe.h"

#define N 8192UL

static unsigned long order[N];

int main(int argc, char **argv) {
  shuffle(order, N); /* before pressure_init: charged outside the cgroup */
  pressure_init(argc, argv, "tmpfs_random", 20UL << 20);
  int fd = memfd_create("vmreplay-random", 0);
  if (fd < 0) die("memfd_create");
  if (ftruncate(fd, (long)(N * PAGE)) != 0) die("ftruncate");
  op_line("create tmpfs:vmreplay-random 33554432");
  op_mmap(BASE, N * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "rw-", "shared",
          "tmpfs:vmreplay-random");
  phase_write("write", BASE, N * PAGE);
  phase_begin("read-random");
  for (unsigned long i = 0; i < N; i++) op_read(BASE + order[i] * PAGE, PAGE);
  phase_end();
  phase_write("write-first-half", BASE, N / 2 * PAGE);
  probe_done();
  return 0;
}
