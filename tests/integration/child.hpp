#pragma once
// Runs a function in a forked child process and returns the numbers it produced. SimGrid's
// engine is a process-wide singleton (one simulation per process, docs/ARCHITECTURE.md), so a test
// that compares two simulations runs each in its own child.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcsim::testing {

template <class F>
std::vector<double> in_child(F&& f) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    int code = 0;
    try {
      const std::vector<double> out = f();
      const std::size_t n = out.size();
      if (write(fds[1], &n, sizeof n) != static_cast<ssize_t>(sizeof n)) code = 3;
      if (n && write(fds[1], out.data(), n * sizeof(double)) != static_cast<ssize_t>(n * sizeof(double))) code = 3;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child failed: %s\n", e.what());
      code = 2;
    }
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  std::size_t n = 0;
  std::vector<double> out;
  if (read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n * sizeof(double)) {
      const ssize_t r = read(fds[0], reinterpret_cast<char*>(out.data()) + got, n * sizeof(double) - got);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("child process failed with status " + std::to_string(status));
  return out;
}

}  // namespace dcsim::testing
