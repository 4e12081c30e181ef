#pragma once
// Facility overhead: power-path (UPS, PDU) conversion losses, cooling power and PUE.
//
// 1. Conversion loss of one device (Rasmussen, APC White Paper 113, "Electrical Efficiency
//    Modeling for Data Centers"): with P the load it carries and P_r its rating (W),
//       loss = a·P_r + b·P + c·P²/P_r                                                     [W]
//    a = no_load (fixed loss, fraction of rating), b = proportional, c = square-law. The fixed
//    term makes PUE rise steeply at low load. P_r = LossSpec::rated_w, or the site's design IT
//    power when rated_w is 0. Typical values (WP 113 table of a typical data centre, rounded):
//    UPS a 0.04, b 0.05, c 0; PDU a 0.015, b 0, c 0.015 (typical_ups_loss(), typical_pdu_loss()).
//
// 2. Cooling of a heat load Q (W) at outdoor temperature T_o (°C), design IT power Q_d:
//   constant-pue:  cooling = (pue − 1)·IT; every overhead is lumped in it (no separate losses).
//   chiller:       chiller = Q / CoP(T_s, T_o);  fans = f_fan·Q_d·φ³, φ = Q/Q_d
//     CoP(T_s, T_o) = CoP_Moore(T_s) · L(T_rating) / L(T_o)
//     CoP_Moore(T)  = 0.0068·T² + 0.0008·T + 0.458 (Moore et al., USENIX ATC 2005, "Making
//                      Scheduling Cool"; T supply temperature, clamped to 10–35 °C)
//     L(T_o) = max(T_o + approach_c − (T_s − evaporator_approach_c), 10 K)   compressor lift:
//        condensing at T_o + approach, evaporating below the supply air. The Carnot CoP of a
//        vapour-compression cycle is ∝ 1/lift (at fixed evaporating temperature), so we scale
//        Moore's curve, taken to hold at T_rating = rating_outdoor_c (25 °C), by the lift ratio.
//        Defaults: approach 5 K, evaporator approach 13 K, T_s 18 °C → CoP 2.67 at 25 °C
//        outdoor, 1.45 at 46 °C, capped at 2.5× (lift ≥ 10 K) in cold weather.
//   chiller-economiser: as chiller, but below economiser_below_c the chiller is off and
//     outside air cools ("free cooling"): power = f_fan·Q_d·φ³ only (Liu et al., SIGMETRICS
//     2012: outside-air cooling power k·d³ with k depending on outdoor temperature). Air is
//     mixed down to T_s; when T_o > T_s, more flow is needed:
//        φ = (Q/Q_d)·ΔT_air / max(ΔT_air − max(T_o − T_s, 0), ΔT_air/3)
//   liquid: a share L = liquid_capture of Q goes to a direct-to-chip loop, the rest (1 − L)
//     to the air path above (chiller-economiser, design Q_d·(1 − L)).
//        pumps = f_pump · Q_liq (constant-pressure loop, flow ∝ heat)
//        dry cooler: ΔT(T_o) = T_liquid − approach − T_o, ΔT_r = ΔT(T_rating) (≥ 1 K)
//          required flow φ = (Q_liq/Q_liq_d)·ΔT_r/ΔT(T_o); fans = f_dry·Q_liq_d·φ³ while
//          φ ≤ 1.5; beyond, the dry cooler runs at 1.5× flow rejecting Q_liq_d·1.5·ΔT/ΔT_r and
//          a trim chiller (CoP(T_liquid, T_o)) removes the rest.
//   A chiller failure (CoolingSpec::chiller_failed, set by the engine over a failure interval of
//   ThermalSpec; the supply temperature it causes is physics/thermal.hpp's): the chiller and the
//   liquid loop's trim chiller draw nothing and remove nothing; fans, pumps and the dry cooler
//   run as above.
//   misc = misc_fraction·Q_d (lighting, offices; constant), outside cooling_w.
//
// 3. Facility: PDU carries IT, UPS carries IT + PDU loss; the heat to remove is IT plus both
//    losses; total = IT + losses + cooling + misc; PUE = total / IT (NaN when IT = 0).
//
// Parameters: LossSpec and CoolingSpec (model/specs.hpp) with their defaults.
#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

Watts conversion_loss_w(const LossSpec& s, Watts load_w, Watts rated_w);
LossSpec typical_ups_loss();
LossSpec typical_pdu_loss();

// Moore et al. (2005) chiller/CRAC coefficient of performance at supply temperature T (°C).
double cop_moore(Celsius supply_c);
// CoP_Moore(T_s) adjusted for the outdoor temperature by the compressor lift (see above).
double chiller_cop(const CoolingSpec& s, Celsius supply_c, Celsius outdoor_c);

struct CoolingResult {
  Watts cooling_w = 0;     // all cooling power (chiller + fans + pumps + dry cooler)
  double cop = 0;          // heat removed / cooling_w (effective; +inf if cooling_w is 0)
  bool economiser = false; // free cooling active (chiller off for the air path)
  Watts chiller_w = 0;
  Watts fan_w = 0;
  Watts pump_w = 0;
  Watts dry_cooler_w = 0;
};
CoolingResult cooling_power(const CoolingSpec& s, Watts it_heat_w, Celsius outdoor_c,
                            Watts design_it_w);

struct FacilityPower {
  Watts it_w = 0;
  Watts pdu_loss_w = 0;
  Watts ups_loss_w = 0;
  Watts cooling_w = 0;
  Watts misc_w = 0;
  Watts total_w = 0;
  double pue = 0;  // total / IT; NaN when IT is 0
  CoolingResult cooling;
};
FacilityPower facility_power(const CoolingSpec& cooling, const LossSpec& ups, const LossSpec& pdu,
                             Watts it_w, Celsius outdoor_c, Watts design_it_w);

}  // namespace dcsim
