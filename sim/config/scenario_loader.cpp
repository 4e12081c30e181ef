// Scenario loading: extends chain, overrides, typed reading with every default resolved, size
// limits. Key names are the field names of model/specs.hpp and config/scenario.hpp, so the
// reference (scenarios/README.md) and the structs read the same.
#include "config/scenario_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>

#include "config/platform_loader.hpp"
#include "config/serving_loader.hpp"
#include "core/text.hpp"
#include "core/calendar.hpp"
#include "physics/accelerator_power.hpp"

namespace dcsim {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxExtendsDepth = 32;
constexpr double kMaxSamples = 1e8;
constexpr double kMaxJobs = 1e8;
constexpr double kMaxPerNodeValues = 1e10;
constexpr double kBytesPerSample = 8;      // one float64 per series per sample
constexpr double kBytesPerJob = 600;       // Job (request + profile) in memory, measured sizeof + strings

std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (b >= 1000 && u < 6) {
    b /= 1000;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s", b, units[u]);
  return buf;
}

std::string num(double v) { return text::format_g(v); }

std::string sci(double v) {
  char buf[64];
  if (v < 1e6) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(fs::path(p), ec);
  return ec ? fs::path(p).lexically_normal().string() : c.string();
}

// ---- extends ---------------------------------------------------------------------------------

// Values that must be given whole: a child file or a `--set` replaces them instead of merging
// key by key (a mix must sum to 1 by itself; a policy's parameters belong to its name).
// Documented in scenarios/README.md, "Composition".
// How far from 1 a mix may sum (scenarios/README.md, workload.mix).
constexpr double kMixTolerance = 1e-3;

const std::vector<std::string> kWholeValues = {"workload.mix", "workload.mix_by_year.*",
                                               "policies.scheduler", "policies.energy.*"};

std::unique_ptr<YamlDoc> resolve_chain(const std::string& path, std::vector<std::string>& chain,
                                       std::vector<std::string>& files) {
  auto doc = YamlDoc::load_file(path);
  files.push_back(path);
  chain.push_back(canonical(path));
  auto keys = doc->root_keys();
  if (std::find(keys.begin(), keys.end(), "extends") != keys.end()) {
    YamlMap root = doc->root_map();
    std::size_t before = doc->errors().size();
    std::string base = root.path("extends");
    YamlPos at = root.key_pos("extends");
    if (!base.empty() && doc->errors().size() == before) {
      std::string cb = canonical(base);
      auto cyc = std::find(chain.begin(), chain.end(), cb);
      if (cyc != chain.end()) {
        std::string loop;
        for (auto it = cyc; it != chain.end(); ++it) loop += fs::path(*it).filename().string() + " → ";
        loop += fs::path(cb).filename().string();
        doc->errors().add(Diagnostic{at.file, at.line, at.column, "extends",
                                     "expected a chain of base scenarios without cycles, got " + loop});
      } else if (static_cast<int>(chain.size()) >= kMaxExtendsDepth) {
        doc->errors().add(Diagnostic{at.file, at.line, at.column, "extends",
                                     "expected at most " + std::to_string(kMaxExtendsDepth) +
                                         " nested bases, got more"});
      } else {
        auto based = resolve_chain(base, chain, files);
        doc->erase_root_key("extends");
        doc->set_whole_paths(kWholeValues);
        doc->merge_base(*based);
      }
    }
    doc->erase_root_key("extends");
  }
  chain.pop_back();
  return doc;
}

// ---- typed reading ---------------------------------------------------------------------------

const Range kNonNeg{.min = 0};
const Range kPos{.min = 0, .min_exclusive = true};
const Range kFraction{.min = 0, .max = 1};
const Range kPosFraction{.min = 0, .max = 1, .min_exclusive = true};

struct Reader {
  DiagnosticSink& errs;
  const LoadOptions& opts;
  bool base_failed = false;  // an `extends` could not be followed: the document is partial

  void time(YamlMap m, TimeSpec& t) {
    if (auto v = m.value("start")) {
      std::string s = v->is_scalar() ? v->scalar() : "";
      auto c = parse_datetime(s);
      if (!v->is_scalar() || !c || c->year < 1900 || c->year > 2200) {
        v->error("expected a UTC date or date-time between 1900 and 2200 (2024-01-01, "
                 "2024-01-01T06:00:00Z), got " + v->describe());
      } else {
        t.start = *c;
      }
    }
    Calendar cal(t.start);
    bool has_years = m.has("years"), has_dur = m.has("duration");
    if (has_years && has_dur)
      m.error("expected either years or duration, got both", "duration");
    t.years = m.number("years", t.years, {.min = 0, .max = 200, .min_exclusive = true});
    if (has_dur) {
      t.duration_s = m.duration("duration", kDay, {.min = 0, .max = 200 * kYear365 * 1.01,
                                                   .min_exclusive = true});
      t.years = t.duration_s / (365.2425 * kDay);
    } else {
      double whole = std::floor(t.years);
      int w = static_cast<int>(whole);
      Seconds a = cal.span_of_years(w);
      t.duration_s = a + (t.years - whole) * (cal.span_of_years(w + 1) - a);
    }
    t.sample_s = m.duration("sample", t.sample_s, kPos);
    t.drain_s = m.duration("drain", t.drain_s, kNonNeg);
    double samples = (t.duration_s + t.drain_s) / t.sample_s;
    if (t.sample_s < 1.0 && t.duration_s > kDay) {
      m.error("expected a sampling interval >= 1 s for spans over a day, got " + num(t.sample_s) +
                  " s over " + sci(t.duration_s / kDay) + " days (" + sci(samples) +
                  " samples, ~" + human_bytes(samples * kBytesPerSample) + " per series)",
              "sample");
    } else if (samples > kMaxSamples) {
      m.error("expected at most " + sci(kMaxSamples) + " samples per series, got " + sci(samples) +
                  " (~" + human_bytes(samples * kBytesPerSample) + " per series): raise time.sample",
              "sample");
    }
  }

  LossSpec loss(YamlMap m, LossSpec l) {
    l.no_load = m.number("no_load", l.no_load, kFraction);
    l.proportional = m.number("proportional", l.proportional, kFraction);
    l.square = m.number("square", l.square, kFraction);
    l.rated_w = m.number("rated_w", l.rated_w, kNonNeg);
    return l;
  }

