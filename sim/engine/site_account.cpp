#include "engine/site_account.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "output/schema.hpp"

namespace dcsim::engine {

namespace {

// The site series: ONE row per written channel, in column order: the channel, its variable
// name, and its unit and long name (empty: the standard set's, output/schema.hpp). The
// static_assert ties every row to its channel, so the channel enum (site_account.hpp) and the
// written columns cannot drift apart by position.
struct SiteSeriesRow {
  Ch channel;
  const char* name;
  const char* unit = nullptr;       // nullptr: standard_series(name)
  const char* long_name = nullptr;
  bool compress = true;
};
constexpr SiteSeriesRow kSiteSeries[] = {
    {ch_it, "it_power_w"},
    {ch_cooling, "cooling_power_w"},
    {ch_loss, "losses_power_w"},
    {ch_facility, "facility_power_w"},
    {ch_pue, "pue"},
    {ch_util, "utilisation"},
    {ch_running, "running_jobs"},
    {ch_queued, "queued_jobs"},
    {ch_pv, "pv_power_w"},
    {ch_wind, "wind_power_w"},
    {ch_battery, "battery_power_w"},
    {ch_soc, "battery_soc"},
    {ch_grid, "grid_import_w"},
    {ch_carbon, "carbon_intensity_g_per_kwh"},
    {ch_emissions, "emissions_rate_kg_per_h"},
    {ch_price, "price_usd_per_mwh"},
    {ch_temp, "outdoor_temp_c"},
    {ch_freq, "mean_freq_mhz"},
    {ch_nodes_on, "nodes_on"},
    {ch_cap, "power_cap_w"},
    {ch_accel, "accelerator_power_w", "W", "power of all accelerators, p-state transitions included", false},
    {ch_host, "host_power_w", "W", "power of node hosts (CPU, memory, NIC, fans), incl. booting, shutting down and off", false},
    {ch_misc, "misc_power_w", "W", "fixed facility loads (lighting, offices); part of facility power"},
    {ch_bat_charge, "battery_charge_w", "W", "power into the battery"},
    {ch_bat_discharge, "battery_discharge_w", "W", "power out of the battery into the site"},
    {ch_grid_import, "grid_import_only_w", "W", "power imported from the grid (never negative)", false},
    {ch_grid_export, "grid_export_w", "W", "surplus exported to the grid"},
    {ch_curtailed, "curtailed_w", "W", "surplus generation curtailed (export not allowed)"},
    {ch_cost, "cost_rate_usd_per_h", "USD/h", "cost rate of grid imports", false},
    {ch_installed_gpus, "installed_gpus", "1", "accelerators of the installed nodes (a fleet plan adds and retires them)"},
    {ch_embodied, "embodied_rate_kg_per_h", "kg/h", "embodied carbon booked: amortised or at purchase (kgCO2e per hour)", false},
    // only when the scenario has marginal data (GridSpec::has_marginal), after the others
    {ch_marginal, "marginal_intensity_g_per_kwh", "g/kWh", "grid marginal emission intensity (gCO2e per kWh)"},
    {ch_marginal_emissions, "marginal_emissions_rate_kg_per_h", "kg/h",
     "marginal emission rate of the grid import (kgCO2e per hour)", false},
};
constexpr std::size_t kMarginalRows = 2;

constexpr bool rows_follow_channels() {
  if (std::size(kSiteSeries) != ch_written + kMarginalRows) return false;
  for (std::size_t i = 0; i < ch_written; ++i)
    if (kSiteSeries[i].channel != i) return false;
  return kSiteSeries[ch_written].channel == ch_marginal &&
         kSiteSeries[ch_written + 1].channel == ch_marginal_emissions;
}
static_assert(rows_follow_channels(), "kSiteSeries: one row per written channel, in channel order");

}  // namespace

std::vector<SeriesSpec> site_series_specs(bool marginal) {
  std::vector<SeriesSpec> v;
  const std::size_t n = ch_written + (marginal ? kMarginalRows : 0);
  for (std::size_t i = 0; i < n; ++i) {
    const SiteSeriesRow& r = kSiteSeries[i];
    if (!r.unit) v.push_back(standard_series(r.name));
    else v.push_back({r.name, r.unit, r.long_name, r.compress});
  }
  return v;
}

SiteAccount::SiteAccount(const SiteSpec& site, Watts design_it_w, Seconds sample_s, bool marginal, RowSink sink)
    : site_(site), design_it_w_(design_it_w), marginal_(marginal), sink_(std::move(sink)) {
  if (site.supply.battery.capacity_mwh > 0) battery_.emplace(site.supply.battery);
  averager_ = std::make_unique<IntervalAverager>(
      ch_count, 0.0, sample_s, [this](Seconds t, const std::vector<double>& avg) {
        row_.assign(avg.begin(), avg.begin() + ch_written);
        if (marginal_) {
          row_.push_back(avg[ch_marginal]);
          row_.push_back(avg[ch_marginal_emissions]);
        }
        // Ratios per interval are ratios of energies, not means of instantaneous ratios.
        const double nan = std::numeric_limits<double>::quiet_NaN();
        row_[ch_pue] = avg[ch_it] > 0 ? avg[ch_facility] / avg[ch_it] : nan;
        row_[ch_freq] = avg[ch_busy_gpus] > 0 ? avg[ch_busy_freq] / avg[ch_busy_gpus] : nan;
        sink_(t, row_);
      });
  hourly_ = std::make_unique<IntervalAverager>(2, 0.0, 3600.0, [this](Seconds, const std::vector<double>& avg) {
    cfe_load_kwh_.push_back(avg[0] / 1000.0);
    cfe_clean_kwh_.push_back(std::min(avg[0], avg[1]) / 1000.0);
    peak_hourly_w_ = std::max(peak_hourly_w_, avg[0]);
  });
}

BatteryState SiteAccount::battery_state() const {
  BatteryState b;
  if (!battery_) return b;
  b.present = true;
  b.stored_j = battery_->stored_j();
  b.capacity_j = battery_->capacity_j();
  b.power_limit_w = battery_->power_limit_w();
  b.clean_fraction = battery_->clean_fraction();
  return b;
}

void SiteAccount::integrate_to(Seconds t) {
  if (t <= last_t_) return;
  const Seconds dt = t - last_t_;
  averager_->add_piece(last_t_, t, values_);
  for (std::size_t c = 0; c < ch_count; ++c)
    if (c != ch_cap && c != ch_soc) totals_[c] += values_[c] * dt;
  // emissions factor: grams per joule of IT energy (per-job attribution, overhead included)
  if (values_[ch_it] > 0) {
    emis_factor_cum_ += values_[ch_emissions] / 3.6 / values_[ch_it] * dt;
    emis_marg_factor_cum_ += values_[ch_marginal_emissions] / 3.6 / values_[ch_it] * dt;
  }
  if (battery_) battery_->step(dt, values_[ch_bat_discharge] - values_[ch_bat_charge], charge_clean_share_);
  hour_buf_[0] = values_[ch_facility];
  hour_buf_[1] = values_[ch_clean_supply];
  hourly_->add_piece(last_t_, t, hour_buf_);
  last_t_ = t;
}

Seconds SiteAccount::recompute(Seconds now, const SiteLoad& load) {
  (void)now;
  auto& v = values_;
  const Watts it = load.accelerators_w + load.hosts_w;
  const SitePower sp = site_power(site_, it, temp_c_, design_it_w_, battery_state(), now_);
  const FacilityPower& f = sp.facility;
  const SupplyBalance& s = sp.supply;
  v[ch_it] = it;
  v[ch_accel] = load.accelerators_w;
  v[ch_host] = load.hosts_w;
  v[ch_cooling] = f.cooling_w;
  v[ch_loss] = f.pdu_loss_w + f.ups_loss_w;
  v[ch_misc] = f.misc_w;
  v[ch_facility] = f.total_w;
  v[ch_pue] = it > 0 ? f.total_w / it : 0;  // replaced by the energy ratio when sampled
  v[ch_util] = load.utilisation;
  v[ch_running] = load.running_jobs;
  v[ch_queued] = load.queued_jobs;
  v[ch_nodes_on] = load.nodes_on;
  v[ch_freq] = 0;  // derived per interval from the hidden channels
  v[ch_busy_freq] = load.busy_freq_sum;
  v[ch_busy_gpus] = load.busy_gpus;
  v[ch_cap] = load.site_cap_w > 0 ? load.site_cap_w : std::numeric_limits<double>::quiet_NaN();
  v[ch_temp] = temp_c_;
  v[ch_pv] = pv_w_;
  v[ch_wind] = wind_w_;
  v[ch_bat_charge] = s.charge_w;
  v[ch_bat_discharge] = s.discharge_w;
  v[ch_battery] = s.discharge_w - s.charge_w;
  v[ch_soc] = battery_ ? battery_->soc() : std::numeric_limits<double>::quiet_NaN();
  v[ch_grid] = s.import_w - s.export_w;
  v[ch_grid_import] = s.import_w;
  v[ch_grid_export] = s.export_w;
  v[ch_curtailed] = s.curtailed_w;
  v[ch_carbon] = now_.carbon_gco2_per_kwh;
  v[ch_clean_supply] = s.clean_supply_w;
  v[ch_emissions] = s.emissions_kg_per_h;
  v[ch_marginal] = now_.marginal_gco2_per_kwh;
  v[ch_marginal_emissions] = s.marginal_emissions_kg_per_h;
  v[ch_price] = now_.price_usd_per_kwh * 1000.0;  // USD/kWh → USD/MWh
  v[ch_cost] = s.cost_usd_per_h;
  v[ch_installed_gpus] = load.installed_gpus;
  v[ch_embodied] = load.embodied_kg_per_h;
  charge_clean_share_ = s.charge_clean_share;
  peak_facility_w_ = std::max(peak_facility_w_, f.total_w);
  return s.until_battery_bound_s;
}

void SiteAccount::finish(Seconds t) {
  integrate_to(t);
  averager_->flush_partial(t);
  hourly_->flush_partial(t);
}

}  // namespace dcsim::engine
