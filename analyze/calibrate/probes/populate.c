/* MAP_POPULATE faults every page in at mmap time (counted as minor faults); later accesses do
 * not fault. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "populate");
  const unsigned long n = 32 * PAGE;
  phase_begin("mmap-populate");
  op_mmap(BASE, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0,
          "rw-", "private,anon,populate", 0);
  phase_end();
  phase_write("write", BASE, n);
  probe_done();
  return 0;
}
