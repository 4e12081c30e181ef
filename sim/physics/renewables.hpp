#pragma once
// On-site renewable generation from weather.
//
// Photovoltaics (PVWatts-style, Dobos, NREL/TP-6A20-62641, 2014; NOCT cell temperature from
// Ross 1976 / Duffie & Beckman, "Solar Engineering of Thermal Processes", §23.3):
//   T_cell = T_air + (NOCT − 20)·G/800                                                 [°C]
//   P_pv   = P_peak · (G/1000) · η_derate · (1 + γ·(T_cell − 25)),  clamped to [0, P_peak]  [W]
//     G global horizontal irradiance (W/m², used as plane-of-array irradiance: a flat or
//     single-axis approximation, documented simplification), P_peak = peak_mw·10⁶ (DC at STC),
//     η_derate = efficiency_derate (0.86: inverter, wiring, soiling; PVWatts default 14 % loss),
//     γ = temp_coeff_per_c (−0.004 /°C, crystalline silicon), NOCT = noct_c (45 °C).
//
// Wind (power-law wind profile, Hellmann exponent α = shear_exponent = 1/7 for open terrain;
// generic piecewise-cubic power curve, e.g. Carrillo et al., RSER 21 (2013) 572–581):
//   v_hub = v_10 · (h_hub / 10 m)^α
//   P = 0                                               v_hub < v_ci or v_hub ≥ v_co
//     = P_rated · (v³ − v_ci³)/(v_r³ − v_ci³)             v_ci ≤ v_hub < v_r
//     = P_rated                                         v_r ≤ v_hub < v_co
//   P_rated = rated_mw·10⁶; v_ci, v_r, v_co = cut_in_ms (3), rated_ms (12), cut_out_ms (25).
#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

Celsius pv_cell_temp_c(const SolarSpec& s, double ghi_w_m2, Celsius air_temp_c);
Watts pv_power_w(const SolarSpec& s, double ghi_w_m2, Celsius air_temp_c);

double hub_wind_speed_ms(const WindSpec& s, double wind_ms_10m);
Watts wind_power_w(const WindSpec& s, double wind_ms_10m);

}  // namespace dcsim