  void cooling(YamlMap m, CoolingSpec& c) {
    c.model = m.choice("model", c.model);
    c.pue = m.number("pue", c.pue, {.min = 1, .max = 5});
    c.weather = m.path("weather", c.weather);
    c.supply_temp_c = m.number("supply_temp_c", c.supply_temp_c, {.min = 5, .max = 40});
    c.economiser_below_c = m.number("economiser_below_c", c.economiser_below_c, {.min = -40, .max = 40});
    c.constant_outdoor_temp_c =
        m.number("constant_outdoor_temp_c", c.constant_outdoor_temp_c, {.min = -60, .max = 60});
    c.fan_power_fraction = m.number("fan_power_fraction", c.fan_power_fraction, kFraction);
    c.pump_power_fraction = m.number("pump_power_fraction", c.pump_power_fraction, kFraction);
    c.dry_cooler_fraction = m.number("dry_cooler_fraction", c.dry_cooler_fraction, kFraction);
    c.liquid_capture = m.number("liquid_capture", c.liquid_capture, kFraction);
    c.approach_c = m.number("approach_c", c.approach_c, {.min = 0, .max = 30});
    c.misc_fraction = m.number("misc_fraction", c.misc_fraction, kFraction);
    c.rating_outdoor_c = m.number("rating_outdoor_c", c.rating_outdoor_c, {.min = -40, .max = 60});
    c.evaporator_approach_c = m.number("evaporator_approach_c", c.evaporator_approach_c, {.min = 0, .max = 40});
    c.air_delta_t_c = m.number("air_delta_t_c", c.air_delta_t_c, kPos);
    c.liquid_supply_temp_c = m.number("liquid_supply_temp_c", c.liquid_supply_temp_c, {.min = 5, .max = 70});
  }

  // The entries of a `year: value` mapping (carbon_files, carbon_targets): each key a calendar
  // year in [1900, 2200], ascending; read(year, key) reads the value.
  template <class Read>
  void year_entries(YamlMap& f, Read read) {
    int prev = 0;
    for (const std::string& k : f.keys()) {
      const std::optional<double> y = parse_yaml_number(k);
      if (!y || *y != std::floor(*y) || *y < 1900 || *y > 2200) {
        f.error("expected a calendar year (an integer in [1900, 2200]) as the key, got '" + k + "'", k);
        f.accept(k);
        continue;
      }
      const int year = static_cast<int>(*y);
      if (year <= prev)
        f.error("expected the years in ascending order, got " + std::to_string(year) + " after " +
                    std::to_string(prev), k);
      prev = std::max(prev, year);
      read(year, k);
    }
  }

  void grid(YamlMap m, GridSpec& g) {
    g.carbon_gco2_per_kwh = m.optional_number("carbon_gco2_per_kwh", {.min = 0, .max = 5000});
    g.carbon_file = m.path("carbon_file", g.carbon_file);
    if (g.carbon_gco2_per_kwh && m.has("carbon_file"))
      m.error("expected either carbon_gco2_per_kwh or carbon_file, got both", "carbon_file");
    g.carbon_column = m.string("carbon_column", g.carbon_column);
    g.price_usd_per_kwh = m.optional_number("price_usd_per_kwh", {.min = -10, .max = 100});
    g.price_file = m.path("price_file", g.price_file);
    if (g.price_usd_per_kwh && m.has("price_file"))
      m.error("expected either price_usd_per_kwh or price_file, got both", "price_file");
    g.gap_rule = m.choice("gap_rule", g.gap_rule);
    g.wrap_rule = m.choice("wrap_rule", g.wrap_rule);
    g.carbon_factor_per_year = m.number("carbon_factor_per_year", g.carbon_factor_per_year, {.min = 0, .max = 10});
    g.price_factor_per_year = m.number("price_factor_per_year", g.price_factor_per_year, {.min = 0, .max = 10});
    g.trend_base_year = static_cast<int>(m.integer("trend_base_year", g.trend_base_year, {.min = 1900, .max = 2200}));
    if (m.has("carbon_files")) {
      YamlMap f = m.map("carbon_files");
      g.carbon_files.clear();
      year_entries(f, [&](int y, const std::string& k) { g.carbon_files[y] = f.path(k); });
      if (m.has("carbon_file") || g.carbon_gco2_per_kwh)
        m.error(std::string("expected either carbon_files or ") +
                    (g.carbon_gco2_per_kwh ? "carbon_gco2_per_kwh" : "carbon_file") + ", got both",
                "carbon_files");
      else if (f.present() && f.keys().empty())
        m.error("expected at least one `year: file` entry, got none", "carbon_files");
    }
    if (m.has("carbon_targets")) {
      YamlMap f = m.map("carbon_targets");
      g.carbon_targets.clear();
      year_entries(f, [&](int y, const std::string& k) {
        g.carbon_targets[y] = f.number(k, 0, {.min = 0, .max = 5000, .min_exclusive = true});
      });
      if (m.has("carbon_factor_per_year"))
        m.error("expected either carbon_targets or carbon_factor_per_year (two decarbonisation paths), got both",
                "carbon_targets");
      else if (f.present() && f.keys().empty())
        m.error("expected at least one `year: gCO2e/kWh` entry, got none", "carbon_targets");
      else if (!g.carbon_gco2_per_kwh && !m.has("carbon_file") && !m.has("carbon_files"))
        m.error("expected a base to scale (carbon_gco2_per_kwh, carbon_file or carbon_files), got none",
                "carbon_targets");
    }
    g.export_allowed = m.number("export_allowed", g.export_allowed, kFraction);
    g.contracted_renewable_fraction =
        m.number("contracted_renewable_fraction", g.contracted_renewable_fraction, kFraction);
    g.marginal_column = m.string("marginal_column", g.marginal_column);
    g.marginal_file = m.path("marginal_file", g.marginal_file);
    g.marginal_estimate = m.choice("marginal_estimate", g.marginal_estimate);
    if (!g.marginal_column.empty() && g.marginal_estimate != MarginalEstimate::off)
      m.error("expected either marginal_column or marginal_estimate, got both", "marginal_estimate");
    else if (g.marginal_estimate != MarginalEstimate::off && g.carbon_file.empty())
      m.error("expected a carbon_file with generation by fuel (EIA-930) to estimate marginal emissions, got none",
              "marginal_estimate");
    else if (!g.marginal_column.empty() && g.carbon_file.empty() && g.marginal_file.empty())
      m.error("expected a marginal_file or carbon_file holding marginal_column, got neither", "marginal_column");
    if (!g.marginal_file.empty() && g.marginal_column.empty())
      m.error("expected marginal_column (the column of marginal_file to read), got none", "marginal_file");
  }

