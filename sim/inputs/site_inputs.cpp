// Loading the site's time-varying inputs (carbon intensity, price, weather, on-site generation)
// and presenting them to the engine as piecewise-constant steps.
//
// Each input is a traces::TimeSeries already mapped onto simulated time (the traces module
// aligns calendar years, fills gaps by the scenario's rule and reports what it did). The engine
// holds each value over its step (hourly data: one value per hour), which keeps energy and
// emissions exactly integrable; forecasts use the series' exact means over a window.
#include "inputs/site_inputs.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <algorithm>
#include <cstdio>

#include "core/error.hpp"
#include "physics/marginal.hpp"
#include "physics/renewables.hpp"
#include "traces/align.hpp"
#include "traces/loaders.hpp"
#include "traces/time_series.hpp"

namespace dcsim {

namespace {

class SeriesInput final : public StepInput {
 public:
  explicit SeriesInput(traces::TimeSeries s) : s_(std::move(s)), cur_(s_) {}
  double value_at(Seconds t) override { return cur_.value_at(t); }
  Seconds next_change_after(Seconds t) override { return cur_.next_change_after(t); }
  double mean_over(Seconds t0, Seconds t1) override {
    return t1 > t0 ? s_.mean_over(t0, t1) : s_.value_at(t0);
  }

 private:
  traces::TimeSeries s_;
  traces::SeriesCursor cur_;
};

}  // namespace

static std::unique_ptr<StepInput> make_series_input(traces::TimeSeries s) {
  return std::make_unique<SeriesInput>(std::move(s));
}

namespace {

// A trend by calendar year (GridSpec::carbon_factor_per_year): the base input times
// factor^(y − base_year) over UTC calendar year y, so the value stays piecewise constant and
// changes at each year boundary as well as at the base's own steps.
Seconds year_start_of(const Calendar& cal, int y) { return cal.at(CivilTime{y, 1, 1, 0, 0, 0}); }

// The time-weighted mean over [t0, t1) of a quantity whose mean over a stretch inside one UTC
// calendar year y is part(y, a, b): the stretches split at year boundaries.
template <class Part>
double mean_by_year(const Calendar& cal, Seconds t0, Seconds t1, Part part) {
  double sum = 0;
  for (Seconds a = t0; a < t1;) {
    const int y = cal.year_at(a);
    const Seconds b = std::min(t1, year_start_of(cal, y + 1));
    sum += part(y, a, b) * (b - a);
    a = b;
  }
  return sum / (t1 - t0);
}

// The base input times a multiplier per UTC calendar year: factor^(y − base_year) for a trend
// (GridSpec::carbon_factor_per_year), the targets' table for carbon_targets. Piecewise constant
// by year, so the value changes at each year boundary as well as at the base's own steps.
class YearMultiplierInput final : public StepInput {
 public:
  YearMultiplierInput(std::unique_ptr<StepInput> base, std::function<double(int)> multiplier, const Calendar& cal)
      : base_(std::move(base)), multiplier_(std::move(multiplier)), cal_(cal) {}
  double value_at(Seconds t) override { return base_->value_at(t) * multiplier_(cal_.year_at(t)); }
  Seconds next_change_after(Seconds t) override {
    return std::min(base_->next_change_after(t), year_start_of(cal_, cal_.year_at(t) + 1));
  }
  double mean_over(Seconds t0, Seconds t1) override {
    if (!(t1 > t0)) return value_at(t0);
    return mean_by_year(cal_, t0, t1, [&](int y, Seconds a, Seconds b) { return base_->mean_over(a, b) * multiplier_(y); });
  }

