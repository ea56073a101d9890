/* munmap + mmap at the same address: the new area starts empty. */
#include "probe.h"

int main(int argc, char **argv) {
  const unsigned long n = 32 * PAGE;
  probe_init_anon(argc, argv, "munmap_remap", n);
  phase_write("write", BASE, n);
  phase_begin("remap-read");
  op_munmap(BASE, n);
  op_mmap_anon(BASE, n);
  op_read(BASE, n);
  phase_end();
  phase_write("write-again", BASE, n);
  phase_begin("partial-unmap-write");
  op_munmap(BASE + n / 4, n / 4);
  op_write(BASE, n / 4);
  op_write(BASE + n / 2, n / 2);
  phase_end();
  probe_done();
  return 0;
}
