#pragma once
// The site's accounting over a run: the site channels (IT, facility, supply, carbon, cost, …)
// held piecewise constant between changes and integrated on change into totals, interval
// averages (the site series) and hourly sums (the 24/7 CFE score). The watts come from
// physics::site_power (facility power and the supply balance); this class only holds and
// integrates them, and steps the battery.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/units.hpp"
#include "model/specs.hpp"
#include "output/recorder.hpp"
#include "physics/battery.hpp"
#include "physics/energy.hpp"
#include "physics/site_balance.hpp"

namespace dcsim::engine {

// Site channels. The first ch_written are written as site series (the standard set of
// analysis/SCHEMA.md first, then dcsim's extra series); the hidden ones are accumulators from
// which ratios are derived per interval (mean frequency of busy GPUs) or the CFE score.
enum Ch : std::size_t {
  ch_it, ch_cooling, ch_loss, ch_facility, ch_pue, ch_util, ch_running, ch_queued, ch_pv,
  ch_wind, ch_battery, ch_soc, ch_grid, ch_carbon, ch_emissions, ch_price, ch_temp, ch_freq,
  ch_nodes_on, ch_cap,
  // extra series
  ch_accel, ch_host, ch_misc, ch_bat_charge, ch_bat_discharge, ch_grid_import, ch_grid_export,
  ch_curtailed, ch_cost, ch_installed_gpus, ch_embodied,
  ch_written,
  // hidden
  ch_busy_freq = ch_written, ch_busy_gpus, ch_clean_supply,
  // written after the others only when the scenario has marginal data (GridSpec::has_marginal)
  ch_marginal, ch_marginal_emissions, ch_count
};

std::vector<SeriesSpec> site_series_specs(bool marginal);

// What the nodes and the scheduler say now (the engine's part of a recompute).
struct SiteLoad {
  Watts accelerators_w = 0;
  Watts hosts_w = 0;
  double utilisation = 0;
  double running_jobs = 0, queued_jobs = 0, nodes_on = 0;
  double busy_freq_sum = 0, busy_gpus = 0;
  Watts site_cap_w = 0;  // 0 = none
  double installed_gpus = 0;     // accelerators of installed nodes (site.fleet)
  double embodied_kg_per_h = 0;  // embodied carbon booked now (physics/carbon.hpp)
};

class SiteAccount {
 public:
  using RowSink = std::function<void(Seconds bin_start, const std::vector<double>& row)>;
  SiteAccount(const SiteSpec& site, Watts design_it_w, Seconds sample_s, bool marginal, RowSink sink);

  // Adds the piece [last, t) at the current values to the series, totals and hourly sums, and
  // steps the battery over it.
  void integrate_to(Seconds t);
  // New values from now on; returns the time the battery reaches a bound at the dispatched
  // power (+inf if never).
  Seconds recompute(Seconds now, const SiteLoad& load);
  // Closes the last partial interval at the end of the run.
  void finish(Seconds t);

  SupplyConditions& conditions() { return now_; }
  void set_generation(Watts pv_w, Watts wind_w) {
    pv_w_ = pv_w;
    wind_w_ = wind_w;
    now_.generation_w = pv_w + wind_w;
  }
  Celsius& outdoor_temp_c() { return temp_c_; }
  // A chiller failure (site.thermal.chiller_failures): the chillers draw and remove nothing
  // (physics/facility.hpp) until it ends; takes effect at the next recompute.
  void set_chiller_failed(bool failed) { site_.cooling.chiller_failed = failed; }
  const SupplyConditions& conditions() const { return now_; }
  Celsius outdoor_temp_c() const { return temp_c_; }

  double value(Ch c) const { return values_[c]; }
  double total(Ch c) const { return totals_[c]; }
  Watts peak_facility_w() const { return peak_facility_w_; }
  // Largest hourly mean of the facility power (W).
  Watts peak_hourly_facility_w() const { return peak_hourly_w_; }
  // gCO2e per J of IT energy, integrated (per-job attribution of emissions incl. overhead).
  double emissions_factor_cum() const { return emis_factor_cum_; }
  double marginal_factor_cum() const { return emis_marg_factor_cum_; }
  const std::vector<double>& cfe_load_kwh() const { return cfe_load_kwh_; }
  const std::vector<double>& cfe_clean_kwh() const { return cfe_clean_kwh_; }
  const std::optional<Battery>& battery() const { return battery_; }
  Watts design_it_w() const { return design_it_w_; }
  // The site as the facility laws see it now: the scenario's, with the cooling upgrades so far.
  const SiteSpec& spec() const { return site_; }
  void set_cooling(const CoolingSpec& c) { site_.cooling = c; }
  // At the run's start: the battery's initial charge carries the grid's carbon-free share then.
  void start_battery_clean_fraction() {
    if (battery_) battery_->set_clean_fraction(now_.grid_cfe_share);
  }

 private:
  BatteryState battery_state() const;
  SiteSpec site_;  // a copy: a chiller failure or a cooling upgrade changes its cooling
  Watts design_it_w_;
  bool marginal_;
  std::optional<Battery> battery_;
  SupplyConditions now_;
  Celsius temp_c_ = 20;
  Watts pv_w_ = 0, wind_w_ = 0;
  std::vector<double> values_ = std::vector<double>(ch_count, 0.0);
  std::vector<double> totals_ = std::vector<double>(ch_count, 0.0);
  std::unique_ptr<IntervalAverager> averager_;
  std::unique_ptr<IntervalAverager> hourly_;
  std::vector<double> hour_buf_ = std::vector<double>(2, 0.0), row_;
  std::vector<double> cfe_load_kwh_, cfe_clean_kwh_;
  double charge_clean_share_ = 0;
  Seconds last_t_ = 0;
  Watts peak_facility_w_ = 0, peak_hourly_w_ = 0;
  double emis_factor_cum_ = 0, emis_marg_factor_cum_ = 0;
  RowSink sink_;
};

}  // namespace dcsim::engine
