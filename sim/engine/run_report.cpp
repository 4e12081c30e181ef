// The run's report: job records, the run-end invariants and the summary.
//
// Run-end invariants (a failure ends the run with InvariantError, the result file is not
// written): the clock reached the end; the policies' node summary equals a recount; every
// submitted job is completed, killed, rejected or unfinished; the nodes' energy equals the IT
// energy of the site series (p-state transitions included in both); facility energy is the sum
// of its parts; supply equals demand; the battery's state of charge stayed in its bounds.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "engine/core.hpp"
#include "physics/carbon.hpp"

namespace dcsim::engine {

namespace {
double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
// The 95th percentile by linear interpolation between order statistics (numpy's default).
double p95_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const double pos = 0.95 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::ptrdiff_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + lo, v.end());
  const double a = v[static_cast<std::size_t>(lo)];
  const double b = lo + 1 < static_cast<std::ptrdiff_t>(v.size()) ? *std::min_element(v.begin() + lo + 1, v.end()) : a;
  return a + (pos - static_cast<double>(lo)) * (b - a);
}
}  // namespace

void RunCore::write_job(JobRt& r) {
  JobRecord rec;
  rec.id = r.job.request.id;
  rec.profile = r.job.request.profile;
  rec.year = r.job.profile.model_year > 0 ? r.job.profile.model_year : cal_.year_at(r.job.request.submit_s);
  rec.submit_s = r.job.request.submit_s;
  rec.start_s = r.first_start_s;
  rec.end_s = r.end_s;
  rec.gpus = r.gpus > 0 ? r.gpus : r.job.request.gpus;
  rec.energy_j = r.energy.energy_j;
  rec.emissions_g = r.emis_g;
  if (inputs_.marginal_gco2_per_kwh) rec.emissions_marginal_g = r.emis_marg_g;
  rec.mean_freq_mhz = r.run_time > 0 ? r.freq_int / r.run_time : 0;
  rec.delay_s = r.first_start_s >= 0 ? r.first_start_s - r.job.request.submit_s : -1;
  rec.optimisation = r.job.profile.optimisation;
  rec.quality_cost = r.job.profile.quality_cost;
  rec.outcome = r.outcome;
  rec.reason = r.reason;
  rec.deferrable = r.job.request.deferrable;
  rec.deadline_s = r.job.request.deadline_s.value_or(-1.0);
  rec.full_speed_s = r.full_speed_s > 0 ? r.full_speed_s : -1.0;
  job_energy_total_ += rec.energy_j;
  if (r.outcome == JobOutcome::completed) {
    delay_sum_ += rec.delay_s;
    ++delay_n_;
    const Seconds turnaround = r.end_s - r.job.request.submit_s;
    turnaround_s_.push_back(turnaround);
    completed_work_flops_ += r.job.profile.work_flops;
    completed_gpu_s_ += static_cast<double>(rec.gpus) * r.run_time;
    if (r.full_speed_s > 0) slowdown_.push_back(turnaround / r.full_speed_s);
  }
  rec_.add_job(rec);
}

void RunCore::finalize(Seconds t) {
  finished_ = true;
  final_t_ = t;  // the last partial sample ends here (engine/thermal.cpp reads it in the row sink)
  site_->finish(t);
  serving_settle_emissions();
  for (std::size_t n = 0; n < nodes_.size(); ++n) nodes_[n].energy.advance(t);
  // Jobs still running or queued at the end.
  for (std::uint32_t j = 0; j < jobs_.size(); ++j) {
    JobRt& r = jobs_[j];
    if (r.state == JobState::running) {
      settle_job(r, t);
      r.run_time += t - r.start_s;
      r.reason = draining_ ? "running at the end of the drain" : "running at the end of the simulated span";
      r.end_s = -1;
      ++unfinished_;
      write_job(r);
    } else if (r.state == JobState::queued || r.state == JobState::waiting_deps) {
      r.reason = r.state == JobState::queued ? "queued at the end of the simulated span"
                                             : "waiting for dependencies at the end of the simulated span";
      ++unfinished_;
      write_job(r);
    } else if (r.state == JobState::future) {
      ++not_submitted_;
    }
  }
  final_t_ = t;
  check_invariants();
  build_summary();
}

