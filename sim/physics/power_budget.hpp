#pragma once
// Sharing a power budget among accelerators, and the IT power a facility cap allows.
//
// 1. Water-filling (max-min fair sharing). A group (rack, site) with a cap C has a fixed part F
//    (what it draws besides its busy accelerators: idle nodes at their idle power, nodes off or
//    booting at their state's power, hosts of busy nodes budgeted with fans at full speed, idle
//    accelerators at idle power) and busy accelerators i with demands d_i (their power at the
//    p-state they would run at without the group cap). The accelerators share B = C − F by a
//    common level λ:
//        each gets min(d_i, λ),   λ = the largest level with Σ_i min(d_i, λ) ≤ B,
//    so accelerators that need less than the fair share keep what they need and the headroom
//    goes to the others; λ = +∞ when Σ d_i ≤ B (the cap does not bind); λ = 0 when B ≤ 0.
//    Each busy accelerator then runs at the fastest p-state whose power at its job's signature is
//    at most λ (physics/accelerator_power.hpp), so the group draws at most C.
//    Source: max-min fairness / water-filling (Bertsekas & Gallager, "Data Networks", 2nd ed.
//    1992, §6.5.2), as used for power capping of clusters (Fan, Weber & Barroso, "Power
//    provisioning for a warehouse-sized computer", ISCA 2007; Ellsworth et al., "Dynamic power
//    sharing for higher job throughput", SC 2015).
// 2. IT power under a facility cap: facility power F(IT) = IT + losses + cooling + fixed loads is
//    non-decreasing in IT (physics/facility.hpp), so the largest IT with F(IT) ≤ C is found by
//    bisection (to 1e-9 relative); 0 when even F(0) > C.
#include <map>

#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

// Demands of busy accelerators: demand (W) → number of accelerators with that demand.
using DemandBins = std::map<Watts, double>;

// The water-filling level λ for budget B (see above); +infinity when the demands fit.
Watts water_fill_level(const DemandBins& demands, Watts budget_w);

// The largest IT power whose facility power is at most cap_w at the outdoor temperature.
Watts max_it_under_facility_cap(const SiteSpec& site, Watts cap_w, Celsius outdoor_c, Watts design_it_w);

}  // namespace dcsim
