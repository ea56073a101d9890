/* munmap + mmap at the same address: the new area starts empty. */
#include "probe.h"

int main(int argc, char **argv) {
  probe_init(argc, argv, "munmap_remap");
  const unsigned long n = 32 * PAGE;
  op_mmap(BASE, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  phase_begin("write");
  op_write(BASE, n);
  phase_end();
  phase_begin("remap-read");
  op_munmap(BASE, n);
  op_mmap(BASE, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw-",
          "private,anon", 0);
  op_read(BASE, n);
  phase_end();
  phase_begin("write-again");
  op_write(BASE, n);
  phase_end();
  phase_begin("partial-unmap-write");
  op_munmap(BASE + n / 4, n / 4);
  op_write(BASE, n / 4);
  op_write(BASE + n / 2, n / 2);
  phase_end();
  probe_done();
  return 0;
}
