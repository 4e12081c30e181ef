#include "physics/renewables.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim {

Celsius pv_cell_temp_c(const SolarSpec& s, double ghi_w_m2, Celsius air_temp_c) {
  return air_temp_c + (s.noct_c - 20.0) * std::max(ghi_w_m2, 0.0) / 800.0;
}

Watts pv_power_w(const SolarSpec& s, double ghi_w_m2, Celsius air_temp_c) {
  const Watts peak = s.peak_mw * 1e6;
  if (peak <= 0 || ghi_w_m2 <= 0) return 0;
  const double derate_t = 1.0 + s.temp_coeff_per_c * (pv_cell_temp_c(s, ghi_w_m2, air_temp_c) - 25.0);
  return std::clamp(peak * (ghi_w_m2 / 1000.0) * s.efficiency_derate * derate_t, 0.0, peak);
}

double hub_wind_speed_ms(const WindSpec& s, double wind_ms_10m) {
  if (wind_ms_10m <= 0) return 0;
  return wind_ms_10m * std::pow(std::max(s.hub_height_m, 0.0) / 10.0, s.shear_exponent);
}

Watts wind_power_w(const WindSpec& s, double wind_ms_10m) {
  const Watts rated = s.rated_mw * 1e6;
  const double v = hub_wind_speed_ms(s, wind_ms_10m);
  if (rated <= 0 || v < s.cut_in_ms || v >= s.cut_out_ms) return 0;
  if (v >= s.rated_ms) return rated;
  const double ci3 = s.cut_in_ms * s.cut_in_ms * s.cut_in_ms;
  const double r3 = s.rated_ms * s.rated_ms * s.rated_ms;
  return rated * (v * v * v - ci3) / (r3 - ci3);
}

}  // namespace dcsim
