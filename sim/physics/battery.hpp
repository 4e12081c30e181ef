#pragma once
// Stationary battery: state of charge, charge/discharge limits and efficiencies, capacity fade.
//
// State: stored energy E (J), nominal capacity C_0 = capacity_mwh·3.6e9 J, age a (s),
// energy throughput Θ = Σ|ΔE| (J).
//   health      h = max(0, 1 − 0.2·N_efc/cycles_to_80pct − calendar_fade_per_year·a/year)
//   N_efc       = Θ / (2·C_0)          equivalent full cycles (one cycle = charge + discharge)
//   capacity    C = h·C_0,  SoC = E / C, kept in [soc_min, soc_max]
// step(dt, P_req) with P_req > 0 a discharge request (W delivered to the bus) and P_req < 0 a
// charge request (W taken from the bus):
//   discharge: P = min(P_req, P_max, (E − soc_min·C)·η_d/dt);  E −= P·dt/η_d
//   charge:    P = min(−P_req, P_max, (soc_max·C − E)/(η_c·dt)); E += P·dt·η_c
//   loss = the difference between bus energy and storage change (≥ 0).
// Capacity fades after each step; if the faded capacity puts E above soc_max·C, the excess is
// dropped (counted as fade loss), so the bounds hold after every step.
// Carbon-free content (24/7 CFE through storage): the stored energy E holds a carbon-free part
// E_cf (a well-mixed store). Charging with a carbon-free share s adds η_c·P·dt·s to E_cf;
// discharging removes the same fraction E_cf/E of what it takes from E, so energy leaving the
// battery carries the carbon-free share of the energy that charged it, and losses reduce both
// parts in proportion. Source: EnergyTag, "Granular Certificate Scheme Standard" v2 (2023),
// storage: certificates of charging energy are carried to discharge, losses cancelled pro rata;
// the initial charge carries the share set_clean_fraction() gives it (0 by default);
// Google, "24/7 Carbon-Free Energy: Methodologies and Metrics" (2021), hourly matching.
// Defaults (model/specs.hpp BatterySpec): η_c = η_d = 0.94 (round trip 0.88), SoC 0.1–0.9,
// 5,000 cycles to 80 % health, 1 %/year calendar fade.
// Sources: linear cycle + calendar fade is the "energy throughput" degradation model used in
// HOMER and SAM (NREL SAM Photovoltaic-Battery Technical Reference, DiOrio et al. 2015,
// NREL/TP-6A20-64641); LFP cycle life 5,000–6,000 cycles to 80 % (manufacturer datasheets,
// e.g. CATL EnerOne); Li-ion round-trip efficiency ≈ 0.85–0.9 (Mongird et al., PNNL-28866, 2019).
#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

class Battery {
 public:
  explicit Battery(const BatterySpec& spec);

  struct Step {
    Watts power_w = 0;   // > 0 delivered to the bus (discharge), < 0 taken from it (charge)
    Joules loss_j = 0;   // conversion (and fade) losses during the step
  };
  // Advances dt_s seconds at the requested bus power (see the equations above).
  // charge_clean_share: carbon-free share of the energy charged during the step (0..1).
  Step step(Seconds dt_s, Watts requested_w, double charge_clean_share = 0.0);

  Joules stored_j() const { return stored_j_; }
  Joules nominal_capacity_j() const { return nominal_j_; }
  Joules capacity_j() const { return health_ * nominal_j_; }
  double soc() const { return capacity_j() > 0 ? stored_j_ / capacity_j() : 0.0; }
  // Carbon-free share of the stored energy (0 when empty): what a discharge now carries.
  double clean_fraction() const { return stored_j_ > 0 ? clean_j_ / stored_j_ : 0.0; }
  // The carbon-free share of the energy stored at the start (the engine uses the grid's share
  // at the run's start: the initial charge is taken as bought from the grid then).
  void set_clean_fraction(double f);
  double health() const { return health_; }
  double equivalent_full_cycles() const {
    return nominal_j_ > 0 ? throughput_j_ / (2 * nominal_j_) : 0.0;
  }
  Seconds age_s() const { return age_s_; }
  Watts power_limit_w() const { return power_max_w_; }
  // Largest bus power a step of dt could deliver / absorb now.
  Watts max_discharge_w(Seconds dt_s) const;
  Watts max_charge_w(Seconds dt_s) const;

 private:
  void update_health();
  BatterySpec spec_;
  Joules nominal_j_ = 0;
  Watts power_max_w_ = 0;
  Joules stored_j_ = 0;
  Joules clean_j_ = 0;  // carbon-free part of stored_j_
  Joules throughput_j_ = 0;
  Seconds age_s_ = 0;
  double health_ = 1;
};

}  // namespace dcsim
