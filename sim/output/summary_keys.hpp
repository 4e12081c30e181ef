#pragma once
// The registered keys of the run summary (issue 16): every number the engine puts in
// RunSummary::values is one of kSummaryKeys, or serving_<i>_<suffix> with a suffix of
// kServingDeploymentSummaryKeys; every text is one of kSummaryTextKeys. The engine checks the
// whole summary against this table before the writer sees it (check_summary_keys), and readers
// go through summary_value(), which refuses an unregistered key instead of reading it as 0.
// analysis/SCHEMA.md ("Summary attributes") lists the same names (tests/python/test_schema.py).
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <string_view>

namespace dcsim {

inline constexpr std::string_view kSummaryKeys[] = {
    "it_energy_kwh", "accelerator_energy_kwh", "host_energy_kwh", "cooling_energy_kwh",
    "loss_energy_kwh", "misc_energy_kwh", "facility_energy_kwh", "pue", "peak_facility_power_kw",
    "peak_hourly_facility_power_kw", "mean_facility_power_kw", "grid_import_kwh", "grid_export_kwh",
    "pv_energy_kwh", "wind_energy_kwh", "curtailed_kwh", "onsite_generation_kwh",
    "pv_capacity_factor", "wind_capacity_factor", "battery_charge_kwh", "battery_discharge_kwh",
    "battery_throughput_kwh", "emissions_tco2", "cost_usd", "mean_utilisation", "jobs_submitted",
    "jobs_completed", "jobs_unfinished", "jobs_rejected", "jobs_killed", "jobs_not_submitted",
    "preemptions", "resizes", "mean_job_delay_h", "mean_turnaround_h", "p95_turnaround_h",
    "mean_slowdown", "p95_slowdown", "pstate_changes", "pstate_transition_energy_kwh",
    "simulated_s", "drain_used_s", "gpus", "nodes", "job_energy_kwh", "completed_work_eflop",
    "completed_gpu_hours", "battery_health", "emissions_market_tco2", "cfe_score", "embodied_tco2",
    "total_emissions_tco2", "emissions_marginal_tco2", "serving_energy_kwh", "serving_tokens_out",
    "serving_requests_completed", "serving_requests_arrived", "serving_emissions_kg",
    "serving_replicas_denied", "serving_preemptions", "serving_replicas_at_end",
    "simgrid_host_energy_j",
    // site.thermal (physics/thermal.hpp)
    "thermal_mean_device_temp_c", "thermal_max_device_temp_c", "thermal_throttled_gpu_hours",
    "thermal_throttle_events", "chiller_failure_hours",
    // site.fleet (a fleet plan)
    "gpus_installed_end", "fleet_nodes_installed", "fleet_nodes_retired", "fleet_retire_preemptions"};

// serving_<i>_<suffix>, one set per serving deployment i.
inline constexpr std::string_view kServingDeploymentSummaryKeys[] = {
    "arrivals", "completed", "rejected", "slo_attainment", "tokens_out", "tokens_prompt",
    "energy_kwh", "loading_energy_kwh", "j_per_output_token", "ttft_p50_s", "ttft_p99_s",
    "tpot_p50_s", "tpot_p99_s", "emissions_kg", "gco2_per_1k_tokens"};

inline constexpr std::string_view kSummaryTextKeys[] = {"interrupted", "scenario", "run_warnings"};

template <std::size_t N>
constexpr bool contains_key(const std::string_view (&table)[N], std::string_view k) {
  return std::find(std::begin(table), std::end(table), k) != std::end(table);
}

inline bool is_summary_key(std::string_view k) {
  if (contains_key(kSummaryKeys, k)) return true;
  constexpr std::string_view p = "serving_";
  if (k.substr(0, p.size()) != p) return false;
  std::size_t i = p.size();
  while (i < k.size() && std::isdigit(static_cast<unsigned char>(k[i]))) ++i;
  if (i == p.size() || i >= k.size() || k[i] != '_') return false;
  return contains_key(kServingDeploymentSummaryKeys, k.substr(i + 1));
}

}  // namespace dcsim
