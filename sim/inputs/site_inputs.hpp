#pragma once
// Time-varying inputs of a site as the engine sees them: piecewise-constant values with the time
// of their next change, so energy stays exactly integrable (each value holds over its step).
// Built from the scenario's trace files (traces/) or constants.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "core/calendar.hpp"

namespace dcsim {

class StepInput {
 public:
  virtual ~StepInput() = default;
  virtual double value_at(Seconds t) = 0;      // monotone queries are O(1) amortised
  virtual Seconds next_change_after(Seconds t) = 0;  // +inf if constant
  virtual double mean_over(Seconds t0, Seconds t1) = 0;  // for forecasts
};

class ConstantInput final : public StepInput {
 public:
  explicit ConstantInput(double v) : v_(v) {}
  double value_at(Seconds) override { return v_; }
  Seconds next_change_after(Seconds) override { return std::numeric_limits<double>::infinity(); }
  double mean_over(Seconds, Seconds) override { return v_; }

 private:
  double v_;
};

struct SiteInputs {
  std::unique_ptr<StepInput> carbon_gco2_per_kwh;
  std::unique_ptr<StepInput> price_usd_per_kwh;
  std::unique_ptr<StepInput> outdoor_temp_c;
  std::unique_ptr<StepInput> solar_w;   // on-site PV output (already converted by physics)
  std::unique_ptr<StepInput> wind_w;    // on-site wind output
  // Carbon-free share of grid electricity (0..1) for the 24/7 CFE score: from the carbon file's
  // fuel mix (EIA-930: (WND + SUN + WAT + NUC) / all fuels) or its low-carbon percentage
  // (Electricity Maps); 0 when the scenario gives no trace (grid counted as not carbon-free).
  std::unique_ptr<StepInput> grid_cfe_share;
  // Marginal emission intensity of the grid (gCO2e/kWh): a marginal column of a trace or the
  // Siler-Evans estimate from the carbon file's fuel mix (GridSpec::marginal_*); null without.
  std::unique_ptr<StepInput> marginal_gco2_per_kwh;
  std::vector<std::string> reports;     // what the trace loaders filled/wrapped (provenance)
};

// Loads every trace the scenario names (throws InputError with file:line on bad files).
SiteInputs load_site_inputs(const Scenario& s, const Calendar& cal);

}  // namespace dcsim
