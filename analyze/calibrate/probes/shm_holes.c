/* Under memory pressure: System V shm pages give their swap slot up when read back, and the pages
 * reclaim writes next fill those holes (Linux 6.18's allocator takes a cluster with freed slots
 * before a fresh one). A random read-back of the first third frees slots at random in the clusters
 * the write filled, and the middle third, pushed out meanwhile, lands in them: its in-order read
 * then finds its neighbours in slot readahead's window only in part. */
#include "probe.h"

#define N 6144UL

static unsigned long order[N / 3];

int main(int argc, char **argv) {
  shuffle(order, N / 3); /* before pressure_init: charged outside the cgroup */
  pressure_init(argc, argv, "shm_holes", 16UL << 20);
  shm_area("holes", BASE, N * PAGE);
  phase_write("write", BASE, N * PAGE);
  phase_read_pages("read-first-third-random", BASE, order, N / 3);
  phase_read("read-middle-third", BASE + N / 3 * PAGE, N / 3 * PAGE);
  probe_done();
  return 0;
}
