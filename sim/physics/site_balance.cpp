#include "physics/site_balance.hpp"

#include <algorithm>

namespace dcsim {

SupplyBalance supply_balance(Watts facility_w, const BatteryState& battery, const BatterySpec& spec,
                             const SupplyConditions& now, bool export_allowed) {
  SupplyBalance b;
  const Watts demand = std::max(facility_w, 0.0);
  const Watts gen = std::max(now.generation_w, 0.0);
  const double s_grid = std::clamp(now.grid_cfe_share, 0.0, 1.0);
  if (battery.present) {
    const double cap = battery.capacity_j, stored = battery.stored_j;
    const bool can_discharge = stored - spec.soc_min * cap > 1e-6 * cap;
    const bool can_charge = spec.soc_max * cap - stored > 1e-6 * cap;
    const Watts pmax = battery.power_limit_w;
    const Watts surplus = gen - demand;
    switch (now.battery_mode) {
      case BatteryMode::charge: b.charge_w = pmax; break;
      case BatteryMode::discharge: b.discharge_w = std::min(pmax, std::max(0.0, -surplus)); break;
      case BatteryMode::automatic:
        if (surplus > 0) b.charge_w = std::min(surplus, pmax);
        else b.discharge_w = std::min(-surplus, pmax);
        break;
    }
    if (!can_charge) b.charge_w = 0;
    if (!can_discharge) b.discharge_w = 0;
    if (b.discharge_w > 0)
      b.until_battery_bound_s = (stored - spec.soc_min * cap) * spec.discharge_efficiency / b.discharge_w;
    if (b.charge_w > 0)
      b.until_battery_bound_s = (spec.soc_max * cap - stored) / (spec.charge_efficiency * b.charge_w);
  }
  const Watts net = demand + b.charge_w - b.discharge_w - gen;
  if (net >= 0) b.import_w = net;
  else if (export_allowed) b.export_w = -net;
  else b.curtailed_w = -net;
  b.generation_to_load_w = std::min(gen, demand);
  const Watts grid_to_load = std::max(0.0, demand - b.generation_to_load_w - b.discharge_w);
  const Watts gen_to_charge = std::min(b.charge_w, gen - b.generation_to_load_w);
  if (b.charge_w > 0) b.charge_clean_share = (gen_to_charge + (b.charge_w - gen_to_charge) * s_grid) / b.charge_w;
  b.clean_supply_w = b.generation_to_load_w + b.discharge_w * std::clamp(battery.clean_fraction, 0.0, 1.0) +
                     grid_to_load * s_grid;
  b.emissions_kg_per_h = b.import_w / 1000.0 * now.carbon_gco2_per_kwh / 1000.0;
  b.marginal_emissions_kg_per_h = b.import_w / 1000.0 * now.marginal_gco2_per_kwh / 1000.0;
  b.cost_usd_per_h = b.import_w / 1000.0 * now.price_usd_per_kwh;
  return b;
}

SitePower site_power(const SiteSpec& site, Watts it_w, Celsius outdoor_c, Watts design_it_w,
                     const BatteryState& battery, const SupplyConditions& now) {
  SitePower p;
  p.facility = facility_power(site.cooling, site.ups, site.pdu, it_w, outdoor_c, design_it_w);
  p.supply = supply_balance(p.facility.total_w, battery, site.supply.battery, now,
                            site.supply.grid.export_allowed > 0);
  return p;
}

}  // namespace dcsim