  // profile_normalisation / profile_capacity_mw of a solar or wind section.
  template <class Spec>
  void normalisation(YamlMap& m, Spec& s) {
    s.profile_normalisation = m.choice("profile_normalisation", s.profile_normalisation);
    s.profile_capacity_mw = m.number("profile_capacity_mw", s.profile_capacity_mw, {.min = 0, .max = 1e7, .min_exclusive = true});
    if ((m.has("profile_normalisation") || m.has("profile_capacity_mw")) && s.profile_file.empty())
      m.error("expected profile_file (the normalisation applies to a generation profile), got none",
              m.has("profile_normalisation") ? "profile_normalisation" : "profile_capacity_mw");
    else if (s.profile_normalisation == ProfileNormalisation::capacity && !m.has("profile_capacity_mw"))
      m.error("missing required key 'profile_capacity_mw' (expected the installed capacity in MW behind the "
              "profile, for profile_normalisation capacity)", "profile_normalisation");
    else if (s.profile_normalisation != ProfileNormalisation::capacity && m.has("profile_capacity_mw"))
      m.error("expected profile_normalisation: capacity with profile_capacity_mw, got " + std::string(name_of(s.profile_normalisation)),
              "profile_capacity_mw");
  }

  void solar(YamlMap m, SolarSpec& s) {
    s.peak_mw = m.number("peak_mw", s.peak_mw, {.min = 0, .max = 1e5});
    s.weather = m.path("weather", s.weather);
    s.profile_file = m.path("profile_file", s.profile_file);
    if (m.has("weather") && m.has("profile_file"))
      m.error("expected either weather or profile_file, got both", "profile_file");
    s.efficiency_derate = m.number("efficiency_derate", s.efficiency_derate, kPosFraction);
    s.temp_coeff_per_c = m.number("temp_coeff_per_c", s.temp_coeff_per_c, {.min = -0.02, .max = 0});
    s.noct_c = m.number("noct_c", s.noct_c, {.min = 20, .max = 80});
    normalisation(m, s);
  }

  void wind(YamlMap m, WindSpec& w) {
    w.rated_mw = m.number("rated_mw", w.rated_mw, {.min = 0, .max = 1e5});
    w.weather = m.path("weather", w.weather);
    w.profile_file = m.path("profile_file", w.profile_file);
    if (m.has("weather") && m.has("profile_file"))
      m.error("expected either weather or profile_file, got both", "profile_file");
    w.hub_height_m = m.number("hub_height_m", w.hub_height_m, {.min = 10, .max = 300});
    w.cut_in_ms = m.number("cut_in_ms", w.cut_in_ms, kNonNeg);
    w.rated_ms = m.number("rated_ms", w.rated_ms, kPos);
    w.cut_out_ms = m.number("cut_out_ms", w.cut_out_ms, kPos);
    if (!(w.cut_in_ms < w.rated_ms && w.rated_ms < w.cut_out_ms))
      m.error("expected cut_in_ms < rated_ms < cut_out_ms, got " + num(w.cut_in_ms) +
                  ", " + num(w.rated_ms) + ", " + num(w.cut_out_ms),
              m.has("rated_ms") ? "rated_ms" : "");
    w.shear_exponent = m.number("shear_exponent", w.shear_exponent, {.min = 0, .max = 1});
    normalisation(m, w);
  }

  void battery(YamlMap m, BatterySpec& b) {
    b.capacity_mwh = m.number("capacity_mwh", b.capacity_mwh, {.min = 0, .max = 1e6});
    b.power_mw = m.number("power_mw", b.power_mw, {.min = 0, .max = 1e6});
    if (b.capacity_mwh > 0 && b.power_mw <= 0 && !m.has("power_mw"))
      m.error("missing required key 'power_mw' (expected a number > 0 when capacity_mwh > 0)", "power_mw");
    if (m.has("round_trip_efficiency")) {
      if (m.has("charge_efficiency") || m.has("discharge_efficiency"))
        m.error("expected either round_trip_efficiency or charge_/discharge_efficiency, got both",
                "round_trip_efficiency");
      double rte = m.number("round_trip_efficiency", 0.88, kPosFraction);
      b.charge_efficiency = b.discharge_efficiency = std::sqrt(rte);
    }
    b.charge_efficiency = m.number("charge_efficiency", b.charge_efficiency, kPosFraction);
    b.discharge_efficiency = m.number("discharge_efficiency", b.discharge_efficiency, kPosFraction);
    b.soc_min = m.number("soc_min", b.soc_min, kFraction);
    b.soc_max = m.number("soc_max", b.soc_max, kFraction);
    b.soc_initial = m.number("soc_initial", b.soc_initial, kFraction);
    if (!(b.soc_min <= b.soc_initial && b.soc_initial <= b.soc_max && b.soc_min < b.soc_max))
      m.error("expected soc_min <= soc_initial <= soc_max with soc_min < soc_max, got " +
                  num(b.soc_min) + ", " + num(b.soc_initial) + ", " +
                  num(b.soc_max),
              m.has("soc_initial") ? "soc_initial" : m.has("soc_min") ? "soc_min" : "");
    b.cycles_to_80pct = m.number("cycles_to_80pct", b.cycles_to_80pct, kPos);
    b.calendar_fade_per_year = m.number("calendar_fade_per_year", b.calendar_fade_per_year, kFraction);
  }

  void embodied(YamlMap m, EmbodiedSpec& e) {
    e.kgco2_per_gpu = m.number("kgco2_per_gpu", e.kgco2_per_gpu, kNonNeg);
    e.kgco2_per_node_host = m.number("kgco2_per_node_host", e.kgco2_per_node_host, kNonNeg);
    e.kgco2_per_battery_kwh = m.number("kgco2_per_battery_kwh", e.kgco2_per_battery_kwh, kNonNeg);
    e.lifetime_years = m.number("lifetime_years", e.lifetime_years, {.min = 0, .max = 50, .min_exclusive = true});
    e.battery_lifetime_years =
        m.number("battery_lifetime_years", e.battery_lifetime_years, {.min = 0, .max = 50, .min_exclusive = true});
    e.at_purchase = m.choice("booking", e.at_purchase ? "at-purchase" : "amortised", {"amortised", "at-purchase"}) ==
                    "at-purchase";
  }

