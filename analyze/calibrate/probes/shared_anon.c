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
    phase_read("child-read-present", BASE, n);
    phase_write("child-write-present", BASE, n);
    phase_read("child-read-absent", BASE + n, n / 2);
    phase_write("child-write-absent", BASE + n + n / 2, n / 2);
    child_exit(&b);
  }
  parent_reap(&b, child);
  phase_read("parent-read-all", BASE, 2 * n);
  phase_write("parent-write-all", BASE, 2 * n);
  probe_done();
  return 0;
}
