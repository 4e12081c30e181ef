// The policy registry: catalogue of named policies with typed parameters, checked construction
// from PolicyConfig, and the description printed by `dcsim describe`. Equations and sources of
// each policy are in its header (scheduler.hpp, scaling.hpp, carbon.hpp) and in README.md.
#include "policy/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/text.hpp"
#include "core/calendar.hpp"
#include "core/suggest.hpp"
#include "policy/carbon.hpp"
#include "policy/composite.hpp"
#include "policy/elastic.hpp"
#include "policy/scaling.hpp"
#include "policy/scheduler.hpp"

namespace dcsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxSeconds = 10 * 366 * 86400.0;  // ten years

using text::join;
std::string fmt(double v) { return text::format_shortest(v); }

ParamSpec num(std::string name, std::string unit, double def, double lo, double hi, std::string doc,
              bool integer = false) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::number;
  p.unit = std::move(unit);
  p.default_number = def;
  p.min = lo;
  p.max = hi;
  p.integer = integer;
  p.doc = std::move(doc);
  return p;
}
ParamSpec dur(std::string name, double def, double lo, std::string doc) {
  return num(std::move(name), "s", def, lo, kMaxSeconds, std::move(doc));
}
ParamSpec flag(std::string name, bool def, std::string doc) {
  ParamSpec p = num(std::move(name), "", def ? 1 : 0, 0, 1, std::move(doc));
  p.kind = ParamKind::flag;
  return p;
}
ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                 std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::choice;
  p.default_text = std::move(def);
  p.choices = std::move(choices);
  p.doc = std::move(doc);
  return p;
}
ParamSpec text(std::string name, std::string def, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::text;
  p.default_text = std::move(def);
  p.doc = std::move(doc);
  return p;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> r;
  std::string cur;
  auto flush = [&] {
    const auto b = cur.find_first_not_of(' ');
    const auto e = cur.find_last_not_of(' ');
    r.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
    cur.clear();
  };
  for (char c : s) {
    if (c == ',')
      flush();
    else
      cur += c;
  }
  flush();
  return r;
}

// ---- parameter sets shared by several policies --------------------------------------------------

ParamSpec elastic_param() {
  return flag("elastic", true,
              "start an elastic job that does not fit with fewer GPUs (down to its min_gpus)");
}

ParamSpec placement_param() {
  return choice("placement", "pack", {"pack", "spread"},
                "pack: fill the busiest cooling domain and rack first, best fit; spread: least "
                "busy cooling domain and rack first");
}

std::vector<ParamSpec> deferral_params() {
  return {dur("window", 86400, 0, "maximum delay of a deferrable job that has no deadline"),
          dur("default_estimate", 3600, 1, "run time assumed for jobs without a walltime estimate"),
          dur("margin", 0, 0,
              "release jobs this long before their latest start (cover node boot time)")};
}

DeferralOptions deferral(const ParamValues& v) {
  DeferralOptions d;
  d.window_s = v.number("window");
  d.default_estimate_s = v.number("default_estimate");
  d.margin_s = v.number("margin");
  return d;
}

