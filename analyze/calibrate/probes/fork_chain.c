/* A three-generation fork chain: each generation inherits write-protected copies of its
 * parent's anonymous pages; writes fault once in every generation that makes them. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "fork_chain");
  const unsigned long n = 16 * PAGE;
  op_mmap(BASE, 2 * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("g1-write");
  op_write(BASE, n);
  phase_end();
  struct baton b1;
  long g2 = probe_fork(&b1);
  if (g2 == 0) {
    phase_begin("g2-write-first-half");
    op_write(BASE, n / 2);
    phase_end();
    struct baton b2;
    long g3 = probe_fork(&b2);
    if (g3 == 0) {
      phase_begin("g3-read");
      op_read(BASE, 2 * n);
      phase_end();
      phase_begin("g3-write");
      op_write(BASE, 2 * n);
      phase_end();
      child_exit(&b2);
    }
    parent_reap(&b2, g3);
    phase_begin("g2-write-rest");
    op_write(BASE, 2 * n);
    phase_end();
    child_exit(&b1);
  }
  parent_reap(&b1, g2);
  phase_begin("g1-write-again");
  op_write(BASE, 2 * n);
  phase_end();
  probe_done();
  return 0;
}
