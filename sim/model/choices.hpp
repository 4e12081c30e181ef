#pragma once
// The closed choices of a scenario (issue 16): one enum and one name table each
// (core/enum_names.hpp). config/ reads them with YamlMap::choice<E>; nothing past the loader
// compares their names. `dcsim describe choices` lists them with the key they belong to
// (kScenarioChoices below), and tests/cli/describe_choices.sh checks scenarios/README.md does.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/enum_names.hpp"

namespace dcsim {

// site.cooling.model (physics/facility.hpp has the laws of each).
enum class CoolingModel { constant_pue, chiller, chiller_economiser, liquid };
inline constexpr Named<CoolingModel> kCoolingModelNames[] = {
    {CoolingModel::constant_pue, "constant-pue"},
    {CoolingModel::chiller, "chiller"},
    {CoolingModel::chiller_economiser, "chiller-economiser"},
    {CoolingModel::liquid, "liquid"}};
constexpr std::span<const Named<CoolingModel>> names_of(CoolingModel) { return kCoolingModelNames; }

// platform network.topology (topology/site_graph.hpp, engine/platform_builder.cpp).
enum class NetworkTopology { leaf_spine, fat_tree, none };
inline constexpr Named<NetworkTopology> kNetworkTopologyNames[] = {
    {NetworkTopology::leaf_spine, "leaf-spine"},
    {NetworkTopology::fat_tree, "fat-tree"},
    {NetworkTopology::none, "none"}};
constexpr std::span<const Named<NetworkTopology>> names_of(NetworkTopology) { return kNetworkTopologyNames; }

// Empty cells and missing timestamps of a trace (supply.grid.gap_rule; traces/trace_report.hpp).
enum class GapRule {
  interpolate,  // linear in time between the nearest valid neighbours (hold at the ends)
  hold,         // last valid value before (the first valid one at the start)
  error,        // InputError naming file:line of every occurrence
};
inline constexpr Named<GapRule> kGapRuleNames[] = {
    {GapRule::interpolate, "interpolate"}, {GapRule::hold, "hold"}, {GapRule::error, "error"}};
constexpr std::span<const Named<GapRule>> names_of(GapRule) { return kGapRuleNames; }

// The run covers times the trace does not (supply.grid.wrap_rule; traces/align.hpp).
enum class BeyondSpanRule {
  wrap,   // repeat the trace's year by month/day/hour (Feb 29 from Feb 28), or repeat its span
  hold,   // first value before the trace, last value after it
  error,  // InputError: the trace must cover the run
};
inline constexpr Named<BeyondSpanRule> kBeyondSpanRuleNames[] = {
    {BeyondSpanRule::wrap, "wrap"}, {BeyondSpanRule::hold, "hold"}, {BeyondSpanRule::error, "error"}};
constexpr std::span<const Named<BeyondSpanRule>> names_of(BeyondSpanRule) { return kBeyondSpanRuleNames; }

// supply.grid.marginal_estimate: marginal intensity estimated from generation by fuel
// (physics/marginal.hpp) per hour of day or per month and hour; off = none.
enum class MarginalEstimate { off, hour, month_hour };
inline constexpr Named<MarginalEstimate> kMarginalEstimateNames[] = {
    {MarginalEstimate::off, "off"}, {MarginalEstimate::hour, "hour"}, {MarginalEstimate::month_hour, "month-hour"}};
constexpr std::span<const Named<MarginalEstimate>> names_of(MarginalEstimate) { return kMarginalEstimateNames; }

// supply.solar/wind.profile_normalisation: how a profile column becomes a share of the nameplate.
enum class ProfileNormalisation { trace_peak, capacity };
inline constexpr Named<ProfileNormalisation> kProfileNormalisationNames[] = {
    {ProfileNormalisation::trace_peak, "trace-peak"}, {ProfileNormalisation::capacity, "capacity"}};
constexpr std::span<const Named<ProfileNormalisation>> names_of(ProfileNormalisation) {
  return kProfileNormalisationNames;
}

// workload.traces[].format (workload/importers.hpp).
enum class JobTraceFormat { swf, alibaba_gpu_2023, helios, dcsim_csv, azure_llm };
inline constexpr Named<JobTraceFormat> kJobTraceFormatNames[] = {
    {JobTraceFormat::swf, "swf"},
    {JobTraceFormat::alibaba_gpu_2023, "alibaba-gpu-2023"},
    {JobTraceFormat::helios, "helios"},
    {JobTraceFormat::dcsim_csv, "dcsim-csv"},
    {JobTraceFormat::azure_llm, "azure-llm"}};
constexpr std::span<const Named<JobTraceFormat>> names_of(JobTraceFormat) { return kJobTraceFormatNames; }

// workload.traces[].profile_rule: how a trace's jobs are mapped to catalogue profiles.
enum class ProfileRule { fixed, by_gpus, by_column, mix };
inline constexpr Named<ProfileRule> kProfileRuleNames[] = {
    {ProfileRule::fixed, "fixed"},
    {ProfileRule::by_gpus, "by-gpus"},
    {ProfileRule::by_column, "by-column"},
    {ProfileRule::mix, "mix"}};
constexpr std::span<const Named<ProfileRule>> names_of(ProfileRule) { return kProfileRuleNames; }

// workload.generator (workload/generator.hpp).
enum class WorkloadGenerator { research_lab, fixed, trace, none };
inline constexpr Named<WorkloadGenerator> kWorkloadGeneratorNames[] = {
    {WorkloadGenerator::research_lab, "research-lab"},
    {WorkloadGenerator::fixed, "fixed"},
    {WorkloadGenerator::trace, "trace"},
    {WorkloadGenerator::none, "none"}};
constexpr std::span<const Named<WorkloadGenerator>> names_of(WorkloadGenerator) { return kWorkloadGeneratorNames; }

// workload.arrival_process of the fixed generator.
enum class ArrivalProcess { regular, poisson };
inline constexpr Named<ArrivalProcess> kArrivalProcessNames[] = {
    {ArrivalProcess::regular, "regular"}, {ArrivalProcess::poisson, "poisson"}};
constexpr std::span<const Named<ArrivalProcess>> names_of(ArrivalProcess) { return kArrivalProcessNames; }

// Every closed choice with the scenario key it belongs to ({key, "a | b | c"}), for
// `dcsim describe choices` and the check that scenarios/README.md lists each of them.
inline std::vector<std::pair<std::string, std::string>> scenario_choices() {
  return {{"platform.network.topology", names_list<NetworkTopology>()},
          {"site.cooling.model", names_list<CoolingModel>()},
          {"site.supply.grid.gap_rule", names_list<GapRule>()},
          {"site.supply.grid.wrap_rule", names_list<BeyondSpanRule>()},
          {"site.supply.grid.marginal_estimate", names_list<MarginalEstimate>()},
          {"site.supply.solar.profile_normalisation", names_list<ProfileNormalisation>()},
          {"site.supply.wind.profile_normalisation", names_list<ProfileNormalisation>()},
          {"workload.generator", names_list<WorkloadGenerator>()},
          {"workload.arrival_process", names_list<ArrivalProcess>()},
          {"workload.traces[].format", names_list<JobTraceFormat>()},
          {"workload.traces[].profile_rule", names_list<ProfileRule>()}};
}

}  // namespace dcsim