 private:
  std::unique_ptr<StepInput> base_;
  std::function<double(int)> multiplier_;
  Calendar cal_;
};

std::unique_ptr<StepInput> with_trend(std::unique_ptr<StepInput> in, double factor, int base_year,
                                      const Calendar& cal) {
  if (factor == 1.0) return in;
  const int y0 = base_year ? base_year : cal.start().year;
  return std::make_unique<YearMultiplierInput>(
      std::move(in), [factor, y0](int y) { return std::pow(factor, y - y0); }, cal);
}

// Decarbonisation targets (scenarios/README.md "Trends"): each calendar year y of the run gets a
// target mean T(y) (the targets; between two anchors geometric, T_a·(T_b/T_a)^((y−a)/(b−a)), a
// constant yearly factor like carbon_factor_per_year; before the first anchor and after the last
// held at their values). The base year (trend_base_year, default the start year) is an anchor
// with the base's own mean when it precedes the first target year. The base is scaled in year y
// by T(y) / (its mean over the part of y inside the run), so that part's mean is T(y) exactly and
// the base's shape within the year is kept.
std::unique_ptr<StepInput> with_targets(std::unique_ptr<StepInput> in, const std::map<int, double>& targets,
                                        int base_year, const Calendar& cal, Seconds span, const std::string& file) {
  if (targets.empty()) return in;
  const std::string key = "site.supply.grid.carbon_targets";
  const int y0 = cal.year_at(0), y1 = cal.year_at(std::max<Seconds>(0, span - 1e-6));
  auto window_mean = [&](int y) {
    const Seconds a = std::max<Seconds>(0, year_start_of(cal, y)), b = std::min(span, year_start_of(cal, y + 1));
    return in->mean_over(a, b);
  };
  std::map<int, double> anchors = targets;
  const int by = base_year ? base_year : y0;
  if (by < targets.begin()->first) {
    if (by < y0 || by > y1) {
      char buf[240];
      std::snprintf(buf, sizeof buf, "expected trend_base_year inside the run (%d..%d) to anchor carbon_targets "
                    "before their first year %d, got %d", y0, y1, targets.begin()->first, by);
      throw InputError(Diagnostic{file, 0, 0, "site.supply.grid.trend_base_year", buf});
    }
    anchors[by] = window_mean(by);
  }
  auto target_of = [&](int y) {
    auto hi = anchors.lower_bound(y);
    if (hi == anchors.end()) return std::prev(hi)->second;
    if (hi->first == y || hi == anchors.begin()) return hi->second;
    auto lo = std::prev(hi);
    return lo->second * std::pow(hi->second / lo->second, double(y - lo->first) / double(hi->first - lo->first));
  };
  std::vector<double> m;
  for (int y = y0; y <= y1; ++y) {
    const double base = window_mean(y), t = target_of(y);
    if (!(base > 0)) {
      char buf[240];
      std::snprintf(buf, sizeof buf, "expected a base intensity with a positive mean in %d to scale to the target "
                    "%.6g g/kWh, got a mean of %.6g", y, t, base);
      throw InputError(Diagnostic{file, 0, 0, key, buf});
    }
    m.push_back(t / base);
  }
  // the run's years [y0, y0 + size); outside, the nearest one
  return std::make_unique<YearMultiplierInput>(
      std::move(in),
      [y0, m = std::move(m)](int y) {
        return m[static_cast<std::size_t>(std::clamp<long>(y - y0, 0, static_cast<long>(m.size()) - 1))];
      },
      cal);
}

// Yearly trace files stitched (GridSpec::carbon_files): calendar year y reads the input of the
// latest year listed ≤ y (the first one before it).
class ByYearInput final : public StepInput {
 public:
  ByYearInput(std::map<int, std::unique_ptr<StepInput>> in, const Calendar& cal) : in_(std::move(in)), cal_(cal) {}
  double value_at(Seconds t) override { return at(cal_.year_at(t)).value_at(t); }
  Seconds next_change_after(Seconds t) override {
    const int y = cal_.year_at(t);
    return std::min(at(y).next_change_after(t), year_start_of(cal_, y + 1));
  }
  double mean_over(Seconds t0, Seconds t1) override {
    if (!(t1 > t0)) return value_at(t0);
    return mean_by_year(cal_, t0, t1, [&](int y, Seconds a, Seconds b) { return at(y).mean_over(a, b); });
  }

