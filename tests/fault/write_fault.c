/* Test-only LD_PRELOAD shim: makes write(2)-family calls on chosen files fail, as a full or
 * failing device would, so that every write site of dcsim can be exercised (tests/cli/output_faults.sh).
 *
 *   DCSIM_FAULT_PATH   substring of the path of the files whose writes are counted (required)
 *   DCSIM_FAULT_AFTER  1-based number of the counted write that fails first; it and every later
 *                      counted write fail (a full disk stays full). Unset or 0: count only.
 *   DCSIM_FAULT_ERRNO  errno of the failures (default 28, ENOSPC; 5 is EIO, 122 EDQUOT)
 *   DCSIM_FAULT_COUNT  file to which the number of counted writes is appended at exit
 *                      ("<pid> <count>\n"), to learn how many write sites a run has
 *
 * Counted calls: write, pwrite, pwrite64, writev, pwritev. The path of a descriptor is read from
 * /proc/self/fd, so files opened by HDF5, the C++ library or Python are all seen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void*, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);

static const char* g_path;
static long g_after;
static int g_errno = ENOSPC;
static long g_count;

__attribute__((constructor)) static void fault_init(void) {
  g_path = getenv("DCSIM_FAULT_PATH");
  if (g_path && !*g_path) g_path = NULL;
  const char* a = getenv("DCSIM_FAULT_AFTER");
  g_after = a ? atol(a) : 0;
  const char* e = getenv("DCSIM_FAULT_ERRNO");
  if (e && atoi(e) > 0) g_errno = atoi(e);
}

__attribute__((destructor)) static void fault_report(void) {
  const char* out = getenv("DCSIM_FAULT_COUNT");
  if (!out || !g_path) return;
  char line[64];
  const int n = snprintf(line, sizeof line, "%ld %ld\n", (long)getpid(), g_count);
  const write_fn real_write = (write_fn)dlsym(RTLD_NEXT, "write");
  const int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0 && n > 0) {
    (void)real_write(fd, line, (size_t)n);
    close(fd);
  }
}

/* True if this call on `fd` must fail. */
static int fault(int fd) {
  if (!g_path || fd < 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  if (!strstr(target, g_path)) return 0;
  ++g_count;
  if (g_after > 0 && g_count >= g_after) {
    errno = g_errno;
    return 1;
  }
  return 0;
}

#define REAL(name) \
  static name##_fn real_##name; \
  if (!real_##name) real_##name = (name##_fn)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  if (fault(fd)) return -1;
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  if (fault(fd)) return -1;
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  REAL(pwrite64);
  if (fault(fd)) return -1;
  return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  REAL(writev);
  if (fault(fd)) return -1;
  return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  REAL(pwritev);
  if (fault(fd)) return -1;
  return real_pwritev(fd, iov, cnt, off);
}
