/* Under memory pressure: a file written with write(2) and synced is clean page cache; mapped and
 * read, its pages fault in with fault-around; anonymous memory then pushes them out (clean: no
 * write), and reading the file again faults them in from disk with mmap read-around (read_ahead_kb
 * of the device: a major fault reads a window around the page). */
#include "probe.h"

#define NF 2048UL
#define NA 6144UL
#define ANON (BASE + 0x40000000UL)

static char page[4096];

int main(int argc, char **argv) {
  page[0] = 1; /* before pressure_init: charged outside the cgroup */
  pressure_init(argc, argv, "file_reread", 16UL << 20);
  char path[512], line[700];
  snprintf(path, sizeof path, "%s/file_reread.data", PROBE_DIR);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open the data file");
  snprintf(line, sizeof line, "create file:%s 0", path);
  op_line(line);
  for (unsigned long i = 0; i < NF; i++) {
    page[0] = (char)(i + 1);
    if (write(fd, page, PAGE) != (long)PAGE) die("write the data file");
  }
  snprintf(line, sizeof line, "write file:%s 0 %lu", path, NF * PAGE);
  op_line(line);
  if (fsync(fd) != 0) die("fsync");
  snprintf(line, sizeof line, "fsync file:%s", path);
  op_line(line);
  snprintf(line, sizeof line, "file:%s", path);
  op_mmap(BASE, NF * PAGE, PROT_READ, MAP_PRIVATE, fd, 0, "r--", "private", line);
  op_mmap_anon(ANON, NA * PAGE);
  phase_read("file-read", BASE, NF * PAGE);
  phase_write("anon-write", ANON, NA * PAGE);
  phase_read("file-read-again", BASE, NF * PAGE);
  if (unlink(path) != 0) die("unlink the data file");
  snprintf(line, sizeof line, "unlink file:%s", path);
  op_line(line);
  probe_done();
  return 0;
}