  // site.thermal (physics/thermal.hpp). Keys other than `enabled` need enabled: true (nothing a
  // user writes is accepted and then ignored).
  void thermal(YamlMap m, ThermalSpec& th, const TimeSpec& time) {
    if (!m.present()) return;
    th.enabled = m.boolean("enabled", th.enabled);
    th.resistance_k_per_w = m.optional_number("resistance_k_per_w", {.min = 0, .max = 10, .min_exclusive = true});
    if (m.has("time_constant")) th.time_constant_s = m.duration("time_constant", 0, {.min = 0, .max = kDay});
    th.offset_c = m.optional_number("offset_c", {.min = -20, .max = 60});
    th.slowdown_c = m.optional_number("slowdown_c", {.min = 30, .max = 150});
    th.failure_rise_c_per_min = m.number("failure_rise_c_per_min", th.failure_rise_c_per_min, {.min = 0, .max = 100});
    th.failure_max_supply_c = m.number("failure_max_supply_c", th.failure_max_supply_c, {.min = 5, .max = 120});
    th.failure_step_s = m.duration("failure_step", th.failure_step_s, {.min = 1, .max = kDay});
    Calendar cal(time.start);
    const auto when = [&](YamlMap& f, const char* key, Seconds& out) {
      auto v = f.value(key);
      if (!v) {
        f.error(std::string("missing required key '") + key + "' (expected a UTC date-time, e.g. 2024-07-03T14:00:00Z)", key);
        return false;
      }
      auto c = v->is_scalar() ? parse_datetime(v->scalar()) : std::nullopt;
      if (!c) {
        v->error("expected a UTC date-time (2024-07-03T14:00:00Z), got " + v->describe());
        return false;
      }
      out = cal.at(*c);
      return true;
    };
    Seconds prev_end = -std::numeric_limits<double>::infinity();
    for (const auto& item : m.list("chiller_failures")) {
      YamlMap f = item.as_map();
      ChillerFailureSpec cf;
      const bool start_ok = when(f, "start", cf.start_s);  // both read: both reported
      const bool end_ok = when(f, "end", cf.end_s);
      if (!start_ok || !end_ok) continue;
      if (cf.end_s <= cf.start_s) {
        f.error("expected end after start, got an interval of " + num(cf.end_s - cf.start_s) + " s", "end");
        continue;
      }
      if (cf.start_s < prev_end) {
        f.error("expected chiller failures in time order and disjoint, got one starting before the previous one ends",
                "start");
        continue;
      }
      prev_end = cf.end_s;
      th.chiller_failures.push_back(cf);
    }
    if (!th.enabled) {
      for (const std::string& k : m.keys())
        if (k != "enabled")
          m.error("expected enabled: true for the thermal model's settings to apply, got " + k +
                      " with the thermal model off",
                  k);
    }
  }

  void site(YamlMap m, SiteSpec& s, const TimeSpec& time) {
    const TimeSpec& t = time;  // the fleet and cooling upgrades' dates
    // After a failed `extends`, a missing site is most likely in the base we could not read.
    if (!m.present() && !base_failed) {
      m.error("missing required key 'site' (expected a mapping with at least a platform)");
    }
    std::string platform = m.present() ? m.required_path("platform") : "";
    if (!platform.empty() && fs::exists(platform)) {
      if (opts.load_platform) s.platform = load_platform(platform, errs);
      s.platform.file = platform;
    }
    cooling(m.map("cooling"), s.cooling);
    thermal(m.map("thermal"), s.thermal, time);
    if (m.has("cooling_upgrades")) cooling_upgrades(m, s, t);
    s.ups = loss(m.map("ups"), s.ups);
    s.pdu = loss(m.map("pdu"), s.pdu);
    YamlMap sup = m.map("supply");
    grid(sup.map("grid"), s.supply.grid);
    solar(sup.map("solar"), s.supply.solar);
    wind(sup.map("wind"), s.supply.wind);
    battery(sup.map("battery"), s.supply.battery);
    embodied(m.map("embodied"), s.embodied);
    if (m.has("fleet")) fleet(m.map("fleet"), s, t);
  }

  // site.cooling_upgrades: [{date, <cooling keys>}], each from the cooling in force before it.
  void cooling_upgrades(YamlMap& site, SiteSpec& s, const TimeSpec& t) {
    const Calendar cal(t.start);
    CoolingSpec prev = s.cooling;
    Seconds last = 0;
    for (const auto& item : site.list("cooling_upgrades")) {
      if (!item.is_map()) {
        item.error("expected a cooling upgrade {date, model, pue, …}, got " + item.describe());
        continue;
      }
      YamlMap u = item.as_map();
      if (!u.has("date")) u.error("missing required key 'date' (expected the UTC date of the upgrade)");
      const auto at = date(u, "date", cal);
      if (u.has("weather")) {
        u.accept("weather");
        u.error("expected no weather in a cooling upgrade (the outdoor temperature is site.cooling.weather's "
                "for the whole run), got one", "weather");
      }
      CoolingUpgrade up;
      up.cooling = prev;
      u.accept("date");
      cooling(u, up.cooling);
      if (at) {
        if (!(*at > last))
          u.error("expected a date after the start and after the previous upgrade, got " +
                      format_iso(cal.civil_at(*at)), "date");
        up.at_s = *at;
        last = std::max(last, *at);
      }
      prev = up.cooling;
      s.cooling_upgrades.push_back(up);
    }
  }

  // A calendar date of a fleet group, as simulated seconds; nullopt if absent or invalid.
  std::optional<Seconds> date(YamlMap& g, const std::string& key, const Calendar& cal) {
    auto v = g.value(key);
    if (!v) return std::nullopt;
    auto c = v->is_scalar() ? parse_datetime(v->scalar()) : std::nullopt;
    if (!c || c->year < 1900 || c->year > 2200) {
      v->error("expected a UTC date or date-time between 1900 and 2200 (2027-01-01), got " + v->describe());
      return std::nullopt;
    }
    return cal.at(*c);
  }

