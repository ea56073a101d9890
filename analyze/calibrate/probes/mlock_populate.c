/* mlock faults in every page of the range (counted as minor faults, as MAP_POPULATE); later
 * accesses do not fault; munlock keeps the pages. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "mlock_populate", 2 * n);
  phase_begin("mlock-half");
  op_mlock(BASE, n);
  phase_end();
  phase_write("write-all", BASE, 2 * n);
  phase_begin("munlock-read");
  op_munlock(BASE, n);
  op_read(BASE, 2 * n);
  phase_end();
  probe_done();
  return 0;
}