 private:
  StepInput& at(int y) {
    auto it = in_.upper_bound(y);
    if (it != in_.begin()) --it;
    return *it->second;
  }
  std::map<int, std::unique_ptr<StepInput>> in_;
  Calendar cal_;
};

}  // namespace

namespace {

traces::TimeSeries map_series(const traces::TimeSeries& base, const traces::TimeSeries* other,
                              const std::function<double(double, double)>& f);

struct Loader {
  const Scenario& sc;
  const Calendar& cal;
  Seconds span_s;
  std::vector<std::string>& reports;
  traces::LoadOptions load;
  traces::AlignOptions align;

  Loader(const Scenario& s, const Calendar& c, Seconds span, std::vector<std::string>& r)
      : sc(s), cal(c), span_s(span), reports(r) {
    load.rules.empty_cells = s.site.supply.grid.gap_rule;
    load.rules.missing_steps = s.site.supply.grid.gap_rule;
    align.beyond = s.site.supply.grid.wrap_rule;
  }

  traces::LoadedSeries aligned(const traces::LoadedSeries& in) {
    traces::LoadedSeries out = traces::align_to_run(in, cal, span_s, align);
    reports.push_back(out.report.summary());
    return out;
  }
  traces::TimeSeries carbon(const std::string& file, const std::string& column) {
    return aligned(traces::load_carbon(file, column, load)).series;
  }
  // One of GridSpec::carbon_files: a dated trace whose year is `year` (the UTC year holding most
  // of its points) covering a whole year, aligned like carbon_file (each run year reads it by
  // month/day/hour; the stitching picks the year).
  traces::TimeSeries carbon_of_year(int year, const std::string& file, const std::string& column) {
    const traces::LoadedSeries ls = traces::load_carbon(file, column, load);
    const std::string key = "site.supply.grid.carbon_files." + std::to_string(year);
    auto fail = [&](const std::string& msg) { throw InputError(Diagnostic{sc.file, 0, 0, key, file + ": " + msg}); };
    if (ls.meta.base != traces::TimeBase::absolute_utc || ls.series.size() == 0)
      fail("expected a dated trace (UTC timestamps of one calendar year), got a " +
           std::string(ls.meta.base == traces::TimeBase::relative ? "relative (time_s)" : "typical-year") + " one");
    std::map<int, std::size_t> per_year;
    for (double x : ls.series.times()) ++per_year[civil_from_unix(x).year];
    int ref = 0;
    std::size_t best = 0;
    for (const auto& [y, c] : per_year)
      if (c > best) best = c, ref = y;
    if (ref != year)
      fail("expected a trace of " + std::to_string(year) + " (the year it is listed under), got one of " +
           std::to_string(ref));
    const Seconds step = ls.meta.nominal_step_s > 0 ? ls.meta.nominal_step_s : 3600.0;
    const double len = static_cast<double>(days_from_civil(year + 1, 1, 1) - days_from_civil(year, 1, 1)) * 86400.0;
    const double covered = ls.series.last_time() - ls.series.first_time() + step;
    if (covered < len - 2 * step) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "expected a trace covering the whole year %d, got %.4g days of it", year,
                    covered / 86400.0);
      fail(buf);
    }
    return aligned(ls).series;
  }
  // Carbon-free share of the grid mix, from the same file as the carbon intensity.
  std::optional<traces::TimeSeries> cfe_share(const std::string& file) {
    const traces::TraceTable t = traces::load_table(file, load);
    auto aligned_series = [&](traces::TimeSeries s, const std::string& col) {
      traces::LoadedSeries ls{std::move(s), t.meta, t.report(col)};
      ls.report.column = "carbon-free share (" + col + ")";
      return aligned(ls).series;
    };
    if (t.find("low_carbon_pct")) {
      const traces::TimeSeries& pct = t.column("low_carbon_pct");
      std::vector<double> tt(pct.times().begin(), pct.times().end()), v(tt.size());
      for (std::size_t i = 0; i < tt.size(); ++i) v[i] = std::clamp(pct.value(i) / 100.0, 0.0, 1.0);
      return aligned_series(traces::TimeSeries(std::move(tt), std::move(v)), "low_carbon_pct");
    }
    static const char* clean[] = {"WND", "SUN", "WAT", "NUC"};
    static const char* fossil[] = {"OIL", "NG", "COL", "OTH"};
    for (const char* c : clean) if (!t.find(c)) return std::nullopt;
    for (const char* c : fossil) if (!t.find(c)) return std::nullopt;
    const traces::TimeSeries& base = t.column("NG");
    std::vector<double> tt(base.times().begin(), base.times().end()), v(tt.size());
    for (std::size_t i = 0; i < tt.size(); ++i) {
      double cl = 0, all = 0;
      for (const char* c : clean) cl += std::max(0.0, t.column(c).value_at(tt[i]));
      all = cl;
      for (const char* c : fossil) all += std::max(0.0, t.column(c).value_at(tt[i]));
      v[i] = all > 0 ? cl / all : 0.0;
    }
    return aligned_series(traces::TimeSeries(std::move(tt), std::move(v)), "NG");
  }
  // Marginal emission factors estimated from the file's generation by fuel (physics/marginal.hpp):
  // one slope per bin of hours, held over every hour of its bin.
  traces::TimeSeries marginal_estimate(const std::string& file, MarginalBins bins) {
    const traces::TraceTable t = load_table(file, load);
    const traces::TimeSeries& base = t.column("NG");
    for (const FuelFactor& f : kEiaFuelFactors) t.column(f.fuel);  // InputError names a missing one
    const std::size_t n = base.size();
    std::vector<double> tt(base.times().begin(), base.times().end()), e(n), g(n);
    std::vector<std::uint16_t> bin(n);
    std::vector<std::uint8_t> follows(n, 0);
    const Seconds step = t.meta.nominal_step_s > 0 ? t.meta.nominal_step_s : 3600.0;
    for (std::size_t i = 0; i < n; ++i) {
      double ei = 0, gi = 0;
      for (const FuelFactor& f : kEiaFuelFactors) {
        const double mwh = std::max(0.0, t.column(f.fuel).value_at(tt[i]));
        gi += mwh;
        ei += mwh * f.g_per_kwh;  // MWh · kg/MWh
      }
      e[i] = ei;
      g[i] = gi;
      bin[i] = bin_of(tt[i], bins);
      if (i > 0) follows[i] = std::abs(tt[i] - tt[i - 1] - step) < 1e-6;
    }
    const std::size_t nb = bins == MarginalBins::hour_of_day ? 24 : 12 * 24;
    MarginalFit fit;
    try {
      fit = fit_marginal_factors(e, g, bin, follows, nb);
    } catch (const std::invalid_argument& ex) {
      throw InputError(Diagnostic{file, 0, 0, "NG", std::string("expected hourly generation by fuel to estimate marginal emissions: ") + ex.what()});
    }
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = fit.slope_g_per_kwh[bin[i]];
    traces::LoadedSeries ls{traces::TimeSeries(std::move(tt), std::move(v)), t.meta, t.report("NG")};
    ls.report.column = "marginal estimate (Siler-Evans 2012, " +
                       std::string(bins == MarginalBins::hour_of_day ? "hour of day" : "month x hour") +
                       ", pooled slope " + std::to_string(fit.pooled_slope_g_per_kwh) + " g/kWh, " +
                       std::to_string(fit.fallback_bins) + " bins pooled)";
    return aligned(ls).series;
  }
  // Bin of a UTC instant: hour of day, or month (civil calendar, Hinnant's days→civil) × 24 + hour.
  static std::uint16_t bin_of(double unix_s, MarginalBins bins) {
    const double day = std::floor(unix_s / 86400.0);
    const int hour = static_cast<int>(std::floor((unix_s - day * 86400.0) / 3600.0)) % 24;
    if (bins == MarginalBins::hour_of_day) return static_cast<std::uint16_t>(hour);
    const long z = static_cast<long>(day) + 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const long doe = z - era * 146097;
    const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long mp = (5 * doy + 2) / 153;
    const long month0 = mp < 10 ? mp + 2 : mp - 10;  // 0 = January
    return static_cast<std::uint16_t>(month0 * 24 + hour);
  }
  // A generation profile as a share of the installed capacity: by the column's own maximum
  // (trace-peak), or by the capacity the user gives (capacity; the column's peak must not
  // exceed it). key: the scenario's section, for the message.
  traces::TimeSeries profile(const std::string& file, const std::string& column, ProfileNormalisation how,
                             double capacity_mw, const std::string& key) {
    const traces::LoadedSeries raw = traces::load_generation_profile(file, column, load);
    traces::TimeSeries share = aligned(raw).series;
    if (how != ProfileNormalisation::capacity) return share;
    const traces::LoadedSeries abs = traces::load_series(file, column, load);
    double peak = 0;
    for (double x : abs.series.values()) peak = std::max(peak, x);
    if (peak > capacity_mw * (1 + 1e-9)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "expected an installed capacity >= the profile's peak of %.6g MW (%s of %s), got %.6g MW",
                    peak, column.c_str(), file.c_str(), capacity_mw);
      throw InputError(Diagnostic{sc.file, 0, 0, key + ".profile_capacity_mw", buf});
    }
    const double f = peak / capacity_mw;
    return map_series(share, nullptr, [f](double x, double) { return x * f; });
  }
  struct Weather {
    traces::TimeSeries temp, ghi, wind;
  };
  std::map<std::string, Weather> weather_cache;
  const Weather& weather(const std::string& file) {
    auto it = weather_cache.find(file);
    if (it != weather_cache.end()) return it->second;
    traces::WeatherTrace w = traces::load_weather(file, load);
    Weather out{aligned(w.temperature_c).series, aligned(w.ghi_w_m2).series, aligned(w.wind_ms).series};
    return weather_cache.emplace(file, std::move(out)).first->second;
  }
};

