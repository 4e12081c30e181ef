#pragma once
// Plain specification structs of a site, its supply, its workload and its policies, as a
// scenario file gives them (defaults below are the documented defaults). Pure data: the
// behaviour lives in physics/, workload/, policy/; the YAML loading in config/.
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/units.hpp"
#include "model/choices.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"

namespace dcsim {

// ---- platform ---------------------------------------------------------------------------------
struct NodeGroup {
  std::string node_type;  // key into the node catalogue
  int count = 0;          // nodes of this type
  // Availability window [install_s, retire_s) in simulated seconds (site.fleet, scenarios/
  // README.md "Fleet plan"): -inf = installed before the run (no date), +inf = never retired.
  // Outside the window the nodes draw nothing and cannot be scheduled.
  Seconds install_s = -std::numeric_limits<double>::infinity();
  Seconds retire_s = std::numeric_limits<double>::infinity();
  bool dated() const { return std::isfinite(install_s) || std::isfinite(retire_s); }
};

struct NetworkSpec {
  NetworkTopology topology = NetworkTopology::leaf_spine;
  double node_link_gbps = 400;          // node ↔ leaf (ToR)
  double uplink_gbps = 1600;            // leaf ↔ spine
  Seconds link_latency_s = 1e-6;
  int nodes_per_rack = 4;
  int racks_per_row = 10;
  int rows_per_room = 10;
  int racks_per_power_domain = 1;       // a PDU / busway feeds this many racks
  int racks_per_cooling_domain = 10;    // a CRAH / CDU serves this many racks
  int spine_switches = 2;               // spines (leaf-spine) or core switches (fat-tree)
};

struct PlatformSpec {
  std::string name;
  std::string file;                                  // where it came from
  std::map<std::string, AcceleratorSpec> accelerators;  // catalogue entries used
  std::map<std::string, NodeSpec> node_types;
  std::vector<NodeGroup> nodes;
  NetworkSpec network;
  // The whole catalogue the platform could draw on (built-in + its own), so that a fleet plan
  // (site.fleet) may name node types the platform's `nodes` do not use.
  std::map<std::string, AcceleratorSpec> catalogue_accelerators;
  std::map<std::string, NodeSpec> catalogue_node_types;
};

// ---- facility ---------------------------------------------------------------------------------
struct LossSpec {       // Rasmussen (APC WP 113): loss = a·P_rated + b·P + c·P²/P_rated
  double no_load = 0;      // a, fraction of rated power
  double proportional = 0; // b
  double square = 0;       // c
  Watts rated_w = 0;       // 0 = sized to the site's peak IT power
};

struct CoolingSpec {
  CoolingModel model = CoolingModel::constant_pue;
  double pue = 1.2;                    // constant-pue only
  std::string weather;                 // outdoor temperature trace (EPW, NSRDB, PVGIS)
  Celsius supply_temp_c = 18;          // chilled-air supply temperature (Moore et al. CoP)
  Celsius economiser_below_c = 15;     // free cooling when outdoor temperature is below this
  Celsius constant_outdoor_temp_c = 20;  // outdoor temperature when no weather file is given
  double fan_power_fraction = 0.05;    // air-moving power at design flow, fraction of IT power
  double pump_power_fraction = 0.02;   // liquid loop pumps, fraction of IT heat
  double dry_cooler_fraction = 0.02;   // dry-cooler fans at design, fraction of IT heat
  double liquid_capture = 0.8;         // share of IT heat removed by the liquid loop
  Celsius approach_c = 5;              // condenser approach over outdoor temperature
  double misc_fraction = 0.02;         // lighting, offices, fixed loads, fraction of design IT
  // Added by physics/facility.hpp (see its header comment for the laws):
  Celsius rating_outdoor_c = 25;       // outdoor temperature at which Moore's CoP curve and the
                                       // dry cooler's design flow hold
  Celsius evaporator_approach_c = 13;  // refrigerant evaporates this far below the supply air
  Celsius air_delta_t_c = 12;          // return − supply air temperature at design flow
  Celsius liquid_supply_temp_c = 40;   // direct-to-chip coolant supply (ASHRAE W40)
  // Not a scenario key: set on the engine's copy while a chiller failure (ThermalSpec) is on;
  // the chillers then remove nothing (physics/facility.hpp, physics/thermal.hpp).
  bool chiller_failed = false;
};

// Device temperature and thermal slowdown (physics/thermal.hpp; scenario key site.thermal).
struct ChillerFailureSpec {
  Seconds start_s = 0, end_s = 0;  // simulated time (from time.start)
};
struct ThermalSpec {
  bool enabled = false;
  // Overrides of the per-chip constants of physics/thermal.hpp (unset: the catalogue's).
  std::optional<double> resistance_k_per_w;
  std::optional<Seconds> time_constant_s;
  std::optional<Celsius> offset_c;
  std::optional<Celsius> slowdown_c;
  std::vector<ChillerFailureSpec> chiller_failures;  // sorted, disjoint
  double failure_rise_c_per_min = 2.0;  // estimated (physics/thermal.hpp)
  Celsius failure_max_supply_c = 60;    // estimated (physics/thermal.hpp)
  Seconds failure_step_s = 60;          // the rise is applied in steps of this length
};

struct GridSpec {
  std::optional<double> carbon_gco2_per_kwh;  // constant intensity, or:
  std::string carbon_file;                    // a trace (EIA / Electricity Maps CSV)
  std::string carbon_column;                  // column to use (default by format)
  std::optional<double> price_usd_per_kwh;    // constant price, or:
  std::string price_file;
  GapRule gap_rule = GapRule::interpolate;
  BeyondSpanRule wrap_rule = BeyondSpanRule::wrap;  // trace shorter than the run
  double export_allowed = 1;                  // 1: surplus exported, 0: curtailed
  double contracted_renewable_fraction = 0;   // market-based accounting
  // Marginal emissions (optional): a marginal intensity column (gCO2e/kWh, e.g. a WattTime MOER
  // export converted from lb/MWh) of marginal_file (default: carbon_file), or an estimate from
  // carbon_file's generation by fuel (Siler-Evans et al. 2012, physics/marginal.hpp) with bins
  // "hour" (of day, UTC) or "month-hour"; "off" = no marginal accounting.
  std::string marginal_column;
  std::string marginal_file;
  MarginalEstimate marginal_estimate = MarginalEstimate::off;
  // Trends (scenarios/README.md "Trends"): the carbon intensity and the price of calendar year y
  // are the trace's (or constant's) values times factor^(y − trend_base_year), piecewise constant
  // by UTC calendar year. 1 = no trend; trend_base_year 0 = the start year.
  double carbon_factor_per_year = 1;
  double price_factor_per_year = 1;
  int trend_base_year = 0;
  // Decarbonisation targets (year → mean gCO2e/kWh over the part of that UTC calendar year the
  // run covers): the base (constant, carbon_file or carbon_files) keeps its shape and is scaled
  // year by year; years between anchors interpolated geometrically, held outside them. Not with
  // carbon_factor_per_year. Empty = none.
  std::map<int, double> carbon_targets;
  // Yearly trace files stitched (year → file): UTC calendar year y reads the file of y, or of
  // the nearest earlier year listed (the first file before it). Not with carbon_file.
  std::map<int, std::string> carbon_files;
  bool has_marginal() const { return !marginal_column.empty() || marginal_estimate != MarginalEstimate::off; }
};

struct SolarSpec {
  double peak_mw = 0;             // DC nameplate at STC (1000 W/m², 25 °C)
  std::string weather;            // GHI + temperature (EPW / NSRDB / PVGIS); or:
  std::string profile_file;       // EIA SUN column, scaled to peak_mw
  // How profile_file is made a share of peak_mw: "trace-peak" (by the column's own maximum) or
  // "capacity" (by profile_capacity_mw, the installed capacity behind the column).
  ProfileNormalisation profile_normalisation = ProfileNormalisation::trace_peak;
  double profile_capacity_mw = 0;
  double efficiency_derate = 0.86;  // inverter, wiring, soiling
  double temp_coeff_per_c = -0.004;
  Celsius noct_c = 45;            // nominal operating cell temperature (800 W/m², 20 °C air)
};

struct WindSpec {
  double rated_mw = 0;
  std::string weather;            // wind speed; or:
  std::string profile_file;       // EIA WND column, scaled to rated_mw
  ProfileNormalisation profile_normalisation = ProfileNormalisation::trace_peak;  // as SolarSpec
  double profile_capacity_mw = 0;
  double hub_height_m = 100;
  double cut_in_ms = 3, rated_ms = 12, cut_out_ms = 25;
  double shear_exponent = 1.0 / 7.0;  // wind profile power law v_hub = v_10·(h/10)^α
};

struct BatterySpec {
  double capacity_mwh = 0;
  double power_mw = 0;
  double charge_efficiency = 0.94;
  double discharge_efficiency = 0.94;
  double soc_min = 0.1, soc_max = 0.9, soc_initial = 0.5;
  double cycles_to_80pct = 5000;     // capacity fade: 20 % over this many full cycles
  double calendar_fade_per_year = 0.01;
};

struct SupplySpec {
  GridSpec grid;
  SolarSpec solar;
  WindSpec wind;
  BatterySpec battery;
};

struct EmbodiedSpec {
  double kgco2_per_gpu = 150;        // manufacturing footprint per accelerator
  double kgco2_per_node_host = 2500; // host server excluding accelerators
  double kgco2_per_battery_kwh = 75;
  double lifetime_years = 5;
  double battery_lifetime_years = 10;
  // How a node's footprint is booked (physics/carbon.hpp): amortised straight-line over its
  // service life, or all of it at its install date ("at-purchase").
  bool at_purchase = false;
};

// Site limits of a fleet plan, checked at validation (0 = no limit).
struct FleetLimits {
  double power_capacity_mw = 0;  // installed IT nameplate power at any instant
  int racks = 0;                 // racks of network.nodes_per_rack nodes in use at any instant
};

// A dated cooling upgrade (site.cooling_upgrades): from at_s on, the facility runs this cooling
// model (the outdoor temperature trace stays the site's).
struct CoolingUpgrade {
  Seconds at_s = 0;
  CoolingSpec cooling;
};

struct SiteSpec {
  PlatformSpec platform;
  CoolingSpec cooling;
  std::vector<CoolingUpgrade> cooling_upgrades;  // ascending dates, after the start
  LossSpec ups;
  LossSpec pdu;
  SupplySpec supply;
  EmbodiedSpec embodied;
  ThermalSpec thermal;
  bool has_fleet = false;  // site.fleet given: platform.nodes are its groups, with dates
  FleetLimits fleet_limits;
};

// ---- workload ---------------------------------------------------------------------------------
struct TraceImportSpec {
  JobTraceFormat format = JobTraceFormat::swf;  // required in a scenario
  std::string file;
  ProfileRule profile_rule = ProfileRule::by_gpus;  // how jobs are mapped to profiles
  std::string default_profile = "image_classification";
  double time_scale = 1.0;
  std::optional<int> limit;
  // Added by the workload module (workloads/README.md, "Trace importers"):
  // rule parameters: by-gpus → {profile: min GPUs}; by-column → {column value: profile}.
  std::map<std::string, std::string> profile_map;
  std::string profile_column;     // by-column: which column (SWF: queue|partition|executable|user)
  double procs_per_gpu = 1;       // swf: processors per accelerator
  Seconds aggregate_s = 0;        // azure-llm: 0 = one job per request, else one job per window
  double serving_params = 355e6;  // azure-llm: parameters of the served model (GPT-2 medium)
};

// A burst of submissions before a yearly deadline (conference deadlines): the arrival rate is
// multiplied by `factor` during the `window_s` before month/day of every year.
struct DeadlineBurst {
  int month = 1;
  int day = 1;
  Seconds window_s = 14 * 86400.0;
  double factor = 2.0;
};

struct WorkloadSpec {
  WorkloadGenerator generator = WorkloadGenerator::research_lab;
  std::vector<std::string> catalogue_files;  // profile catalogues (default workloads/profiles.yaml)
  int jobs = 0;                   // fixed generator: number of jobs
  double jobs_per_year = 0;       // research-lab: jobs in the first year
  double jobs_growth_per_year = 1.0;
  double model_size_growth_per_year = 1.0;   // extrapolation past the calibrated years
  std::map<std::string, double> mix;         // profile → share
  int gpus_per_job = 8;           // fixed generator
  int max_gpus_per_job = 64;
  double work_scale = 1.0;        // multiply every job's work
  double deferrable_fraction = 0;
  // Elastic jobs (adaptive batch size): share of synthetic jobs that may run on between
  // max(1, round(elastic_min_share·g)) and round(elastic_max_factor·g) GPUs (g requested).
  double elastic_fraction = 0;
  double elastic_min_share = 0.5;
  double elastic_max_factor = 2.0;
  Seconds deadline_slack_s = 0;   // deadline = submit + slack + estimate (0 = none)
  double daily_cycle = 0.3;       // arrival-rate modulation amplitude
  double weekly_cycle = 0.2;
  std::map<std::string, double> optimisations;  // technique → share of jobs
  std::vector<TraceImportSpec> traces;
  double sweep_fraction = 0;      // share of submissions that are hyperparameter sweeps
  int sweep_variants = 8;
  double chain_fraction = 0;      // share that are pretrain → fine-tune → evaluate chains
  // Added by the workload module (workloads/README.md):
  std::string fixed_profile = "image_classification";  // fixed generator: profile of every job
  Flops work_flops_per_job = 0;   // fixed generator: 0 = drawn from the profile's duration
  Seconds interarrival_s = 0;     // fixed generator: (mean) gap between submissions (0 = all at t = 0)
  ArrivalProcess arrival_process = ArrivalProcess::regular;  // fixed generator: regular (i·gap) | poisson (exponential gaps)
  std::map<int, std::map<std::string, double>> mix_by_year;  // research-lab: from that year on
  std::vector<DeadlineBurst> deadline_bursts;
  double peak_hour_utc = 14;      // daily cycle: hour of the highest arrival rate
  bool scale_work_with_year = true;  // research-lab: job work follows the model-growth trend
  double chain_finetune_work = 0.05;  // fine-tune work as a fraction of the pretraining's
  double chain_eval_work = 0.005;     // evaluation work as a fraction of the pretraining's
  double sweep_spread = 0.25;     // sd of ln(work) between the variants of a sweep
};

// ---- policies ---------------------------------------------------------------------------------
struct PolicyConfig {
  std::string name;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  std::string key_path;  // where it was written, for error messages
};

struct PoliciesSpec {
  PolicyConfig scheduler{"fcfs", {}, {}, "policies.scheduler"};
  std::vector<PolicyConfig> energy;
  Seconds tick_s = 900;  // periodic policy tick
  double forecast_error = 0;  // relative sd of forecast errors at lead 0 (traces/forecast.hpp)
  double forecast_error_growth_per_day = 0;  // growth of that sd per day of lead time, 1/day
  Seconds forecast_error_correlation_s = 0;  // AR(1) correlation time along lead (0 = white)
};

}  // namespace dcsim
