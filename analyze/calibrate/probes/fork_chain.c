/* A three-generation fork chain: each generation inherits write-protected copies of its
 * parent's anonymous pages; writes fault once in every generation that makes them. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 16 * PAGE;
  probe_init_anon(argc, argv, "fork_chain", 2 * n);
  phase_write("g1-write", BASE, n);
  struct baton b1;
  long g2 = probe_fork(&b1);
  if (g2 == 0) {
    phase_write("g2-write-first-half", BASE, n / 2);
    struct baton b2;
    long g3 = probe_fork(&b2);
    if (g3 == 0) {
      phase_read("g3-read", BASE, 2 * n);
      phase_write("g3-write", BASE, 2 * n);
      child_exit(&b2);
    }
    parent_reap(&b2, g3);
    phase_write("g2-write-rest", BASE, 2 * n);
    child_exit(&b1);
  }
  parent_reap(&b1, g2);
  phase_write("g1-write-again", BASE, 2 * n);
  probe_done();
  return 0;
}