// Applies f pointwise at the time points of `base` (values of `other` sampled there).
traces::TimeSeries map_series(const traces::TimeSeries& base, const traces::TimeSeries* other,
                              const std::function<double(double, double)>& f) {
  std::vector<double> t(base.times().begin(), base.times().end());
  std::vector<double> v(t.size());
  for (std::size_t i = 0; i < t.size(); ++i)
    v[i] = f(base.value(i), other ? other->value_at(t[i]) : 0.0);
  return traces::TimeSeries(std::move(t), std::move(v), traces::Interp::step);
}

}  // namespace

SiteInputs load_site_inputs(const Scenario& sc, const Calendar& cal) {
  SiteInputs in;
  const Seconds span = sc.time.duration_s > 0 ? sc.time.duration_s : cal.span_of_years(static_cast<int>(sc.time.years));
  Loader ld(sc, cal, span, in.reports);
  const GridSpec& g = sc.site.supply.grid;
  if (!g.carbon_files.empty()) {
    std::map<int, std::unique_ptr<StepInput>> by_year, cfe_by_year;
    for (const auto& [y, file] : g.carbon_files) {
      by_year[y] = make_series_input(ld.carbon_of_year(y, file, g.carbon_column));
      if (std::optional<traces::TimeSeries> c = ld.cfe_share(file)) cfe_by_year[y] = make_series_input(std::move(*c));
    }
    in.carbon_gco2_per_kwh = std::make_unique<ByYearInput>(std::move(by_year), cal);
    // The carbon-free share needs every file's fuel mix (or none: counted as not carbon-free).
    if (!cfe_by_year.empty() && cfe_by_year.size() != g.carbon_files.size()) {
      const int y = std::find_if(g.carbon_files.begin(), g.carbon_files.end(), [&](const auto& e) {
                      return !cfe_by_year.count(e.first);
                    })->first;
      throw InputError(Diagnostic{sc.file, 0, 0, "site.supply.grid.carbon_files." + std::to_string(y),
                                  "expected a fuel mix (EIA-930 fuels or low_carbon_pct) like the other files, for "
                                  "the carbon-free share, got none in " + g.carbon_files.at(y)});
    }
    if (!cfe_by_year.empty()) in.grid_cfe_share = std::make_unique<ByYearInput>(std::move(cfe_by_year), cal);
    else in.grid_cfe_share = std::make_unique<ConstantInput>(0.0);
  } else {
    if (!g.carbon_file.empty())
      in.carbon_gco2_per_kwh = make_series_input(ld.carbon(g.carbon_file, g.carbon_column));
    else
      in.carbon_gco2_per_kwh = std::make_unique<ConstantInput>(g.carbon_gco2_per_kwh.value_or(0.0));
    std::optional<traces::TimeSeries> cfe;
    if (!g.carbon_file.empty()) cfe = ld.cfe_share(g.carbon_file);
    if (cfe) in.grid_cfe_share = make_series_input(std::move(*cfe));
    else in.grid_cfe_share = std::make_unique<ConstantInput>(0.0);
  }
  in.carbon_gco2_per_kwh = with_trend(std::move(in.carbon_gco2_per_kwh), g.carbon_factor_per_year, g.trend_base_year, cal);
  in.carbon_gco2_per_kwh = with_targets(std::move(in.carbon_gco2_per_kwh), g.carbon_targets, g.trend_base_year, cal, span, sc.file);
  if (!g.marginal_column.empty())
    in.marginal_gco2_per_kwh = make_series_input(
        ld.carbon(g.marginal_file.empty() ? g.carbon_file : g.marginal_file, g.marginal_column));
  else if (g.marginal_estimate != MarginalEstimate::off)
    in.marginal_gco2_per_kwh = make_series_input(ld.marginal_estimate(
        g.carbon_file, g.marginal_estimate == MarginalEstimate::hour ? MarginalBins::hour_of_day : MarginalBins::month_hour));
  if (!g.price_file.empty())
    in.price_usd_per_kwh = make_series_input(ld.carbon(g.price_file, "price"));
  else
    in.price_usd_per_kwh = std::make_unique<ConstantInput>(g.price_usd_per_kwh.value_or(0.0));
  in.price_usd_per_kwh = with_trend(std::move(in.price_usd_per_kwh), g.price_factor_per_year, g.trend_base_year, cal);

  if (!sc.site.cooling.weather.empty())
    in.outdoor_temp_c = make_series_input(ld.weather(sc.site.cooling.weather).temp);
  else
    in.outdoor_temp_c = std::make_unique<ConstantInput>(sc.site.cooling.constant_outdoor_temp_c);

  const SolarSpec& pv = sc.site.supply.solar;
  if (pv.peak_mw > 0 && !pv.weather.empty()) {
    const auto& w = ld.weather(pv.weather);
    in.solar_w = make_series_input(map_series(w.ghi, &w.temp, [&pv](double ghi, double temp) {
      return pv_power_w(pv, ghi, temp);
    }));
  } else if (pv.peak_mw > 0 && !pv.profile_file.empty()) {
    const double peak_w = pv.peak_mw * 1e6;
    in.solar_w = make_series_input(map_series(ld.profile(pv.profile_file, "SUN", pv.profile_normalisation,
                                                         pv.profile_capacity_mw, "site.supply.solar"), nullptr,
                                              [peak_w](double x, double) { return x * peak_w; }));
  } else {
    in.solar_w = std::make_unique<ConstantInput>(0.0);
  }
  const WindSpec& wd = sc.site.supply.wind;
  if (wd.rated_mw > 0 && !wd.weather.empty()) {
    const auto& w = ld.weather(wd.weather);
    in.wind_w = make_series_input(map_series(w.wind, nullptr, [&wd](double ws, double) {
      return wind_power_w(wd, ws);
    }));
  } else if (wd.rated_mw > 0 && !wd.profile_file.empty()) {
    const double rated_w = wd.rated_mw * 1e6;
    in.wind_w = make_series_input(map_series(ld.profile(wd.profile_file, "WND", wd.profile_normalisation,
                                                        wd.profile_capacity_mw, "site.supply.wind"), nullptr,
                                             [rated_w](double x, double) { return x * rated_w; }));
  } else {
    in.wind_w = std::make_unique<ConstantInput>(0.0);
  }
  return in;
}

}  // namespace dcsim
