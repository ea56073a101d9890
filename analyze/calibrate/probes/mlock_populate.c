/* mlock faults in every page of the range (counted as minor faults, as MAP_POPULATE); later
 * accesses do not fault; munlock keeps the pages. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "mlock_populate", 2 * n);
  phase_begin("mlock-half");
  if (sc6(SYS_mlock, (long)BASE, (long)n, 0, 0, 0, 0) != 0) die("mlock");
  op_line("mlock 0x200000000000 131072");
  phase_end();
  phase_write("write-all", BASE, 2 * n);
  phase_begin("munlock-read");
  if (sc6(SYS_munlock, (long)BASE, (long)n, 0, 0, 0, 0) != 0) die("munlock");
  op_line("munlock 0x200000000000 131072");
  op_read(BASE, 2 * n);
  phase_end();
  probe_done();
  return 0;
}