void RunCore::check_invariants() {
  std::ostringstream err;
  const bool ended_early = draining_ && final_t_ >= end_s_ - 1e-6;  // the drain ends when no job runs
  if (!interrupted_ && !ended_early && final_t_ < run_end() - 1e-6)
    err << "simulated time stopped at " << final_t_ << " s before the end " << run_end() << " s; ";
  {
    NodeSummary recount = summarise(views_);
    recount.topology_version = node_summary_.topology_version;
    if (recount != node_summary_) err << "the policies' node summary drifted from the nodes' states; ";
  }
  const std::uint64_t accounted = completed_ + unfinished_ + rejected_ + killed_;
  if (accounted != submitted_) err << "jobs lost: " << submitted_ << " submitted but " << accounted << " accounted for; ";
  Joules nodes_e = 0;
  for (const auto& nd : nodes_) nodes_e += nd.energy.energy_j;
  const Joules it_e = site_->total(ch_it);
  if (std::abs(nodes_e - it_e) > 1e-6 * std::max(1.0, it_e))
    err << "IT energy not conserved: nodes " << nodes_e << " J vs site " << it_e << " J; ";
  const Joules parts = site_->total(ch_it) + site_->total(ch_cooling) + site_->total(ch_loss) + site_->total(ch_misc);
  if (std::abs(parts - site_->total(ch_facility)) > 1e-6 * std::max(1.0, parts))
    err << "facility energy differs from the sum of its components; ";
  const Joules supply = site_->total(ch_grid_import) + site_->total(ch_pv) + site_->total(ch_wind) +
                        site_->total(ch_bat_discharge) - site_->total(ch_bat_charge) - site_->total(ch_curtailed) -
                        site_->total(ch_grid_export);
  if (std::abs(supply - site_->total(ch_facility)) > 1e-6 * std::max(1.0, supply)) err << "supply does not match demand; ";
  if (const auto& b = site_->battery()) {
    const BatterySpec& bs = sc_.site.supply.battery;
    const double soc = b->soc();
    if (soc < bs.soc_min - 1e-6 || soc > bs.soc_max + 1e-6) err << "battery state of charge " << soc << " left its bounds; ";
  }
  if (!err.str().empty() && !interrupted_) throw InvariantError("run-end check failed: " + err.str());
}

