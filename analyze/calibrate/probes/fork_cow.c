/* Fork + copy-on-write: after fork both processes keep read access without faults; each first
 * write faults once, copying the page while the other process still maps it and reusing it once
 * the writer is its only mapper. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "fork_cow");
  const unsigned long n = 32 * PAGE;
  op_mmap(BASE, 2 * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("parent-init");
  op_write(BASE, 2 * n);
  phase_end();
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_begin("child-read");
    op_read(BASE, 2 * n);
    phase_end();
    phase_begin("child-write-copy");
    op_write(BASE, n / 2);
    phase_end();
    child_yield(&b);
    /* the parent wrote [n/2, n) meanwhile: those pages are now the child's alone */
    phase_begin("child-write-reuse");
    op_write(BASE + n / 2, n / 2);
    phase_end();
    child_exit(&b);
  }
  wait_on(b.to_parent[0]);
  phase_begin("parent-read");
  op_read(BASE, 2 * n);
  phase_end();
  phase_begin("parent-write-copy");
  op_write(BASE + n / 2, n / 2);
  phase_end();
  phase_begin("parent-write-reuse");
  op_write(BASE, n / 2);
  phase_end();
  signal_on(b.to_child[1]);
  parent_reap(&b, child);
  phase_begin("parent-write-after-exit");
  op_write(BASE + n, n);
  phase_end();
  probe_done();
  return 0;
}
