#pragma once
// Carbon accounting helpers (GHG Protocol Scope 2 Guidance, 2015; Google, "24/7 Carbon-Free
// Energy: Methodologies and Metrics", 2021; embodied amortisation as in Gupta et al., "Chasing
// Carbon", HPCA 2021).
//
//   location-based:  kgCO2e = E_grid[kWh] · CI_grid[g/kWh] / 1000
//   market-based:    kgCO2e = E_grid · (1 − f_contract) · CI_residual / 1000
//                    f_contract = share of grid energy covered by contracted renewables (PPAs,
//                    certificates) at zero emissions; CI_residual defaults to CI_grid when no
//                    residual-mix figure is known (a documented simplification).
//   24/7 CFE score:  Σ_h min(load_h, clean_h) / Σ_h load_h   over hourly (or any equal) steps,
//                    clean_h = on-site renewables used + grid energy × grid CFE share of hour h.
//   embodied:        kgCO2e = Σ_items footprint_item · Δt / lifetime_item   (straight-line
//                    amortisation over the run's duration Δt, EmbodiedSpec defaults:
//                    150 kg per accelerator, 2,500 kg per host, 75 kg per battery kWh,
//                    5-year servers, 10-year battery).
//   per node, dated (a fleet plan): footprint F = accelerators·kg_per_gpu + kg_per_node_host,
//                    service life L = retire − install when both dates are known, else
//                    lifetime_years; booked over the run [0, T):
//                      amortised:    F · |[max(install, 0), min(retire, T, install + L))| / L
//                      at-purchase:  F if 0 ≤ install < T (a node with no install date counts as
//                                    installed at t = 0), else 0.
//                    Amortising over the service life is Gupta et al.'s per-year attribution;
//                    booking at purchase is the GHG Protocol's Scope 3 category 2 (capital
//                    goods, reported in full in the year acquired).
#include <span>

#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

double location_based_kg(double grid_kwh, GramsCo2PerKwh intensity);
double market_based_kg(double grid_kwh, GramsCo2PerKwh residual_intensity,
                       double contracted_renewable_fraction);

// Energy-weighted 24/7 CFE score in [0, 1] (1 if there is no load).
double cfe_score(std::span<const double> load_kwh, std::span<const double> clean_kwh);

struct EmbodiedInventory {
  int accelerators = 0;
  int hosts = 0;
  double battery_kwh = 0;
};
// Embodied carbon attributed to a run of duration_s (straight-line amortisation).
double embodied_kg(const EmbodiedSpec& s, const EmbodiedInventory& inv, Seconds duration_s);
// Amortisation rate (kg per second) of the same inventory.
double embodied_kg_per_s(const EmbodiedSpec& s, const EmbodiedInventory& inv);

// One node of a fleet plan: its footprint (kg) and its amortisation life (s), as above.
double node_footprint_kg(const EmbodiedSpec& s, int accelerators);
Seconds node_service_life_s(const EmbodiedSpec& s, Seconds install_s, Seconds retire_s);
// Embodied carbon of one node present over [install_s, retire_s) booked in the run [0, end_s).
double node_embodied_kg(const EmbodiedSpec& s, int accelerators, Seconds install_s, Seconds retire_s,
                        Seconds end_s);

}  // namespace dcsim