std::vector<ParamSpec> with(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<ParamSpec> pstate_range_params() {
  return {
      num("min_pstate", "", 0, 0, 255, "fastest p-state the governor may use (0 = fastest)", true),
      num("max_pstate", "", -1, -1, 255,
          "slowest p-state the governor may use (-1 = the node's slowest)", true)};
}

GovernorOptions governor(GovernorKind k, const ParamValues& v, bool thresholds) {
  GovernorOptions o;
  o.kind = k;
  o.min_pstate = v.integer("min_pstate");
  o.max_pstate = v.integer("max_pstate");
  if (thresholds) {
    o.up_threshold = v.number("up_threshold");
    o.period_s = v.number("period");
    if (k == GovernorKind::conservative) o.down_threshold = v.number("down_threshold");
  }
  return o;
}

std::string check_pstate_range(const ParamValues& v) {
  if (v.integer("max_pstate") >= 0 && v.integer("min_pstate") > v.integer("max_pstate"))
    return "expected min_pstate <= max_pstate, got " + fmt(v.number("min_pstate")) + " > " +
           fmt(v.number("max_pstate"));
  return {};
}

std::vector<PolicyInfo> build_catalogue() {
  std::vector<PolicyInfo> c;
  const std::string sched_src =
      "Lifka, 'The ANL/IBM SP scheduling system', JSSPP 1995 (EASY); Mu'alem & Feitelson, IEEE "
      "TPDS 12(6) 2001";

  c.push_back(PolicyInfo{
      "fcfs",
      PolicyRole::scheduler,
      "first come, first served: jobs start in submission order; a job that does not fit blocks "
      "all later ones",
      "classic batch scheduling (Feitelson et al., JSSPP 1997)",
      {placement_param(), elastic_param()},
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        SchedulerOptions o;
        o.name = "fcfs";
        o.placement = v.text("placement") == "spread" ? Placement::spread : Placement::pack;
        o.elastic = v.flag("elastic");
        return std::make_unique<ListScheduler>(o);
      }});
  c.push_back(PolicyInfo{
      "easy-backfill",
      PolicyRole::scheduler,
      "FCFS with EASY backfilling: the blocked head gets a reservation at the shadow time; later "
      "jobs start if they end before it or use only GPUs the reservation leaves over",
      sched_src,
      {placement_param(), elastic_param()},
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        SchedulerOptions o;
        o.name = "easy-backfill";
        o.backfill = Backfill::easy;
        o.placement = v.text("placement") == "spread" ? Placement::spread : Placement::pack;
        o.elastic = v.flag("elastic");
        return std::make_unique<ListScheduler>(o);
      }});
  c.push_back(PolicyInfo{
      "priority-deadline",
      PolicyRole::scheduler,
      "earliest deadline first, then higher priority, then submission order; optional EASY "
      "backfilling and deadline-driven preemption of preemptible jobs with checkpoint/restart",
      "EDF (Liu & Layland, JACM 1973) with EASY backfilling; " + sched_src,
      {placement_param(), elastic_param(),
       choice("backfill", "easy", {"easy", "none"}, "backfilling behind the blocked head"),
       flag("preemption", false,
            "preempt lower-priority preemptible jobs when the head would miss its deadline"),
       dur("preempt_min_run", 3600, 0, "never preempt a job that has run less than this"),
       dur("checkpoint_restart", 300, 0,
           "checkpoint + restart overhead: a job ending sooner than this is not preempted")},
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        SchedulerOptions o;
        o.name = "priority-deadline";
        o.order = QueueOrder::deadline;
        o.backfill = v.text("backfill") == "none" ? Backfill::none : Backfill::easy;
        o.placement = v.text("placement") == "spread" ? Placement::spread : Placement::pack;
        o.elastic = v.flag("elastic");
        o.preemption = v.flag("preemption");
        o.preempt_min_run_s = v.number("preempt_min_run");
        o.checkpoint_restart_s = v.number("checkpoint_restart");
        return std::make_unique<ListScheduler>(o);
      }});

  c.push_back(PolicyInfo{
      "power-down-idle",
      PolicyRole::energy,
      "power off nodes idle for `after` when the queue does not need them; boot nodes when "
      "queued jobs need more GPUs than the nodes that are on (or booting) have free",
      "Slurm power saving (SuspendTime); Batsim energy-aware schedulers",
      {dur("after", 1800, 0, "idle time before a node is powered off"),
       num("spare_nodes", "", 0, 0, 1e6, "idle nodes' worth of GPUs kept on beyond the demand",
           true)},
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        return std::make_unique<PowerDownIdle>(
            PowerDownOptions{v.number("after"), v.integer("spare_nodes")});
      }});
  c.push_back(PolicyInfo{
      "elastic-resize",
      PolicyRole::energy,
      "resize running elastic jobs: grow them into idle GPUs (up to max_gpus) when nothing "
      "waits and the gain R(1 - g/g') exceeds resize_cost; shrink them (down to min_gpus) to "
      "start the first waiting job",
      "Qiao et al., 'Pollux', OSDI 2021; Peng et al., 'Optimus', EuroSys 2018 (adaptive batch "
      "size, resizing running jobs)",
      {flag("grow", true, "grow running elastic jobs into idle GPUs when no job waits"),
       flag("shrink", true, "shrink running elastic jobs to start the first waiting job"),
       dur("resize_cost", 300, 0, "re-sharding time (checkpoint + restart) charged per resize"),
       dur("min_interval", 3600, 0, "never resize the same job more often than this")},
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        return std::make_unique<ElasticResize>(ElasticResizeOptions{
            v.flag("grow"), v.flag("shrink"), v.number("resize_cost"), v.number("min_interval")});
      }});
  const std::string dvfs_src =
      "SimGrid DVFS plugin (src/plugins/host_dvfs.cpp); Linux cpufreq governors";
  c.push_back(PolicyInfo{"performance", PolicyRole::energy,
                         "DVFS governor: every node that is on runs at min_pstate (fastest)",
                         dvfs_src, pstate_range_params(), check_pstate_range,
                         [](const ParamValues& v) -> std::unique_ptr<Policy> {
                           return std::make_unique<DvfsGovernor>(
                               governor(GovernorKind::performance, v, false));
                         }});
  c.push_back(PolicyInfo{"powersave", PolicyRole::energy,
                         "DVFS governor: every node that is on runs at max_pstate (slowest)",
                         dvfs_src, pstate_range_params(), check_pstate_range,
                         [](const ParamValues& v) -> std::unique_ptr<Policy> {
                           return std::make_unique<DvfsGovernor>(
                               governor(GovernorKind::powersave, v, false));
                         }});
  c.push_back(PolicyInfo{
      "ondemand", PolicyRole::energy,
      "DVFS governor: fastest state when load u > up_threshold, else max_pstate - "
      "floor(u (max_pstate + 1)); load = busy GPUs / GPUs",
      dvfs_src,
      with(pstate_range_params(),
           {num("up_threshold", "fraction", 0.8, 0, 1, "load above which the node runs fastest"),
            dur("period", 0, 0, "re-evaluate at most this often (0 = at every policy call)")}),
      check_pstate_range, [](const ParamValues& v) -> std::unique_ptr<Policy> {
        return std::make_unique<DvfsGovernor>(governor(GovernorKind::ondemand, v, true));
      }});
  c.push_back(PolicyInfo{
      "conservative", PolicyRole::energy,
      "DVFS governor: one p-state faster when load > up_threshold, one slower when load < "
      "down_threshold",
      dvfs_src,
      with(pstate_range_params(),
           {num("up_threshold", "fraction", 0.8, 0, 1, "load above which the node speeds up"),
            num("down_threshold", "fraction", 0.2, 0, 1, "load below which the node slows down"),
            dur("period", 0, 0, "re-evaluate at most this often (0 = at every policy call)")}),
      [](const ParamValues& v) {
        if (v.number("down_threshold") > v.number("up_threshold"))
          return "expected down_threshold <= up_threshold, got " + fmt(v.number("down_threshold")) +
                 " > " + fmt(v.number("up_threshold"));
        return check_pstate_range(v);
      },
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        return std::make_unique<DvfsGovernor>(governor(GovernorKind::conservative, v, true));
      }});
  c.push_back(PolicyInfo{
      "workload-aware",
      PolicyRole::energy,
      "DVFS by workload: nodes running only memory-bound jobs (by profile name) run at "
      "memory_bound_pstate, nodes running any other job at compute_pstate",
      "Tang et al., 'The impact of GPU DVFS on the energy and performance of deep learning', "
      "e-Energy 2019",
      {text("memory_bound_profiles", "language_translation",
            "comma-separated catalogue profile names treated as memory-bound"),
       num("memory_bound_pstate", "", -1, -1, 255, "p-state for memory-bound nodes (-1 = slowest)",
           true),
       num("compute_pstate", "", 0, -1, 255, "p-state for nodes running compute-bound jobs", true)},
      [](const ParamValues& v) -> std::string {
        for (const std::string& s : split_list(v.text("memory_bound_profiles")))
          if (s.empty())
            return "expected memory_bound_profiles as a comma-separated list of profile names, "
                   "got '" +
                   v.text("memory_bound_profiles") + "'";
        return {};
      },
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        WorkloadAwareOptions o;
        o.memory_bound_profiles = split_list(v.text("memory_bound_profiles"));
        o.memory_bound_pstate = v.integer("memory_bound_pstate");
        o.compute_pstate = v.integer("compute_pstate");
        return std::make_unique<WorkloadAwareGovernor>(std::move(o));
      }});
  c.push_back(PolicyInfo{
      "power-cap",
      PolicyRole::energy,
      "power cap at device, node, rack or site level, with a lower cap in demand-response "
      "windows (hours of day, UTC)",
      "Wierman et al., 'Opportunities and challenges for data center demand response', IGCC 2014",
      {choice("scope", "", {"site", "rack", "node", "device"},
              "what the cap applies to (device: each accelerator); required: a cap in watts means "
              "something different at each level"),
       choice("basis", "auto", {"auto", "facility", "it"},
              "what a site cap limits: facility power (IT + cooling + losses) or IT power; auto: "
              "facility for a site cap (rack, node and device caps are on IT power)"),
       num("cap_w", "W", 0, 0, 1e12, "cap outside demand-response windows (0 = none)"),
       num("cap_tdp_fraction", "1", 0, 0, 1,
           "scope device: cap each accelerator at this share of its TDP instead of cap_w (0 = none)"),
       num("dr_cap_w", "W", 0, 0, 1e12, "cap during demand-response windows"),
       text("dr_hours", "", "demand-response windows, e.g. \"17-21\" or \"6-9,17-21\" (UTC)")},
      [](const ParamValues& v) -> std::string {
        const auto w = parse_hour_windows(v.text("dr_hours"));
        if (!w)
          return "expected dr_hours as hour ranges like \"17-21\" or \"6-9,17-21\" within 0-24, "
                 "got '" +
                 v.text("dr_hours") + "'";
        if (!w->empty() && v.number("dr_cap_w") <= 0)
          return "expected dr_cap_w > 0 with dr_hours, got 0";
        if (w->empty() && v.number("dr_cap_w") > 0)
          return "expected dr_hours with dr_cap_w, got none";
        const double frac = v.number("cap_tdp_fraction");
        if (frac > 0 && v.number("cap_w") > 0)
          return "expected either cap_w or cap_tdp_fraction, got both";
        if (frac > 0 && v.text("scope") != "device")
          return "expected scope: device with cap_tdp_fraction (a share of an accelerator's TDP), got scope: " +
                 v.text("scope");
        if (w->empty() && v.number("cap_w") <= 0 && frac <= 0)
          return "expected cap_w > 0, cap_tdp_fraction > 0 or demand-response windows, got none";
        if (v.text("basis") == "facility" && v.text("scope") != "site")
          return "expected basis: facility only with scope: site (a " + v.text("scope") +
                 " cap limits IT power), got scope: " + v.text("scope");
        return {};
      },
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        PowerCapOptions o;
        const std::string& s = v.text("scope");
        o.scope = s == "rack"     ? CapScope::rack
                  : s == "node"   ? CapScope::node
                  : s == "device" ? CapScope::device
                                  : CapScope::site;
        o.basis = v.text("basis") == "it" ? CapBasis::it : CapBasis::facility;
        o.cap_w = v.number("cap_w");
        o.cap_tdp_fraction = v.number("cap_tdp_fraction");
        o.dr_cap_w = v.number("dr_cap_w");
        o.dr_windows = *parse_hour_windows(v.text("dr_hours"));
        return std::make_unique<PowerCap>(std::move(o));
      }});

  const std::string wiesner =
      "Wiesner et al., 'Let's Wait Awhile: How Temporal Workload Shifting Can Reduce Carbon "
      "Emissions in the Cloud', Middleware 2021";
  c.push_back(PolicyInfo{
      "carbon-aware-shift",
      PolicyRole::energy,
      "hold each deferrable job until the start (on a `step` grid up to its latest start) whose "
      "forecast mean carbon intensity over the job's run is lowest",
      wiesner,
      with({dur("step", 1800, 60, "spacing of candidate start times"),
            flag("replan", false, "re-plan held jobs when a trace steps (updated forecasts)")},
           deferral_params()),
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        ShiftOptions o;
        o.deferral = deferral(v);
        o.step_s = v.number("step");
        o.replan = v.flag("replan");
        return std::make_unique<CarbonAwareShift>(o);
      }});
  c.push_back(PolicyInfo{
      "carbon-threshold",
      PolicyRole::energy,
      "start deferrable jobs only while the forecast carbon intensity is at most the threshold, "
      "unless their deadline forces them",
      wiesner,
      with({num("threshold_gco2", "gCO2e/kWh", 200, 0, 1e4, "highest intensity to start at"),
            dur("lookahead", 3600, 1, "forecast horizon averaged for the decision")},
           deferral_params()),
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        ThresholdOptions o;
        o.deferral = deferral(v);
        o.threshold_gco2 = v.number("threshold_gco2");
        o.lookahead_s = v.number("lookahead");
        return std::make_unique<CarbonThreshold>(o);
      }});
  c.push_back(PolicyInfo{
      "follow-generation",
      PolicyRole::energy,
      "start deferrable jobs when forecast on-site generation over their run covers the IT power "
      "plus theirs, unless their deadline forces them",
      "renewable-following scheduling, e.g. Goiri et al., 'GreenSlot', SC 2011",
      with({num("watts_per_gpu", "W", 1000, 1, 1e5,
                "power assumed per GPU of a job (accelerator + host share)")},
           deferral_params()),
      {},
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        FollowOptions o;
        o.deferral = deferral(v);
        o.watts_per_gpu = v.number("watts_per_gpu");
        return std::make_unique<FollowGeneration>(o);
      }});
  c.push_back(PolicyInfo{
      "battery-arbitrage",
      PolicyRole::energy,
      "charge the battery when the forecast intensity is below charge_below_gco2, discharge "
      "above discharge_above_gco2, self-consumption in between",
      "Acun et al., 'Carbon Explorer', ASPLOS 2023",
      {num("charge_below_gco2", "gCO2e/kWh", 150, 0, 1e4, "charge below this intensity"),
       num("discharge_above_gco2", "gCO2e/kWh", 350, 0, 1e4, "discharge above this intensity"),
       dur("lookahead", 3600, 1, "forecast horizon averaged for the decision")},
      [](const ParamValues& v) -> std::string {
        if (v.number("charge_below_gco2") > v.number("discharge_above_gco2"))
          return "expected charge_below_gco2 <= discharge_above_gco2, got " +
                 fmt(v.number("charge_below_gco2")) + " > " + fmt(v.number("discharge_above_gco2"));
        return {};
      },
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        return std::make_unique<BatteryArbitrage>(
            BatteryArbitrageOptions{v.number("charge_below_gco2"), v.number("discharge_above_gco2"),
                                    v.number("lookahead")});
      }});
  c.push_back(PolicyInfo{
      "suspend-resume",
      PolicyRole::energy,
      "suspend (checkpoint and requeue) long preemptible training jobs when the forecast "
      "intensity exceeds high_gco2; resume them when it falls to low_gco2 or a deadline forces",
      wiesner + " (interruptible jobs)",
      {num("high_gco2", "gCO2e/kWh", 350, 0, 1e4, "suspend above this intensity"),
       num("low_gco2", "gCO2e/kWh", 250, 0, 1e4, "resume at or below this intensity"),
       dur("min_remaining", 6 * 3600.0, 0, "only suspend jobs with at least this much left"),
       dur("checkpoint_cost", 600, 0, "assumed checkpoint + restart time, for deadline checks"),
       dur("max_suspend", 86400, 0, "resume after this long regardless of carbon"),
       dur("lookahead", 3600, 1, "forecast horizon averaged for the decision"),
       dur("margin", 0, 0, "resume this long before a deadline forces it")},
      [](const ParamValues& v) -> std::string {
        if (v.number("low_gco2") > v.number("high_gco2"))
          return "expected low_gco2 <= high_gco2, got " + fmt(v.number("low_gco2")) + " > " +
                 fmt(v.number("high_gco2"));
        return {};
      },
      [](const ParamValues& v) -> std::unique_ptr<Policy> {
        SuspendOptions o;
        o.high_gco2 = v.number("high_gco2");
        o.low_gco2 = v.number("low_gco2");
        o.min_remaining_s = v.number("min_remaining");
        o.checkpoint_cost_s = v.number("checkpoint_cost");
        o.max_suspend_s = v.number("max_suspend");
        o.lookahead_s = v.number("lookahead");
        o.margin_s = v.number("margin");
        return std::make_unique<SuspendResume>(o);
      }});
  return c;
}

