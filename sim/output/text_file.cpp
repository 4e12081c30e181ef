#include "output/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace dcsim {

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const auto fail = [&](const std::string& op, int err, int fd) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw OutputError(path, op, std::system_category().message(err));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path, "create " + tmp, std::system_category().message(errno));
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write", errno, fd);
    if (n == 0) fail("write", EIO, fd);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) fail("fsync", errno, fd);
  if (::close(fd) != 0) fail("close", errno, -1);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename from " + tmp, errno, -1);
}

}  // namespace dcsim
