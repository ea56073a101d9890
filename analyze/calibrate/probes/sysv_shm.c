/* System V shared memory: shmat maps the segment shared; a child inherits the attachment without
 * page-table entries and faults it in with fault-around; IPC_RMID while attached keeps the pages
 * until the last detach. */
#include "probe.h"
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
  probe_init(argc, argv, "sysv_shm");
  const unsigned long n = 64 * PAGE;
  int id = shmget(IPC_PRIVATE, n, IPC_CREAT | 0600);
  if (id < 0) die("shmget");
  op_line("create shm:calibrate 256K");
  if (shmat(id, (void *)BASE, 0) != (void *)BASE) die("shmat");
  op_line("mmap 0x200000000000 256K rw- shared shm:calibrate 0");
  phase_write("parent-write-half", BASE, n / 2);
  if (shmctl(id, IPC_RMID, 0) != 0) die("shmctl");
  op_line("unlink shm:calibrate");
  struct baton bt;
  long child = probe_fork(&bt);
  if (child == 0) {
    phase_read("child-read-all", BASE, n);
    phase_write("child-write-all", BASE, n);
    child_exit(&bt);
  }
  parent_reap(&bt, child);
  phase_read("parent-read-all", BASE, n);
  probe_done();
  return 0;
}
