#include "output/provenance.hpp"

#include <H5Cpp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace dcsim {

std::string dcsim_version() { return DCSIM_VERSION; }
std::string dcsim_git_revision() { return DCSIM_GIT_REV; }

std::string hdf5_library_version() {
  unsigned maj = 0, min = 0, rel = 0;
  H5::H5Library::getLibVersion(maj, min, rel);
  return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
}

namespace {
// FIPS 180-4 SHA-256.
struct Sha256 {
  std::array<std::uint32_t, 8> h{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::uint64_t len = 0;
  unsigned char buf[64];
  std::size_t fill = 0;
  static std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void block(const unsigned char* p) {
    static const std::uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) |
             (std::uint32_t(p[4 * i + 2]) << 8) | std::uint32_t(p[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    auto a = h;
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t S1 = rotr(a[4], 6) ^ rotr(a[4], 11) ^ rotr(a[4], 25);
      const std::uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
      const std::uint32_t t1 = a[7] + S1 + ch + k[i] + w[i];
      const std::uint32_t S0 = rotr(a[0], 2) ^ rotr(a[0], 13) ^ rotr(a[0], 22);
      const std::uint32_t mj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);
      const std::uint32_t t2 = S0 + mj;
      a[7] = a[6]; a[6] = a[5]; a[5] = a[4]; a[4] = a[3] + t1;
      a[3] = a[2]; a[2] = a[1]; a[1] = a[0]; a[0] = t1 + t2;
    }
    for (int i = 0; i < 8; ++i) h[static_cast<std::size_t>(i)] += a[static_cast<std::size_t>(i)];
  }
  void update(const unsigned char* p, std::size_t n) {
    len += n;
    while (n) {
      const std::size_t take = std::min<std::size_t>(64 - fill, n);
      std::copy(p, p + take, buf + fill);
      fill += take; p += take; n -= take;
      if (fill == 64) { block(buf); fill = 0; }
    }
  }
  std::string hex() {
    const std::uint64_t bits = len * 8;
    const unsigned char one = 0x80, zero = 0;
    update(&one, 1);
    while (fill != 56) update(&zero, 1);
    unsigned char l[8];
    for (int i = 0; i < 8; ++i) l[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    update(l, 8);
    std::string out;
    char b[9];
    for (auto x : h) { std::snprintf(b, sizeof b, "%08x", x); out += b; }
    return out;
  }
};
}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Sha256 s;
  s.update(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return s.hex();
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Diagnostic{path, 0, 0, "", "cannot read file for checksum"});
  Sha256 s;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    s.update(reinterpret_cast<const unsigned char*>(buf), static_cast<std::size_t>(in.gcount()));
  }
  return s.hex();
}

}  // namespace dcsim