void RunCore::build_summary() {
  auto& s = summary_.values;
  const double kwh = 1.0 / kJoulesPerKwh;
  const SiteAccount& site = *site_;
  s["it_energy_kwh"] = site.total(ch_it) * kwh;
  s["accelerator_energy_kwh"] = site.total(ch_accel) * kwh;
  s["host_energy_kwh"] = site.total(ch_host) * kwh;
  s["cooling_energy_kwh"] = site.total(ch_cooling) * kwh;
  s["loss_energy_kwh"] = site.total(ch_loss) * kwh;
  s["misc_energy_kwh"] = site.total(ch_misc) * kwh;
  s["facility_energy_kwh"] = site.total(ch_facility) * kwh;
  thermal_summary();
  s["pue"] = site.total(ch_it) > 0 ? site.total(ch_facility) / site.total(ch_it) : 0;
  s["peak_facility_power_kw"] = site.peak_facility_w() / 1000.0;
  s["peak_hourly_facility_power_kw"] = site.peak_hourly_facility_w() / 1000.0;
  s["mean_facility_power_kw"] = final_t_ > 0 ? site.total(ch_facility) / final_t_ / 1000.0 : 0;
  s["grid_import_kwh"] = site.total(ch_grid_import) * kwh;
  s["grid_export_kwh"] = site.total(ch_grid_export) * kwh;
  s["pv_energy_kwh"] = site.total(ch_pv) * kwh;
  s["wind_energy_kwh"] = site.total(ch_wind) * kwh;
  s["curtailed_kwh"] = site.total(ch_curtailed) * kwh;
  s["onsite_generation_kwh"] = (site.total(ch_pv) + site.total(ch_wind)) * kwh;
  // Capacity factors: energy over nameplate × simulated span (drain included).
  const double span_h = final_t_ / 3600.0;
  if (sc_.site.supply.solar.peak_mw > 0 && span_h > 0)
    s["pv_capacity_factor"] = site.total(ch_pv) * kwh / (sc_.site.supply.solar.peak_mw * 1000.0 * span_h);
  if (sc_.site.supply.wind.rated_mw > 0 && span_h > 0)
    s["wind_capacity_factor"] = site.total(ch_wind) * kwh / (sc_.site.supply.wind.rated_mw * 1000.0 * span_h);
  s["battery_charge_kwh"] = site.total(ch_bat_charge) * kwh;
  s["battery_discharge_kwh"] = site.total(ch_bat_discharge) * kwh;
  s["battery_throughput_kwh"] = (site.total(ch_bat_charge) + site.total(ch_bat_discharge)) * kwh;
  s["emissions_tco2"] = site.total(ch_emissions) / 3600.0 / 1000.0;  // kg/h · s → kg → t
  s["cost_usd"] = site.total(ch_cost) / 3600.0;
  s["mean_utilisation"] = final_t_ > 0 ? site.total(ch_util) / final_t_ : 0;
  s["jobs_submitted"] = static_cast<double>(submitted_);
  s["jobs_completed"] = static_cast<double>(completed_);
  s["jobs_unfinished"] = static_cast<double>(unfinished_);
  s["jobs_rejected"] = static_cast<double>(rejected_);
  s["jobs_killed"] = static_cast<double>(killed_);
  s["jobs_not_submitted"] = static_cast<double>(not_submitted_);
  s["preemptions"] = static_cast<double>(preemptions_);
  s["resizes"] = static_cast<double>(resizes_);
  s["mean_job_delay_h"] = delay_n_ > 0 ? delay_sum_ / static_cast<double>(delay_n_) / 3600.0 : 0;
  s["mean_turnaround_h"] = mean_of(turnaround_s_) / 3600.0;
  s["p95_turnaround_h"] = p95_of(turnaround_s_) / 3600.0;
  s["mean_slowdown"] = mean_of(slowdown_);
  s["p95_slowdown"] = p95_of(slowdown_);
  s["pstate_changes"] = static_cast<double>(pstate_changes_);
  s["pstate_transition_energy_kwh"] = pstate_transition_j_ * kwh;
  s["simulated_s"] = final_t_;
  s["drain_used_s"] = std::max(0.0, final_t_ - end_s_);
  s["gpus"] = static_cast<double>(gpus_installed_peak_);  // the most installed at once
  s["nodes"] = static_cast<double>(nodes_.size());
  s["job_energy_kwh"] = job_energy_total_ * kwh;
  s["completed_work_eflop"] = completed_work_flops_ / 1e18;
  s["completed_gpu_hours"] = completed_gpu_s_ / 3600.0;
  if (site.battery()) s["battery_health"] = site.battery()->health();
  // Carbon accounting (physics/carbon.hpp): market-based with contracted renewables, the hourly
  // 24/7 carbon-free-energy score, embodied carbon amortised over the simulated span.
  const GridSpec& g = sc_.site.supply.grid;
  const double grid_kwh = site.total(ch_grid_import) * kwh;
  const double loc_kg = site.total(ch_emissions) / 3600.0;
  const double mean_ci = grid_kwh > 0 ? loc_kg * 1000.0 / grid_kwh : 0.0;
  s["emissions_market_tco2"] = market_based_kg(grid_kwh, mean_ci, g.contracted_renewable_fraction) / 1000.0;
  s["cfe_score"] = cfe_score(site.cfe_load_kwh(), site.cfe_clean_kwh());
  // Embodied: per node group over its window (physics/carbon.hpp; a fixed node set is every
  // node amortised over the span), plus the battery's.
  EmbodiedInventory inv;
  inv.battery_kwh = sc_.site.supply.battery.capacity_mwh * 1000.0;
  double embodied = embodied_kg(sc_.site.embodied, inv, final_t_);
  const PlatformSpec& ps = sc_.site.platform;
  for (std::size_t gi = 0; gi < ps.nodes.size(); ++gi) {
    const NodeGroup& grp = ps.nodes[gi];
    if (grp.count == 0 || group_first_[gi] >= nodes_.size()) continue;
    const int acc = nodes_[group_first_[gi]].spec->accelerators_per_node;
    const Seconds install = grp.install_s < end_s_ + drain_s_ ? grp.install_s : kInf;  // never installed in the run
    if (!(install < kInf)) continue;
    embodied += grp.count * node_embodied_kg(sc_.site.embodied, acc, install, grp.retire_s, final_t_);
  }
  s["embodied_tco2"] = embodied / 1000.0;
  s["gpus_installed_end"] = static_cast<double>(gpus_total_);
  s["fleet_nodes_installed"] = static_cast<double>(nodes_installed_);
  s["fleet_nodes_retired"] = static_cast<double>(nodes_retired_);
  s["fleet_retire_preemptions"] = static_cast<double>(retire_preemptions_);
  s["total_emissions_tco2"] = s["emissions_tco2"] + s["embodied_tco2"];
  // Marginal (consequential) emissions of the grid import: ∫ import · MEF dt.
  if (inputs_.marginal_gco2_per_kwh) s["emissions_marginal_tco2"] = site.total(ch_marginal_emissions) / 3600.0 / 1000.0;
  serving_summary();
  summary_.text["interrupted"] = interrupted_ ? "yes" : "no";
  std::string w;
  for (const std::string& m : warnings_) w += (w.empty() ? "" : "\n") + m;
  summary_.text["run_warnings"] = w;
}

}  // namespace dcsim::engine
