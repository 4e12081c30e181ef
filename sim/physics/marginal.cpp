// Siler-Evans et al. (2012) marginal emission factors: see marginal.hpp for the equations.
#include "physics/marginal.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim {

namespace {
struct Sums {
  double n = 0, x = 0, y = 0, xx = 0, xy = 0;
  void add(double dx, double dy) {
    n += 1;
    x += dx;
    y += dy;
    xx += dx * dx;
    xy += dx * dy;
  }
  // Centred sums: Sxx = Σx² − (Σx)²/n, Sxy = Σxy − Σx·Σy/n.
  double sxx() const { return xx - x * x / n; }
  double sxy() const { return xy - x * y / n; }
};
}  // namespace

MarginalFit fit_marginal_factors(std::span<const double> e, std::span<const double> g,
                                 std::span<const std::uint16_t> bin,
                                 std::span<const std::uint8_t> follows, std::size_t bins,
                                 std::size_t min_pairs) {
  if (e.size() != g.size() || e.size() != bin.size() || e.size() != follows.size())
    throw std::invalid_argument("fit_marginal_factors: inputs of different lengths");
  std::vector<Sums> per(bins);
  Sums all;
  for (std::size_t i = 1; i < e.size(); ++i) {
    if (!follows[i] || bin[i] >= bins) continue;
    const double de = e[i] - e[i - 1], dg = g[i] - g[i - 1];
    if (!std::isfinite(de) || !std::isfinite(dg)) continue;
    per[bin[i]].add(dg, de);
    all.add(dg, de);
  }
  if (all.n < 2 || !(all.sxx() > 0))
    throw std::invalid_argument("fit_marginal_factors: fewer than two hour-to-hour changes of generation to fit");
  MarginalFit f;
  f.pooled_slope_g_per_kwh = all.sxy() / all.sxx();
  const double pooled_icpt = (all.y - f.pooled_slope_g_per_kwh * all.x) / all.n;
  f.slope_g_per_kwh.resize(bins);
  f.intercept_kg.resize(bins);
  f.pairs.resize(bins);
  for (std::size_t b = 0; b < bins; ++b) {
    const Sums& s = per[b];
    f.pairs[b] = static_cast<std::size_t>(s.n);
    // Relative test of the spread of ΔG: a bin whose changes are all equal has no slope.
    if (s.n >= static_cast<double>(std::max<std::size_t>(min_pairs, 2)) &&
        s.sxx() > 1e-12 * std::max(1.0, s.xx)) {
      f.slope_g_per_kwh[b] = s.sxy() / s.sxx();
      f.intercept_kg[b] = (s.y - f.slope_g_per_kwh[b] * s.x) / s.n;
    } else {
      f.slope_g_per_kwh[b] = f.pooled_slope_g_per_kwh;
      f.intercept_kg[b] = pooled_icpt;
      ++f.fallback_bins;
    }
  }
  return f;
}

}  // namespace dcsim
