/* Shared anonymous memory across fork: the child gets no page-table entries for the shared area
 * and faults it in lazily (read faults do fault-around over pages already present); pages are
 * shared, so a store by one process is seen by the other without copies. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "shared_anon");
  const unsigned long n = 32 * PAGE;
  op_mmap(BASE, 2 * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0, "rw-",
          "shared,anon", 0);
  phase_write("parent-write-half", BASE, n);
  struct baton b;
  long child = probe_fork(&b);
  if (child == 0) {
    phase_begin("child-read-present");
    op_read(BASE, n);
    phase_end();
    phase_write("child-write-present", BASE, n);
    phase_begin("child-read-absent");
    op_read(BASE + n, n / 2);
    phase_end();
    phase_write("child-write-absent", BASE + n + n / 2, n / 2);
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_begin("parent-read-all");
  op_read(BASE, 2 * n);
  phase_end();
  phase_write("parent-write-all", BASE, 2 * n);
  probe_done();
  return 0;
}