  // site.fleet (scenarios/README.md, "Fleet plan"): the groups replace the platform's nodes.
  void fleet(YamlMap m, SiteSpec& s, const TimeSpec& t) {
    const Calendar cal(t.start);
    s.has_fleet = true;
    const double default_age = m.number("retire_after_years", 0, {.min = 0, .max = 50, .min_exclusive = true});
    const bool has_default_age = m.has("retire_after_years");
    const bool default_superseded = m.boolean("retire_when_superseded", false);
    YamlMap lim = m.map("limits");
    s.fleet_limits.power_capacity_mw = lim.number("power_capacity_mw", 0, kPos);
    s.fleet_limits.racks = static_cast<int>(lim.integer("racks", 0, {.min = 1, .max = 1e7}));
    PlatformSpec& ps = s.platform;
    const bool check_types = opts.load_platform && !ps.catalogue_node_types.empty();
    if (!m.has("groups")) m.error("missing required key 'groups' (expected a list of {type, count, install, retire})");
    YamlList groups = m.list("groups");
    struct Dated { Seconds at; double mw; int nodes; int group; const char* key; };
    std::vector<Dated> changes;
    std::vector<NodeGroup> out;
    std::vector<YamlMap> maps;
    // The refresh rule "retire when superseded" (physics/accelerator_power.hpp,
    // nameplate_joules_per_flop): per group its flag, nameplate J/FLOP and IT nameplate MW.
    std::vector<bool> superseded;
    std::vector<double> joules_per_flop, group_mw;
    for (const auto& item : groups) {
      if (!item.is_map()) {
        item.error("expected a fleet group {type, count, install, retire}, got " + item.describe());
        continue;
      }
      YamlMap g = item.as_map();
      NodeGroup ng;
      ng.node_type = g.required_string("type");
      ng.count = static_cast<int>(g.required_integer("count", {.min = 1, .max = 1e7}));
      const auto inst = date(g, "install", cal);
      auto ret = date(g, "retire", cal);
      const bool has_age = g.has("retire_after_years");
      const double age = g.number("retire_after_years", default_age, {.min = 0, .max = 50, .min_exclusive = true});
      const bool own_superseded = g.has("retire_when_superseded");
      const bool when_superseded = g.boolean("retire_when_superseded", default_superseded);
      if (inst) ng.install_s = *inst;
      if (ret && has_age) g.error("expected either retire or retire_after_years, got both", "retire_after_years");
      if (ret && own_superseded && when_superseded)
        g.error("expected either retire or retire_when_superseded, got both", "retire_when_superseded");
      if (!ret && (has_age || has_default_age)) {
        if (!inst) {
          g.error("expected an install date for the refresh rule retire_after_years (the age of a node "
                  "needs its install date), got none", "install");
        } else {
          CivilTime c = cal.civil_at(*inst);
          const double whole = std::floor(age);
          c.year += static_cast<int>(whole);
          Seconds r = cal.at(c);
          if (age > whole) r += (age - whole) * kYear365;
          ret = r;
        }
      }
      if (ret) ng.retire_s = *ret;
      if (ret && inst && !(*ret > *inst))
        g.error("expected a retire date after the install date " + format_iso(cal.civil_at(*inst)) + ", got " +
                    format_iso(cal.civil_at(*ret)),
                g.has("retire") ? "retire" : "retire_after_years");
      if (check_types && !ng.node_type.empty()) {
        auto it = ps.catalogue_node_types.find(ng.node_type);
        if (it == ps.catalogue_node_types.end()) {
          std::string names;
          for (const auto& [k, v] : ps.catalogue_node_types) names += (names.empty() ? "" : ", ") + k;
          g.error("unknown node type '" + ng.node_type + "'; expected one of: " + names, "type");
        } else {
          const NodeSpec& ns = it->second;
          ps.node_types[it->first] = ns;
          auto acc = ps.catalogue_accelerators.find(ns.accelerator);
          double w = ns.host_busy_w + ns.nic_w + ns.fan_max_w;
          if (acc != ps.catalogue_accelerators.end()) {
            ps.accelerators[acc->first] = acc->second;
            w += ns.accelerators_per_node * acc->second.tdp_w;
          }
          const double mw = w * ng.count / 1e6;
          const int gi = static_cast<int>(out.size());
          group_mw.resize(out.size() + 1, 0.0);
          joules_per_flop.resize(out.size() + 1, std::numeric_limits<double>::infinity());
          group_mw[out.size()] = mw;
          if (acc != ps.catalogue_accelerators.end())
            joules_per_flop[out.size()] = nameplate_joules_per_flop(acc->second, ns);
          changes.push_back({std::isfinite(ng.install_s) ? ng.install_s : -std::numeric_limits<double>::infinity(), mw, ng.count, gi, "install"});
          if (std::isfinite(ng.retire_s)) changes.push_back({ng.retire_s, -mw, -ng.count, gi, "retire"});
        }
      }
      superseded.push_back(when_superseded && !g.has("retire"));
      out.push_back(ng);
      maps.push_back(g);
    }
    group_mw.resize(out.size(), 0.0);
    joules_per_flop.resize(out.size(), std::numeric_limits<double>::infinity());
    // Retire when superseded: at the install date of the first group installed later whose node
    // type does the same work for less energy (lower nameplate J/FLOP); with an age rule too,
    // whichever comes first. The replacement's size is the plan's choice, not the rule's.
    for (std::size_t gi = 0; gi < out.size(); ++gi) {
      if (!superseded[gi] || !std::isfinite(joules_per_flop[gi])) continue;
      Seconds when = std::numeric_limits<double>::infinity();
      for (std::size_t h = 0; h < out.size(); ++h)
        if (out[h].install_s > out[gi].install_s && joules_per_flop[h] < joules_per_flop[gi] * (1 - 1e-9))
          when = std::min(when, out[h].install_s);
      if (!(when < out[gi].retire_s)) continue;
      const bool had_retire = std::isfinite(out[gi].retire_s);
      out[gi].retire_s = when;
      if (check_types) {
        for (auto& c : changes)
          if (c.group == static_cast<int>(gi) && c.nodes < 0) c.at = when;
        if (!had_retire) changes.push_back({when, -group_mw[gi], -out[gi].count, static_cast<int>(gi), "retire"});
      }
    }
    if (groups.size() == 0) m.error("expected at least one fleet group {type, count, install}, got none", "groups");
    // Site limits: at every install (retirements at the same instant first), the installed
    // nameplate IT power and the racks in use are within the limits.
    std::stable_sort(changes.begin(), changes.end(), [](const Dated& a, const Dated& b) {
      return a.at != b.at ? a.at < b.at : a.nodes < b.nodes;
    });
    double mw = 0;
    long long nodes = 0, racks = 0;
    bool power_reported = false, racks_reported = false;
    const int npr = std::max(1, ps.network.nodes_per_rack);
    for (const Dated& c : changes) {
      mw += c.mw;
      nodes += c.nodes;
      racks += (c.nodes < 0 ? -1 : 1) * ((std::abs(c.nodes) + npr - 1) / npr);  // each group starts a rack
      if (c.nodes < 0) continue;
      const std::string when = std::isfinite(c.at) ? " on " + format_iso(cal.civil_at(c.at)) : " at the start";
      const double cap = s.fleet_limits.power_capacity_mw;
      if (cap > 0 && mw > cap * (1 + 1e-12) && !power_reported) {
        maps[static_cast<std::size_t>(c.group)].error(
            "expected an installed IT nameplate power within site.fleet.limits.power_capacity_mw = " + num(cap) +
                " MW, got " + num(mw) + " MW" + when + " (Σ nodes × (accelerators × TDP + host busy + NIC + max fan))",
            std::isfinite(c.at) ? "install" : "count");
        power_reported = true;
      }
      if (s.fleet_limits.racks > 0 && racks > s.fleet_limits.racks && !racks_reported) {
        maps[static_cast<std::size_t>(c.group)].error(
            "expected at most site.fleet.limits.racks = " + std::to_string(s.fleet_limits.racks) + " racks in use, got " +
                std::to_string(racks) + when + " (" + std::to_string(nodes) + " nodes, " + std::to_string(npr) +
                " per rack, each group in racks of its own)",
            std::isfinite(c.at) ? "install" : "count");
        racks_reported = true;
      }
    }
    if (!out.empty()) ps.nodes = std::move(out);
  }

