#include "output/provenance.hpp"

#include <H5Cpp.h>

#include <algorithm>
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
  // One 64-byte block. The eight working variables rotate by renaming (eight rounds per loop
  // iteration, no moves) and the message schedule is a 16-word ring: about half the
  // instructions of the textbook loop (the checksums of a run's inputs cost ~1 % of `large`).
  void block(const unsigned char* p) {
    static constexpr std::uint32_t k[64] = {
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
    std::uint32_t w[16];
    for (int i = 0; i < 16; ++i)
      w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) |
             (std::uint32_t(p[4 * i + 2]) << 8) | std::uint32_t(p[4 * i + 3]);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    // Message word t (t >= 16 extends the schedule in place: w[t mod 16]).
    const auto word = [&w](int t) -> std::uint32_t {
      if (t < 16) return w[t];
      std::uint32_t& x = w[t & 15];
      const std::uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
      x += (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)) + w[(t - 7) & 15] +
           (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10));
      return x;
    };
    const auto round = [&](std::uint32_t a_, std::uint32_t b_, std::uint32_t c_, std::uint32_t& d_,
                           std::uint32_t e_, std::uint32_t f_, std::uint32_t g_, std::uint32_t& h_, int t) {
      const std::uint32_t t1 = h_ + (rotr(e_, 6) ^ rotr(e_, 11) ^ rotr(e_, 25)) + (g_ ^ (e_ & (f_ ^ g_))) + k[t] + word(t);
      const std::uint32_t t2 = (rotr(a_, 2) ^ rotr(a_, 13) ^ rotr(a_, 22)) + ((a_ & b_) | (c_ & (a_ | b_)));
      d_ += t1;
      h_ = t1 + t2;
    };
    for (int t = 0; t < 64; t += 8) {
      round(a, b, c, d, e, f, g, hh, t);
      round(hh, a, b, c, d, e, f, g, t + 1);
      round(g, hh, a, b, c, d, e, f, t + 2);
      round(f, g, hh, a, b, c, d, e, t + 3);
      round(e, f, g, hh, a, b, c, d, t + 4);
      round(d, e, f, g, hh, a, b, c, t + 5);
      round(c, d, e, f, g, hh, a, b, t + 6);
      round(b, c, d, e, f, g, hh, a, t + 7);
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  void update(const unsigned char* p, std::size_t n) {
    len += n;
    while (n) {
      if (fill == 0 && n >= 64) {  // whole blocks straight from the input
        block(p);
        p += 64; n -= 64;
        continue;
      }
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
