#pragma once
// The site's power balance at one instant: facility power from IT power (facility_power()),
// then how on-site generation, the battery and the grid meet it, with the emission, cost and
// carbon-free rates that follow. A pure function of the instant's inputs; the engine holds its
// result until the next change and integrates it (energy on change).
//
// Equations (all powers in W, ≥ 0):
//   F = facility_power(IT, T_out).total_w           demand (physics/facility.hpp)
//   G = PV + wind                                    on-site generation
//   battery dispatch, surplus S = G − F, P_max the battery's power limit:
//     automatic (self-consumption): charge = min(S, P_max) if S > 0, else discharge = min(−S, P_max)
//     charge:    charge = P_max (from the surplus first, the grid for the rest)
//     discharge: discharge = min(P_max, max(−S, 0))  (never exports battery energy)
//     no charge above soc_max, no discharge below soc_min; the time until a bound is reached at
//     the dispatched power is returned (the engine sets a timer for it):
//       t = (E − soc_min·C)·η_d / discharge,   t = (soc_max·C − E) / (η_c·charge)
//   net N = F + charge − discharge − G;  import = max(N, 0); a surplus (−N) is exported when the
//     grid allows it, else curtailed.
//   Who serves the load: generation first (G_load = min(G, F)), then the battery, then the grid
//     (grid_load = F − G_load − discharge); the battery charges from generation left over
//     (G_charge = min(charge, G − G_load)) and the grid for the rest.
//   Carbon-free power serving the load (24/7 CFE, hourly matching):
//     CF = G_load + discharge · cf_battery + grid_load · s_grid
//     s_grid the grid's carbon-free share now, cf_battery the carbon-free share of the stored
//     energy (physics/battery.hpp); the battery's charge carries
//     s_charge = (G_charge + (charge − G_charge) · s_grid) / charge.
//   emissions (location-based) = import[kW] · CI[g/kWh] / 1000   kg/h;  marginal likewise with
//     the marginal intensity; cost = import[kW] · price[USD/kWh]     USD/h.
// Sources: GHG Protocol Scope 2 Guidance (2015) for location-based accounting; Google, "24/7
// Carbon-Free Energy: Methodologies and Metrics" (2021) for hourly matching; EnergyTag,
// "Granular Certificate Scheme Standard" v2 (2023) for energy through storage.
#include <limits>

#include "core/units.hpp"
#include "model/event.hpp"
#include "model/specs.hpp"
#include "physics/facility.hpp"

namespace dcsim {

struct BatteryState {
  bool present = false;
  Joules stored_j = 0;
  Joules capacity_j = 0;       // current (faded) capacity
  Watts power_limit_w = 0;
  double clean_fraction = 0;   // carbon-free share of the stored energy
};

// What the grid and the weather say now.
struct SupplyConditions {
  Watts generation_w = 0;           // on-site PV + wind
  double grid_cfe_share = 0;        // carbon-free share of grid electricity, 0..1
  GramsCo2PerKwh carbon_gco2_per_kwh = 0;
  GramsCo2PerKwh marginal_gco2_per_kwh = 0;
  UsdPerKwh price_usd_per_kwh = 0;
  BatteryMode battery_mode = BatteryMode::automatic;
};

struct SupplyBalance {
  Watts charge_w = 0, discharge_w = 0;
  Watts import_w = 0, export_w = 0, curtailed_w = 0;
  Watts generation_to_load_w = 0;
  double charge_clean_share = 0;    // carbon-free share of the power into the battery
  Watts clean_supply_w = 0;         // carbon-free power serving the load
  Seconds until_battery_bound_s = std::numeric_limits<double>::infinity();
  double emissions_kg_per_h = 0;
  double marginal_emissions_kg_per_h = 0;
  double cost_usd_per_h = 0;
};

// How generation, battery and grid meet a facility demand (see the equations above).
SupplyBalance supply_balance(Watts facility_w, const BatteryState& battery, const BatterySpec& spec,
                             const SupplyConditions& now, bool export_allowed);

struct SitePower {
  FacilityPower facility;
  SupplyBalance supply;
};

// The whole instant: facility power of the IT power at the outdoor temperature, then its supply.
SitePower site_power(const SiteSpec& site, Watts it_w, Celsius outdoor_c, Watts design_it_w,
                     const BatteryState& battery, const SupplyConditions& now);

}  // namespace dcsim