  std::map<std::string, double> shares(YamlMap parent, const std::string& key, bool sum_to_one) {
    std::map<std::string, double> out;
    YamlMap m = parent.map(key);
    double sum = 0;
    for (auto& [k, v] : m.entries()) {
      double x = v.as_number(kFraction);
      out[k] = x;
      sum += x;
    }
    // Within 0.001 of 1, so that thirds can be written 0.3333 (draw_from_mix draws in proportion
    // to the shares, so the rounding is not lost or biased).
    if (sum_to_one && !out.empty() && std::fabs(sum - 1.0) > kMixTolerance)
      parent.error("expected shares that sum to 1, got a sum of " + num(sum), key);
    return out;
  }

  void workload(YamlMap m, WorkloadSpec& w, double years) {
    w.generator = m.choice("generator", w.generator);
    if (auto v = m.value("catalogue")) {
      if (v->is_list()) {
        YamlList items = v->as_list();
        for (const auto& item : items) {
          // Each item is a path relative to the file that lists it.
          if (!item.is_scalar() || item.scalar().empty()) {
            item.error("expected a file path, got " + item.describe());
            continue;
          }
          fs::path p(item.scalar());
          if (p.is_relative()) p = fs::path(item.pos().file).parent_path() / p;
          p = p.lexically_normal();
          std::error_code ec;
          if (!fs::exists(p, ec))
            item.error("expected an existing file, got " + item.describe() + " (not found: " +
                       p.string() + ")");
          w.catalogue_files.push_back(p.string());
        }
      } else {
        w.catalogue_files.push_back(m.path("catalogue"));
      }
    }
    // Counts above kMaxJobs are refused below with the estimated memory, not by the range here.
    const std::int64_t jobs_asked = m.integer("jobs", w.jobs, {.min = 0, .max = 1e18});
    w.jobs = static_cast<int>(std::min(jobs_asked, static_cast<std::int64_t>(kMaxJobs)));
    w.jobs_per_year = m.number("jobs_per_year", w.jobs_per_year, {.min = 0, .max = 1e18});
    w.jobs_growth_per_year = m.number("jobs_growth_per_year", w.jobs_growth_per_year, {.min = 0, .max = 100, .min_exclusive = true});
    w.model_size_growth_per_year =
        m.number("model_size_growth_per_year", w.model_size_growth_per_year, {.min = 0, .max = 100, .min_exclusive = true});
    w.mix = shares(m, "mix", true);
    w.gpus_per_job = static_cast<int>(m.integer("gpus_per_job", w.gpus_per_job, {.min = 1, .max = 1e6}));
    w.max_gpus_per_job = static_cast<int>(m.integer("max_gpus_per_job", w.max_gpus_per_job, {.min = 1, .max = 1e6}));
    w.work_scale = m.number("work_scale", w.work_scale, {.min = 0, .max = 1e6, .min_exclusive = true});
    w.deferrable_fraction = m.number("deferrable_fraction", w.deferrable_fraction, kFraction);
    w.elastic_fraction = m.number("elastic_fraction", w.elastic_fraction, kFraction);
    w.elastic_min_share = m.number("elastic_min_share", w.elastic_min_share, {.min = 0, .max = 1, .min_exclusive = true});
    w.elastic_max_factor = m.number("elastic_max_factor", w.elastic_max_factor, {.min = 1, .max = 64});
    w.deadline_slack_s = m.duration("deadline_slack", w.deadline_slack_s, kNonNeg);
    w.daily_cycle = m.number("daily_cycle", w.daily_cycle, kFraction);
    w.weekly_cycle = m.number("weekly_cycle", w.weekly_cycle, kFraction);
    w.optimisations = shares(m, "optimisations", false);
    YamlList traces = m.list("traces");
    for (const auto& item : traces) {
      YamlMap t = item.as_map();
      TraceImportSpec ts;
      ts.format = t.choice("format", ts.format);
      if (!t.has("format"))
        t.error("missing required key 'format' (expected " + names_list<JobTraceFormat>(", ") + ")", "format");
      ts.file = t.required_path("file");
      ts.profile_rule = t.choice("profile_rule", ts.profile_rule);
      {
        YamlMap pm = t.map("profile_map");
        for (auto& [k, v] : pm.entries()) {
          if (ts.profile_rule == ProfileRule::by_gpus) {
            auto g = parse_yaml_number(k);
            if (!g || *g < 0 || *g != std::floor(*g)) {
              pm.error("expected a minimum GPU count (an integer >= 0) as key for rule by-gpus, got " + k, k);
              continue;
            }
          }
          ts.profile_map[k] = v.as_string();
        }
      }
      ts.profile_column = t.string("profile_column", ts.profile_column);
      ts.procs_per_gpu = t.number("procs_per_gpu", ts.procs_per_gpu, {.min = 0, .max = 1e6, .min_exclusive = true});
      ts.aggregate_s = t.duration("aggregate", ts.aggregate_s, {.min = 0, .max = 366 * kDay});
      ts.serving_params = t.number("serving_params", ts.serving_params, {.min = 0, .max = 1e15, .min_exclusive = true});
      ts.default_profile = t.string("default_profile", ts.default_profile);
      ts.time_scale = t.number("time_scale", ts.time_scale, {.min = 0, .max = 1e6, .min_exclusive = true});
      if (t.has("limit")) ts.limit = static_cast<int>(t.integer("limit", 0, {.min = 1, .max = kMaxJobs}));
      w.traces.push_back(ts);
    }
    if (w.generator == WorkloadGenerator::trace && traces.size() == 0)
      m.error("missing required key 'traces' (expected at least one trace for generator trace)",
              "traces");
    w.fixed_profile = m.string("fixed_profile", w.fixed_profile);
    w.work_flops_per_job = m.number("work_flops_per_job", w.work_flops_per_job, {.min = 0, .max = 1e30});
    w.interarrival_s = m.duration("interarrival", w.interarrival_s, {.min = 0, .max = 10 * kYear365});
    w.arrival_process = m.choice("arrival_process", w.arrival_process);
    {
      YamlMap by_year = m.map("mix_by_year");
      for (auto& [year, v] : by_year.entries()) {
        auto y = parse_yaml_number(year);
        if (!y || *y != std::floor(*y) || *y < 1900 || *y > 2200) {
          by_year.error("expected a year in [1900, 2200] as key, got " + year, year);
          continue;
        }
        if (!v.is_map()) {
          v.error("expected a mapping of profile shares, got " + v.describe());
          continue;
        }
        YamlMap holder = v.as_map();
        std::map<std::string, double> mix;
        double sum = 0;
        for (auto& [k, sv] : holder.entries()) {
          mix[k] = sv.as_number(kFraction);
          sum += mix[k];
        }
        if (!mix.empty() && std::fabs(sum - 1.0) > kMixTolerance)
          by_year.error("expected shares that sum to 1, got a sum of " + num(sum), year);
        w.mix_by_year[static_cast<int>(*y)] = mix;
      }
    }
    for (const auto& item : m.list("deadline_bursts")) {
      YamlMap b = item.as_map();
      DeadlineBurst db;
      db.month = static_cast<int>(b.required_integer("month", {.min = 1, .max = 12}));
      db.day = static_cast<int>(b.required_integer("day", {.min = 1, .max = 31}));
      db.window_s = b.duration("window", db.window_s, {.min = 0, .max = 366 * kDay, .min_exclusive = true});
      db.factor = b.number("factor", db.factor, {.min = 0, .max = 1000});
      w.deadline_bursts.push_back(db);
    }
    w.peak_hour_utc = m.number("peak_hour_utc", w.peak_hour_utc, {.min = 0, .max = 24});
    w.scale_work_with_year = m.boolean("scale_work_with_year", w.scale_work_with_year);
    w.chain_finetune_work = m.number("chain_finetune_work", w.chain_finetune_work, {.min = 0, .max = 10});
    w.chain_eval_work = m.number("chain_eval_work", w.chain_eval_work, {.min = 0, .max = 10});
    w.sweep_spread = m.number("sweep_spread", w.sweep_spread, {.min = 0, .max = 5});
    w.sweep_fraction = m.number("sweep_fraction", w.sweep_fraction, kFraction);
    w.sweep_variants = static_cast<int>(m.integer("sweep_variants", w.sweep_variants, {.min = 1, .max = 10000}));
    w.chain_fraction = m.number("chain_fraction", w.chain_fraction, kFraction);
    if (w.sweep_fraction + w.chain_fraction > 1 + 1e-12)
      m.error("expected sweep_fraction + chain_fraction <= 1, got " + num(w.sweep_fraction + w.chain_fraction), "chain_fraction");

    // Jobs submitted over the span, before they are generated: refuse absurd sizes.
    double est = w.generator == WorkloadGenerator::fixed ? static_cast<double>(jobs_asked) : 0;
    if (w.generator == WorkloadGenerator::research_lab) {
      double rate = w.jobs_per_year;
      for (double y = 0; y < years; y += 1) {
        est += rate * std::min(1.0, years - y);
        rate *= w.jobs_growth_per_year;
        if (est > 1e18) break;
      }
      est *= 1 + w.sweep_fraction * (w.sweep_variants - 1) + w.chain_fraction * 2;
    }
    if (est > kMaxJobs)
      m.error("expected at most " + sci(kMaxJobs) + " jobs over the run, got an estimated " +
                  sci(est) + " (~" + human_bytes(est * kBytesPerJob) + " of job records)",
              w.generator == WorkloadGenerator::fixed ? "jobs" : "jobs_per_year");
  }

