#include "output/schema.hpp"

#include <stdexcept>

namespace dcsim {

const std::vector<SeriesSpec>& standard_site_series() {
  static const std::vector<SeriesSpec> specs = {
      {"it_power_w", "W", "IT power: accelerators, hosts, network", false},
      {"cooling_power_w", "W", "cooling power: chillers, towers, pumps, fans", false},
      {"losses_power_w", "W", "power conversion and distribution losses", false},
      {"facility_power_w", "W", "total site power: IT + cooling + losses", false},
      {"pue", "1", "power usage effectiveness: facility power / IT power", false},
      {"utilisation", "1", "busy accelerators / installed accelerators", false},
      {"running_jobs", "1", "mean number of running jobs", false},
      {"queued_jobs", "1", "mean number of queued jobs"},
      {"pv_power_w", "W", "on-site photovoltaic generation"},
      {"wind_power_w", "W", "on-site wind generation"},
      {"battery_power_w", "W", "battery power at its terminals, > 0 discharging, < 0 charging"},
      {"battery_soc", "1", "battery state of charge at the end of the interval"},
      {"grid_import_w", "W", "power drawn from the grid, > 0 import, < 0 export", false},
      {"carbon_intensity_g_per_kwh", "g/kWh", "grid carbon intensity (gCO2e per kWh)"},
      {"emissions_rate_kg_per_h", "kg/h", "location-based emission rate of grid import (kgCO2e per hour)", false},
      {"price_usd_per_mwh", "USD/MWh", "grid electricity price"},
      {"outdoor_temp_c", "degC", "outdoor dry-bulb temperature"},
      {"mean_freq_mhz", "MHz", "mean clock frequency of busy accelerators"},
      {"nodes_on", "1", "mean number of powered-on nodes"},
      {"power_cap_w", "W", "site power cap in force"},
  };
  return specs;
}

const SeriesSpec& standard_series(const std::string& name) {
  for (const auto& s : standard_site_series())
    if (s.name == name) return s;
  throw std::out_of_range("not a standard site series: " + name);
}

}  // namespace dcsim
