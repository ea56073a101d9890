/* Fork copies the page-table entries of private areas that have anonymous pages (an anon_vma);
 * an area whose only pages are zero-page mappings from reads has none, so a child faults its
 * reads again, while zero-page entries of an area that also holds a written page are copied. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "fork_zero_page");
  const unsigned long n = 16 * PAGE;
  const unsigned long a = BASE, b = BASE + 0x1000000UL;
  op_mmap_anon(a, n);
  op_mmap_anon(b, n);
  phase_read("parent-read-only-area", a, n);
  phase_begin("parent-write-one-read-rest");
  op_write(b, PAGE);
  op_read(b + PAGE, n - PAGE);
  phase_end();
  struct baton bt;
  long child = probe_fork(&bt);
  if (child == 0) {
    phase_read("child-read-zero-only-area", a, n);
    phase_read("child-read-mixed-area", b, n);
    phase_write("child-write-mixed-area", b, n);
    child_exit(&bt);
  }
  parent_reap(&bt, child);
  phase_begin("parent-write-both");
  op_write(a, n);
  op_write(b, n);
  phase_end();
  probe_done();
  return 0;
}
