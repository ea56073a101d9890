/* Fork + copy-on-write: after fork both processes keep read access without faults; each first
 * write faults once, copying the page while the other process still maps it and reusing it once
 * the writer is its only mapper. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "fork_cow", 2 * n);
  phase_write("parent-init", BASE, 2 * n);
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_read("child-read", BASE, 2 * n);
    phase_write("child-write-copy", BASE, n / 2);
    child_yield(&b);
    /* the parent wrote [n/2, n) meanwhile: those pages are now the child's alone */
    phase_write("child-write-reuse", BASE + n / 2, n / 2);
    child_exit(&b);
  }
  wait_on(b.to_parent[0]);
  phase_read("parent-read", BASE, 2 * n);
  phase_write("parent-write-copy", BASE + n / 2, n / 2);
  phase_write("parent-write-reuse", BASE, n / 2);
  signal_on(b.to_child[1]);
  parent_reap(&b, child);
  phase_write("parent-write-after-exit", BASE + n, n);
  probe_done();
  return 0;
}
