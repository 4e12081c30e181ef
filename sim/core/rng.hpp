#pragma once
// Named, seeded random streams. Each stream's seed is splitmix64(seed ^ fnv1a(name)), so adding
// a stream never shifts another's numbers, and the same (seed, name) gives the same sequence on
// every run. Distributions are implemented here (not std::*_distribution, whose algorithms
// differ between standard libraries) so results are portable byte for byte.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace dcsim {

constexpr std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// xoshiro256** (Blackman & Vigna 2018): fast, 256-bit state, good statistical quality.
class RngStream {
 public:
  RngStream(std::uint64_t seed, std::string_view name) {
    std::uint64_t x = seed ^ fnv1a64(name);
    for (auto& w : s_) {
      x = splitmix64(x);
      w = x;
    }
  }
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi] (inclusive).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1u;
    return lo + static_cast<std::int64_t>(next_u64() % span);
  }
  double exponential(double rate) { return -std::log1p(-uniform()) / rate; }
  double normal(double mean, double sd) {
    // Box–Muller; one value per call (the pair's second value is dropped for simplicity).
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace dcsim