  PolicyConfig policy(const YamlValue& v, const std::string& kp) {
    PolicyConfig pc;
    pc.key_path = kp;
    std::map<std::string, YamlPos> where;
    YamlPos at = v.pos();
    if (v.is_scalar()) {
      pc.name = v.scalar();  // `scheduler: easy-backfill`: a policy with no parameters
    } else if (v.is_map()) {
      YamlMap m = v.as_map();
      pc.name = m.required_string("name");
      where["name"] = m.has("name") ? m.value("name")->pos() : at;
      for (auto& [k, pv] : m.entries()) {
        if (k == "name") continue;
        where[k] = pv.pos();
        if (!pv.is_scalar()) {
          pv.error("expected a number, a duration or a string, got " + pv.describe());
          continue;
        }
        const std::string& t = pv.scalar();
        if (pv.is_quoted()) {
          pc.strings[k] = t;
        } else if (auto num = parse_yaml_number(t)) {
          pc.numbers[k] = *num;
        } else if (t == "true" || t == "false") {
          pc.numbers[k] = t == "true" ? 1.0 : 0.0;
        } else if (auto d = parse_duration(t); d && std::isfinite(*d) &&
                                               std::isdigit(static_cast<unsigned char>(t[0]))) {
          pc.numbers[k] = *d;
        } else {
          std::string low;
          for (char c : t) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (low.find("nan") != std::string::npos || low.find("inf") != std::string::npos) {
            if (low == ".nan" || low == ".inf" || low == "-.inf" || low == "nan" || low == "inf") {
              pv.error("expected a finite number, got " + pv.describe());
              continue;
            }
          }
          pc.strings[k] = t;
        }
      }
    } else {
      v.error("expected a policy (a name, or a mapping with name and parameters), got " + v.describe());
      return pc;
    }
    if (opts.validate_policy && !pc.name.empty()) {
      DiagnosticSink local;
      opts.validate_policy(pc, local);
      for (Diagnostic d : local.all()) {
        if (d.file.empty()) {
          auto it = where.find(d.key_path);
          const YamlPos& p = it != where.end() ? it->second : at;
          d.file = p.file;
          d.line = p.line;
          d.column = p.column;
          d.key_path = d.key_path.empty() ? kp : kp + "." + d.key_path;
        }
        errs.add(d);
      }
    }
    return pc;
  }

  void policies(YamlMap m, PoliciesSpec& p) {
    if (auto v = m.value("scheduler")) p.scheduler = policy(*v, "policies.scheduler");
    YamlList energy = m.list("energy");
    for (std::size_t i = 0; i < energy.size(); ++i)
      p.energy.push_back(policy(energy[i], "policies.energy." + std::to_string(i)));
    p.tick_s = m.duration("tick", p.tick_s, {.min = 1, .max = 30 * kDay});
    p.forecast_error = m.number("forecast_error", p.forecast_error, {.min = 0, .max = 10});
    p.forecast_error_growth_per_day =
        m.number("forecast_error_growth_per_day", p.forecast_error_growth_per_day, {.min = 0, .max = 10});
    p.forecast_error_correlation_s =
        m.duration("forecast_error_correlation", p.forecast_error_correlation_s, {.min = 0, .max = 30 * kDay});
  }

