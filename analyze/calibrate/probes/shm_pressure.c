/* Under memory pressure: a System V segment's pages go to swap and come back with the swap
 * cluster readahead, one fault a page (no fault-around on System V mappings). */
#include "probe.h"
#include <sys/ipc.h>
#include <sys/shm.h>

#define N 6144UL

int main(int argc, char **argv) {
  pressure_init(argc, argv, "shm_pressure", 16UL << 20);
  int id = shmget(IPC_PRIVATE, N * PAGE, IPC_CREAT | 0600);
  if (id < 0) die("shmget");
  op_line("create shm:pressure 25165824");
  if (shmat(id, (void *)BASE, 0) != (void *)BASE) die("shmat");
  op_line("mmap 0x200000000000 25165824 rw- shared shm:pressure 0");
  if (shmctl(id, IPC_RMID, 0) != 0) die("shmctl");
  op_line("unlink shm:pressure");
  phases_write_read_twice(BASE, N * PAGE);
  probe_done();
  return 0;
}
