// The run's wiring: topology, executor, inputs, forecasts and the recorder around the engine's
// logic (engine/core.hpp). See docs/ARCHITECTURE.md, "The flow of one run".
#include "engine/engine.hpp"

#include <memory>

#include "config/scenario_loader.hpp"
#include "core/calendar.hpp"
#include "core/error.hpp"
#include "engine/core.hpp"
#include "engine/fake_executor.hpp"
#include "engine/simgrid_executor.hpp"
#include "inputs/site_inputs.hpp"
#include "topology/site_graph.hpp"
#include "traces/forecast.hpp"
#include "traces/time_series.hpp"

namespace dcsim {

namespace {

// Speeds per p-state (f_p / f_max) of every node, for the fake executor.
std::vector<std::vector<double>> node_speeds(const SiteTopology& topo, const PlatformSpec& ps) {
  std::vector<std::vector<double>> speeds(topo.node_count());
  for (std::size_t i = 0; i < speeds.size(); ++i) {
    const NodeSpec& nt = ps.node_types.at(topo.node_type(static_cast<NodeId>(i)));
    const AcceleratorSpec& acc = ps.accelerators.at(nt.accelerator);
    for (const PState& p : acc.pstates) speeds[i].push_back(p.freq_mhz / acc.max_freq_mhz());
  }
  return speeds;
}

// Policies see forecasts issued at the decision time: the actual mean over the window times a
// deterministic relative error (traces/forecast.hpp) that grows with lead time, a pure function
// of (window, issue time); accounting uses the actual values.
Forecasts make_forecasts(const Scenario& scenario, SiteInputs& inputs, const Seconds* issued) {
  static const traces::TimeSeries unit = traces::TimeSeries::constant(1.0);
  const PoliciesSpec& ps = scenario.policies;
  auto options = [&](const char* stream) {
    traces::ForecastOptions o{ps.forecast_error, ps.forecast_error_growth_per_day, scenario.seed, stream};
    o.correlation_s = ps.forecast_error_correlation_s;
    return o;
  };
  auto fc_carbon = std::make_shared<traces::Forecast>(unit, options("forecast-carbon"));
  auto fc_price = std::make_shared<traces::Forecast>(unit, options("forecast-price"));
  auto fc_gen = std::make_shared<traces::Forecast>(unit, options("forecast-generation"));
  StepInput* carbon = inputs.carbon_gco2_per_kwh.get();
  StepInput* price = inputs.price_usd_per_kwh.get();
  StepInput* pv = inputs.solar_w.get();
  StepInput* wind = inputs.wind_w.get();
  Forecasts f;
  f.carbon_gco2_per_kwh = [carbon, fc_carbon, issued](Seconds a, Seconds z) {
    return carbon->mean_over(a, z) * fc_carbon->noise_factor(a, z, *issued);
  };
  f.price_usd_per_kwh = [price, fc_price, issued](Seconds a, Seconds z) {
    return price->mean_over(a, z) * fc_price->noise_factor(a, z, *issued);
  };
  f.onsite_generation_w = [pv, wind, fc_gen, issued](Seconds a, Seconds z) {
    return (pv->mean_over(a, z) + wind->mean_over(a, z)) * fc_gen->noise_factor(a, z, *issued);
  };
  return f;
}

}  // namespace

RunSummary run_simulation(const Scenario& scenario, std::vector<Job> jobs, Policy& policy, Recorder& recorder,
                          const RunOptions& options) {
  try {
    if (auto unsupported = engine_unsupported(scenario); !unsupported.empty())
      throw InputError(std::move(unsupported));
    const SiteTopology topo = SiteTopology::build(scenario.site.platform);
    // SimGrid's engine is a process-wide singleton: one simulation per process.
    std::unique_ptr<SimGridExecutor> sg;
    std::unique_ptr<FakeExecutor> fake;
    Executor* exec = nullptr;
    if (options.executor == ExecutorKind::simgrid) {
      sg = std::make_unique<SimGridExecutor>(topo, scenario.site.platform,
                                             SimGridOptions{options.simgrid_args, options.simgrid_energy_plugin});
      exec = sg.get();
    } else {
      fake = std::make_unique<FakeExecutor>(node_speeds(topo, scenario.site.platform));
      exec = fake.get();
    }
    SiteInputs inputs = load_site_inputs(scenario, Calendar(scenario.time.start));
    engine::RunCore core(scenario, jobs, policy, recorder, options, topo, inputs, *exec);
    core.set_forecasts(make_forecasts(scenario, inputs, core.decision_time()));

    RunMetadata meta;
    meta.scenario_name = scenario.name;
    meta.scenario_yaml = scenario.resolved_yaml;
    meta.seed = scenario.seed;
    meta.time_units = core.calendar().cf_time_units();
    meta.sample_s = scenario.time.sample_s;
    meta.simgrid_version = simgrid_version();
    meta.input_checksums = options.input_checksums;
    for (std::size_t d = 0; d < scenario.serving.deployments.size(); ++d)
      meta.attributes["serving_deployment_" + std::to_string(d)] = scenario.serving.deployments[d].name;
    for (std::size_t i = 0; i < inputs.reports.size(); ++i)
      meta.attributes["trace_report_" + std::to_string(i)] = inputs.reports[i];
    for (std::size_t i = 0; i < options.notes.size(); ++i)
      meta.attributes["workload_note_" + std::to_string(i)] = options.notes[i];
    std::vector<SeriesSpec> series = engine::site_series_specs(inputs.marginal_gco2_per_kwh != nullptr);
    if (scenario.site.thermal.enabled)
      for (SeriesSpec& s : engine::thermal_series_specs()) series.push_back(std::move(s));
    recorder.begin(meta, series);
    core.begin_entities();
    exec->run(core);
    if (core.interrupted()) throw RunInterrupted("run interrupted");
    RunSummary s = core.summary();
    if (options.simgrid_energy_plugin && sg) s.values["simgrid_host_energy_j"] = sg->plugin_energy_j();
    s.text["scenario"] = scenario.name;
    check_summary_keys(s);  // an unregistered key is a bug: before the result is complete
    recorder.finish(s);
    return s;
  } catch (...) {
    recorder.abort();
    throw;
  }
}

}  // namespace dcsim