  void output(YamlMap m, OutputSpec& o) {
    o.file = m.string("file", o.file);
    if (o.file.empty()) m.error("expected a file name for the results, got an empty string", "file");
    o.per_rack = m.boolean("per_rack", o.per_rack);
    o.per_node = m.boolean("per_node", o.per_node);
    o.events = m.boolean("events", o.events);
    o.plot = m.string("plot", o.plot);
  }
};

void sort_diagnostics(std::vector<Diagnostic>& d) {
  std::stable_sort(d.begin(), d.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return false;  // keep files in the order they were met
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace

std::unique_ptr<YamlDoc> resolve_scenario_document(const std::string& path,
                                                   const std::vector<std::string>& set_overrides,
                                                   std::vector<std::string>* files) {
  std::vector<std::string> chain, read;
  auto doc = resolve_chain(path, chain, read);
  doc->set_whole_paths(kWholeValues);
  for (const auto& o : set_overrides) doc->apply_override(o);
  if (files) *files = read;
  return doc;
}

SizeEstimate estimate_size(const Scenario& s) {
  SizeEstimate e;
  e.samples = (s.time.duration_s + s.time.drain_s) / s.time.sample_s;
  for (const auto& g : s.site.platform.nodes) e.nodes += g.count;
  e.per_node_values = s.output.per_node ? e.samples * e.nodes : 0;
  return e;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& set_overrides) {
  LoadOptions o;
  o.set_overrides = set_overrides;
  return load_scenario(path, o);
}

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  std::vector<std::string> files;
  auto doc = resolve_scenario_document(path, options.set_overrides, &files);
  DiagnosticSink& errs = doc->errors();
  Scenario s;
  s.file = path;
  Reader r{errs, options};
  for (const auto& d : errs.all())
    if (d.key_path == "extends") r.base_failed = true;
  YamlMap root = doc->root_map();
  s.name = root.string("name", fs::path(path).stem().string());
  s.description = root.string("description", "");
  s.seed = static_cast<std::uint64_t>(root.integer("seed", static_cast<std::int64_t>(s.seed),
                                                   {.min = 0, .max = 9007199254740992.0}));
  r.time(root.map("time"), s.time);
  r.site(root.map("site"), s.site, s.time);
  r.workload(root.map("workload"), s.workload, s.time.years);
  r.policies(root.map("policies"), s.policies);
  r.output(root.map("output"), s.output);
  read_serving(root.map("serving"), s.time, s.site.platform,
               options.load_platform && !s.site.platform.accelerators.empty(), s.serving);
  if (s.site.has_fleet && s.serving.enabled()) {
    YamlMap site = root.map("site");
    site.error("expected a fleet plan without serving deployments (serving replicas on nodes that are installed "
               "or retired during the run are not modelled yet), got both",
               "fleet");
  }
  if (root.has("serving")) {  // errors about the section as a whole point at its key
    const YamlPos sp = root.key_pos("serving");
    s.serving.positions["serving"] = {sp.file, sp.line, sp.column};
  }
  root.finish();

  SizeEstimate est = estimate_size(s);
  if (est.per_node_values > kMaxPerNodeValues) {
    YamlMap out = root.map("output");
    out.error("expected per-node series of at most " + sci(kMaxPerNodeValues) + " values, got " +
                  sci(est.samples) + " samples × " + sci(est.nodes) + " nodes = " +
                  sci(est.per_node_values) + " (~" +
                  human_bytes(est.per_node_values * kBytesPerSample) + "): raise time.sample or "
                  "set per_node: false",
              "per_node");
  }

  if (!errs.empty()) {
    std::vector<Diagnostic> d = errs.all();
    sort_diagnostics(d);
    throw InputError(std::move(d));
  }
  s.resolved_yaml = doc->emit();
  s.input_files = files;
  for (const auto& p : doc->referenced_paths())
    if (std::find(s.input_files.begin(), s.input_files.end(), p) == s.input_files.end())
      s.input_files.push_back(p);
  return s;
}

// ---- validate ------------------------------------------------------------------------------

const char* to_string(FileKind k) {
  switch (k) {
    case FileKind::scenario: return "scenario";
    case FileKind::platform: return "platform";
    case FileKind::accelerator_catalogue: return "accelerator catalogue";
    case FileKind::workload_catalogue: return "workload catalogue";
    case FileKind::sweep: return "sweep";
    case FileKind::unknown: return "unknown";
  }
  return "unknown";
}

FileKind detect_kind(const std::vector<std::string>& keys) {
  std::set<std::string> k(keys.begin(), keys.end());
  if (k.count("base")) return FileKind::sweep;
  if (k.count("profiles")) return FileKind::workload_catalogue;
  if (k.count("site") || k.count("extends") || k.count("workload") || k.count("policies") ||
      k.count("time"))
    return FileKind::scenario;
  if (k.count("accelerators") && !k.count("nodes") && !k.count("node_types"))
    return FileKind::accelerator_catalogue;
  if (k.count("nodes") || k.count("node_types") || k.count("catalogue") || k.count("network"))
    return FileKind::platform;
  return keys.empty() ? FileKind::unknown : FileKind::scenario;
}

FileKind detect_file_kind(const std::string& path) {
  try {
    auto doc = YamlDoc::load_file(path);
    return detect_kind(doc->root_keys());
  } catch (const InputError&) {
    return FileKind::unknown;
  }
}

std::vector<Diagnostic> engine_unsupported(const Scenario& s) {
  std::vector<Diagnostic> out;
  if (!s.serving.enabled()) return out;
  const auto at = [&](const std::string& key, const std::string& fallback, std::string message) {
    auto it = s.serving.positions.find(key);
    if (it == s.serving.positions.end()) it = s.serving.positions.find(fallback);
    Diagnostic d;
    d.file = it == s.serving.positions.end() ? s.file : it->second.file;
    d.line = it == s.serving.positions.end() ? 0 : it->second.line;
    d.column = it == s.serving.positions.end() ? 0 : it->second.column;
    d.key_path = key;
    d.message = std::move(message);
    out.push_back(std::move(d));
  };
  if (s.serving.requests_table && s.serving.fidelity == "aggregated" && s.serving.positions.count("serving.requests_table"))
    at("serving.requests_table", "serving",
       "expected requests_table: false with fidelity: aggregated (it has no individual requests; "
       "the request table needs fidelity: request)");
  return out;
}

std::vector<Diagnostic> validate_file(const std::string& path, const ValidateOptions& options) {
  try {
    FileKind kind;
    {
      auto doc = YamlDoc::load_file(path);
      kind = detect_kind(doc->root_keys());
      if (kind == FileKind::unknown) {
        doc->root_map();  // reports "expected a mapping of keys at the top level"
        return doc->errors().all();
      }
    }
    DiagnosticSink sink;
    auto run_hook = [&](const std::function<void(const std::string&, DiagnosticSink&)>& hook) {
      if (hook) hook(path, sink);
    };
    switch (kind) {
      case FileKind::scenario: {
        LoadOptions lo;
        lo.set_overrides = options.set_overrides;
        lo.validate_policy = options.validate_policy;
        lo.load_platform = options.load_platform;
        const Scenario sc = load_scenario(path, lo);
        for (auto& d : engine_unsupported(sc)) sink.add(std::move(d));
        if (options.validate_scenario && options.load_platform) options.validate_scenario(sc, sink);
        break;
      }
      case FileKind::platform: load_platform(path, sink); break;
      case FileKind::sweep: run_hook(options.validate_sweep); break;
      case FileKind::accelerator_catalogue: run_hook(options.validate_accelerator_catalogue); break;
      case FileKind::workload_catalogue: run_hook(options.validate_workload_catalogue); break;
      case FileKind::unknown: break;
    }
    return sink.all();
  } catch (const InputError& e) {
    return e.diagnostics();
  }
}

}  // namespace dcsim
