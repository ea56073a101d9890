/* mremap of pages still shared after fork: the child's moved area keeps its write-protected
 * entries (no fault to read, no copy in Linux); its first writes copy as before the move. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "mremap_after_fork");
  const unsigned long n = 16 * PAGE;
  const unsigned long to = BASE + 0x40000000UL;
  op_mmap(BASE, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("parent-write");
  op_write(BASE, n);
  phase_end();
  struct baton bt;
  long child = probe_fork(&bt);
  if (child == 0) {
    phase_begin("child-move-read");
    op_mremap(BASE, n, to, n);
    op_read(to, n);
    phase_end();
    phase_begin("child-write-moved");
    op_write(to, n);
    phase_end();
    child_exit(&bt);
  }
  parent_reap(&bt, child);
  phase_begin("parent-write-again");
  op_write(BASE, n);
  phase_end();
  probe_done();
  return 0;
}
