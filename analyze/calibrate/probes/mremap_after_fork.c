/* mremap of pages still shared after fork: the child's moved area keeps its write-protected
 * entries (no fault to read, no copy in Linux); its first writes copy as before the move. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 16 * PAGE;
  const unsigned long to = BASE + 0x40000000UL;
  probe_init_anon(argc, argv, "mremap_after_fork", n);
  phase_write("parent-write", BASE, n);
  struct baton bt;
  long child = probe_fork(&bt);
  if (child == 0) {
    phase_begin("child-move-read");
    op_mremap(BASE, n, to, n);
    op_read(to, n);
    phase_end();
    phase_write("child-write-moved", to, n);
    child_exit(&bt);
  }
  parent_reap(&bt, child);
  phase_write("parent-write-again", BASE, n);
  probe_done();
  return 0;
}