std::vector<std::string> names_of(PolicyRole role) {
  std::vector<std::string> r;
  for (const PolicyInfo& p : policy_catalogue())
    if (p.role == role) r.push_back(p.name);
  return r;
}

std::string range_text(const ParamSpec& p) {
  std::string s;
  if (p.integer)
    s += "an integer";
  else
    s += p.unit == "s" ? "a duration" : "a number";
  if (p.min > -kInf && p.max < kInf)
    s += " in [" + fmt(p.min) + ", " + fmt(p.max) + "]";
  else if (p.min > -kInf)
    s += " >= " + fmt(p.min);
  else if (p.max < kInf)
    s += " <= " + fmt(p.max);
  if (!p.unit.empty() && p.unit != "fraction") s += " " + p.unit;
  return s;
}

void diag(DiagnosticSink& sink, const std::string& key_path, std::string message) {
  Diagnostic d;
  d.key_path = key_path;
  d.message = std::move(message);
  sink.add(std::move(d));
}

std::optional<double> parse_number(const std::string& s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Key paths of diagnostics: full ("policies.energy.0.after") or relative to the entry ("after",
// "name", "" for the entry itself), as config's PolicyValidator wants.
struct KeyPaths {
  std::string base;
  bool relative = false;
  std::string of(const std::string& key) const { return relative ? key : base + "." + key; }
  std::string entry() const { return relative ? std::string() : base; }
};

KeyPaths full_paths(const PolicyConfig& cfg) {
  return KeyPaths{cfg.key_path.empty() ? std::string("policy") : cfg.key_path, false};
}

std::unique_ptr<Policy> build(const PolicyInfo& info, const PolicyConfig& cfg, DiagnosticSink& sink,
                              const KeyPaths& paths) {
  const std::size_t before = sink.size();
  auto known = [&](const std::string& key) {
    return std::any_of(info.params.begin(), info.params.end(),
                       [&](const ParamSpec& p) { return p.name == key; });
  };
  std::vector<std::string> param_names;
  for (const ParamSpec& p : info.params) param_names.push_back(p.name);
  const std::string expected_params =
      param_names.empty() ? "no parameters" : "one of " + join(param_names);
  auto unknown = [&](const std::string& key) {
    if (key == "name" || known(key)) return;
    diag(sink, paths.of(key),
         "expected a parameter of " + info.name + " (" + expected_params + "), got '" + key + "'");
  };
  for (const auto& [k, v] : cfg.numbers) unknown(k);
  for (const auto& [k, v] : cfg.strings) unknown(k);

  ParamValues vals;
  for (const ParamSpec& p : info.params) {
    const std::string key = paths.of(p.name);
    const auto num_it = cfg.numbers.find(p.name);
    const auto str_it = cfg.strings.find(p.name);
    const bool has_num = num_it != cfg.numbers.end();
    const bool has_str = str_it != cfg.strings.end();
    switch (p.kind) {
      case ParamKind::number: {
        double v = p.default_number;
        if (has_num) {
          v = num_it->second;
        } else if (has_str) {
          const auto parsed =
              p.unit == "s" ? parse_duration(str_it->second) : parse_number(str_it->second);
          if (!parsed) {
            diag(sink, key,
                 (p.unit == "s" ? std::string("expected a duration (e.g. 30min, 24h) or seconds")
                                : "expected " + range_text(p)) +
                     ", got '" + str_it->second + "'");
            break;
          }
          v = *parsed;
        }
        if ((has_num || has_str) &&
            (!std::isfinite(v) || v < p.min || v > p.max || (p.integer && v != std::floor(v)))) {
          diag(sink, key, "expected " + range_text(p) + ", got " + fmt(v));
          break;
        }
        vals.set_number(p.name, v);
        break;
      }
      case ParamKind::flag: {
        double v = p.default_number;
        if (has_num) {
          if (num_it->second != 0 && num_it->second != 1) {
            diag(sink, key, "expected true or false, got " + fmt(num_it->second));
            break;
          }
          v = num_it->second;
        } else if (has_str) {
          std::string s = str_it->second;
          std::transform(s.begin(), s.end(), s.begin(),
                         [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
          if (s == "true" || s == "yes" || s == "on" || s == "1") {
            v = 1;
          } else if (s == "false" || s == "no" || s == "off" || s == "0") {
            v = 0;
          } else {
            diag(sink, key, "expected true or false, got '" + str_it->second + "'");
            break;
          }
        }
        vals.set_number(p.name, v);
        break;
      }
      case ParamKind::choice:
      case ParamKind::text: {
        std::string v = p.default_text;
        if (has_num) {
          diag(sink, key,
               (p.kind == ParamKind::choice ? "expected one of " + join(p.choices)
                                            : std::string("expected text")) +
                   ", got " + fmt(num_it->second));
          break;
        }
        if (has_str) v = str_it->second;
        if (p.kind == ParamKind::choice && !has_str && p.default_text.empty()) {
          diag(sink, key, "missing required parameter '" + p.name + "' (expected one of " + join(p.choices) + ")");
          break;
        }
        if (p.kind == ParamKind::choice &&
            std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end()) {
          diag(sink, key, "expected one of " + join(p.choices) + ", got '" + v + "'" + did_you_mean(v, p.choices));
          break;
        }
        vals.set_text(p.name, std::move(v));
        break;
      }
    }
  }
  if (sink.size() != before) return nullptr;
  if (info.validate) {
    if (std::string msg = info.validate(vals); !msg.empty()) {
      diag(sink, paths.entry(), std::move(msg));
      return nullptr;
    }
  }
  return info.make(vals);
}

}  // namespace

double ParamValues::number(std::string_view name) const {
  const auto it = numbers_.find(name);
  if (it == numbers_.end())
    throw InvariantError("policy parameter '" + std::string(name) + "' is not a number");
  return it->second;
}

const std::string& ParamValues::text(std::string_view name) const {
  const auto it = texts_.find(name);
  if (it == texts_.end())
    throw InvariantError("policy parameter '" + std::string(name) + "' is not text");
  return it->second;
}

const std::vector<PolicyInfo>& policy_catalogue() {
  static const std::vector<PolicyInfo> catalogue = build_catalogue();
  return catalogue;
}

const PolicyInfo* find_policy(std::string_view name) {
  for (const PolicyInfo& p : policy_catalogue())
    if (p.name == name) return &p;
  return nullptr;
}

std::unique_ptr<Policy> make_policy(const PolicyConfig& config, DiagnosticSink& sink) {
  const PolicyInfo* info = find_policy(config.name);
  if (info == nullptr) {
    std::vector<std::string> all;
    for (const PolicyInfo& p : policy_catalogue()) all.push_back(p.name);
    diag(sink, full_paths(config).of("name"),
         "expected a policy name (" + join(all) + "), got '" + config.name + "'" + did_you_mean(config.name, all));
    return nullptr;
  }
  return build(*info, config, sink, full_paths(config));
}

void validate_policy(const PolicyConfig& config, DiagnosticSink& sink) {
  const KeyPaths rel{config.key_path, true};
  // The role follows from where the entry was written.
  const std::string& kp = config.key_path;
  const bool is_sched = kp.size() >= 9 && kp.compare(kp.size() - 9, 9, "scheduler") == 0;
  const bool is_energy = kp.find("energy") != std::string::npos;
  const PolicyInfo* info = find_policy(config.name);
  const auto role_ok = [&](const PolicyInfo& i) {
    return !(is_sched && i.role != PolicyRole::scheduler) &&
           !(is_energy && i.role != PolicyRole::energy);
  };
  if (info == nullptr || !role_ok(*info)) {
    const bool known_role = is_sched || is_energy;
    const PolicyRole role = is_sched ? PolicyRole::scheduler : PolicyRole::energy;
    std::vector<std::string> names;
    if (known_role) {
      names = names_of(role);
    } else {
      for (const PolicyInfo& p : policy_catalogue()) names.push_back(p.name);
    }
    const std::string what = !known_role ? "a policy name"
                             : is_sched  ? "a scheduling policy"
                                         : "an energy policy";
    diag(sink, rel.of("name"),
         "expected " + what + " (" + join(names) + "), got '" + config.name + "'" +
             (info == nullptr ? did_you_mean(config.name, names) : std::string()));
    return;
  }
  (void)build(*info, config, sink, rel);
}

std::unique_ptr<Policy> make_policy_stack(const PoliciesSpec& spec, DiagnosticSink& sink) {
  const std::size_t before = sink.size();
  auto make_role = [&](const PolicyConfig& cfg, PolicyRole role) -> std::unique_ptr<Policy> {
    const PolicyInfo* info = find_policy(cfg.name);
    const KeyPaths paths = full_paths(cfg);
    const char* what = role == PolicyRole::scheduler ? "a scheduling policy" : "an energy policy";
    if (info == nullptr || info->role != role) {
      std::string msg = std::string("expected ") + what + " (" + join(names_of(role)) + "), got '" +
                        cfg.name + "'";
      if (info == nullptr) msg += did_you_mean(cfg.name, names_of(role));
      if (info != nullptr)
        msg += role == PolicyRole::scheduler ? " (an energy policy: list it under energy)"
                                             : " (a scheduler: give it as the scheduler)";
      diag(sink, paths.of("name"), std::move(msg));
      return nullptr;
    }
    return build(*info, cfg, sink, paths);
  };
  auto scheduler = make_role(spec.scheduler, PolicyRole::scheduler);
  std::vector<std::unique_ptr<Policy>> energy;
  for (const PolicyConfig& cfg : spec.energy) energy.push_back(make_role(cfg, PolicyRole::energy));
  // Two p-state setters would fight over the same nodes every round.
  const char* governors[] = {"performance", "powersave", "ondemand", "conservative",
                             "workload-aware"};
  const PolicyConfig* first_governor = nullptr;
  for (const PolicyConfig& cfg : spec.energy) {
    if (std::find(std::begin(governors), std::end(governors), cfg.name) == std::end(governors))
      continue;
    if (first_governor == nullptr) {
      first_governor = &cfg;
      continue;
    }
    diag(sink, (cfg.key_path.empty() ? std::string("policy") : cfg.key_path) + ".name",
         "expected at most one DVFS governor (performance, powersave, ondemand, conservative, "
         "workload-aware), got '" +
             cfg.name + "' after '" + first_governor->name + "'");
  }
  if (sink.size() != before) return nullptr;
  return std::make_unique<CompositePolicy>(std::move(scheduler), std::move(energy));
}

std::string describe_policies() {
  std::ostringstream os;
  for (PolicyRole role : {PolicyRole::scheduler, PolicyRole::energy}) {
    os << (role == PolicyRole::scheduler ? "Scheduling policies (policies.scheduler: {name: ...})"
                                         : "Energy policies (policies.energy: [{name: ...}, ...])")
       << "\n";
    for (const PolicyInfo& p : policy_catalogue()) {
      if (p.role != role) continue;
      os << "\n  " << p.name << "\n    " << p.summary << "\n    source: " << p.source << "\n";
      for (const ParamSpec& q : p.params) {
        os << "    " << q.name << " = ";
        switch (q.kind) {
          case ParamKind::number:
            os << fmt(q.default_number) << (q.unit.empty() ? "" : " " + q.unit) << "  ("
               << range_text(q) << ")";
            break;
          case ParamKind::flag:
            os << (q.default_number != 0 ? "true" : "false") << "  (flag)";
            break;
          case ParamKind::choice:
            os << (q.default_text.empty() ? std::string("(required)") : q.default_text) << "  (one of " << join(q.choices) << ")";
            break;
          case ParamKind::text:
            os << "\"" << q.default_text << "\"  (text)";
            break;
        }
        os << "\n        " << q.doc << "\n";
      }
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace dcsim
