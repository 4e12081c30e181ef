#include "serving/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.hpp"
#include "workload/importers.hpp"

namespace dcsim::serving {

namespace {
constexpr double kTwoPi = 6.283185307179586;
constexpr Seconds kInf = std::numeric_limits<double>::infinity();

int clamp_tokens(double x, double lo, double hi) {
  const double r = std::clamp(std::round(x), std::max(1.0, lo), std::max(1.0, hi));
  return static_cast<int>(std::min(r, 1e9));
}
}  // namespace

// ---- traces ------------------------------------------------------------------------------------

std::shared_ptr<const TraceData> load_azure_trace(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(Diagnostic{file, 0, 0, "", "expected a readable azure-llm trace file, got none"});
  AzureLlmReader reader(in, file, 1.0);
  auto d = std::make_shared<TraceData>();
  d->file = file;
  AzureLlmRecord r;
  Seconds last = -kInf;
  while (reader.next(r)) {
    if (r.t_s < last)
      throw InputError(Diagnostic{file, r.line, 0, "TIMESTAMP",
                                  "expected records in time order, got a time before the previous record's"});
    last = r.t_s;
    d->t_s.push_back(r.t_s);
    d->prompt.push_back(clamp_tokens(r.context_tokens, 1, 1e9));
    d->output.push_back(clamp_tokens(r.generated_tokens, 1, 1e9));
  }
  if (d->t_s.empty()) throw InputError(Diagnostic{file, 1, 0, "", "expected at least one request record, got none"});
  const std::size_t n = d->t_s.size();
  d->span_s = d->t_s.back() - d->t_s.front();
  d->period_s = n > 1 ? d->span_s + d->span_s / static_cast<double>(n - 1) : 1.0;
  if (!(d->period_s > 0)) d->period_s = 1.0;  // every record at one instant
  double sp = 0, so = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sp += d->prompt[i];
    so += d->output[i];
  }
  d->mean_prompt = sp / static_cast<double>(n);
  d->mean_output = so / static_cast<double>(n);
  return d;
}

// ---- tokens ------------------------------------------------------------------------------------

int TokenSampler::Dist::draw(RngStream& rng) const {
  switch (kind) {
    case 0: return clamp_tokens(a, lo, hi);
    case 1: return clamp_tokens(rng.uniform(lo, hi + 1.0 - 1e-9) - 0.5, lo, hi);
    default: return clamp_tokens(rng.lognormal(a, b), lo, hi);
  }
}

TokenSampler::TokenSampler(const RequestStreamSpec& s, std::shared_ptr<const TraceData> pairs)
    : pairs_(s.file.empty() ? nullptr : std::move(pairs)) {
  auto make = [](const TokenDistributionSpec& t) {
    Dist d;
    d.lo = t.min;
    d.hi = t.max;
    if (t.distribution == "fixed") {
      d.kind = 0;
      d.a = t.mean;
    } else if (t.distribution == "uniform") {
      d.kind = 1;
    } else {
      d.kind = 2;
      const double s2 = std::log1p(t.cv * t.cv);
      d.a = std::log(std::max(t.mean, 1e-9)) - s2 / 2;
      d.b = std::sqrt(s2);
    }
    return d;
  };
  prompt_ = make(s.prompt_tokens);
  output_ = make(s.output_tokens);
}

void TokenSampler::draw(RngStream& rng, int& prompt, int& output) const {
  if (pairs_) {
    const auto i = static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(pairs_->t_s.size()) - 1));
    prompt = pairs_->prompt[i];
    output = pairs_->output[i];
    return;
  }
  prompt = prompt_.draw(rng);
  output = output_.draw(rng);
}

// ---- rate --------------------------------------------------------------------------------------

RateShape::RateShape(const RequestStreamSpec& s, const Calendar& cal)
    : cal_(cal), base_(s.rate_per_s), daily_(s.daily_cycle), weekly_(s.weekly_cycle),
      peak_h_(s.peak_hour_utc), growth_(s.growth_per_year), start_(s.start_s),
      end_(s.end_s > 0 ? s.end_s : kInf) {}

RateShape RateShape::constant(double rate_per_s) {
  RateShape r;
  r.base_ = rate_per_s;
  return r;
}

double RateShape::weekly(Seconds t) const {
  if (weekly_ == 0) return 1.0;
  return cal_.day_of_week(t) < 5 ? 1.0 + weekly_ : 1.0 - 2.5 * weekly_;
}

double RateShape::growth(Seconds t) const { return growth_ == 1.0 ? 1.0 : std::pow(growth_, t / kYear365); }

double RateShape::rate(Seconds t) const {
  if (t < start_ || t >= end_) return 0;
  double r = base_ * growth(t) * weekly(t);
  if (daily_ != 0) r *= 1.0 + daily_ * std::cos(kTwoPi * (cal_.hour_of_day(t) - peak_h_) / 24.0);
  return r;
}

double RateShape::integral(Seconds t0, Seconds t1) const {
  t0 = std::max(t0, start_);
  t1 = std::min(t1, end_);
  if (!(t1 > t0)) return 0;
  double sum = 0;
  Seconds a = t0;
  while (a < t1) {
    // the next UTC midnight after a
    const Seconds midnight = a + (24.0 - cal_.hour_of_day(a)) * 3600.0;
    Seconds b = std::min(t1, midnight);
    if (b <= a) b = std::min(t1, a + 86400.0);  // rounding at a midnight
    const double mid = 0.5 * (a + b);
    double piece = b - a;
    if (daily_ != 0) {
      const double w = kTwoPi / 86400.0;
      const double ta = kTwoPi * (cal_.hour_of_day(a) - peak_h_) / 24.0;
      const double tb = ta + w * (b - a);
      piece += daily_ * (std::sin(tb) - std::sin(ta)) / w;
    }
    sum += base_ * growth(mid) * weekly(mid) * piece;
    a = b;
  }
  return sum;
}

double RateShape::bound(Seconds t0, Seconds t1) const {
  t0 = std::max(t0, start_);
  t1 = std::min(t1, end_);
  if (t1 <= t0) return 0;
  const double g = std::max(growth(t0), growth(t1));
  const double w = weekly_ == 0 ? 1.0 : std::max(1.0 + weekly_, 1.0 - 2.5 * weekly_);
  return base_ * g * w * (1.0 + std::abs(daily_));
}

// ---- sources -----------------------------------------------------------------------------------

StreamSource::StreamSource(const RequestStreamSpec& s, const Calendar& cal,
                           std::shared_ptr<const TraceData> trace, std::uint64_t seed)
    : StreamSource(s, std::move(trace), RateShape(s, cal), s.time_scale, seed, "serving." + s.name) {}

StreamSource StreamSource::stationary(const RequestStreamSpec& s, std::shared_ptr<const TraceData> trace,
                                      double rate_per_s, std::uint64_t seed, const std::string& rng_name) {
  if (!(rate_per_s > 0)) {  // an empty stream (keeps stream indices aligned)
    RequestStreamSpec none = s;
    none.arrivals = "poisson";
    return StreamSource(none, trace, RateShape::constant(0), 1.0, seed, rng_name);
  }
  double scale = s.time_scale;
  if (s.arrivals == "trace" && trace) {
    // copies replays of n records per period·scale: rate = copies·n/(period·scale)
    const double n = static_cast<double>(trace->t_s.size());
    scale = s.copies * n / (trace->period_s * std::max(rate_per_s, 1e-300));
  }
  RequestStreamSpec st = s;
  st.repeat = true;
  st.start_s = 0;
  st.end_s = 0;
  return StreamSource(st, std::move(trace), RateShape::constant(rate_per_s), scale, seed, rng_name);
}

StreamSource::StreamSource(const RequestStreamSpec& s, std::shared_ptr<const TraceData> trace,
                           RateShape shape, double time_scale, std::uint64_t seed, const std::string& rng_name)
    : trace_mode_(s.arrivals == "trace"),
      shape_(std::move(shape)),
      tokens_(s, trace),
      arrivals_rng_(seed, rng_name + ".arrivals"),
      tokens_rng_(seed, rng_name + ".tokens"),
      trace_(std::move(trace)),
      scale_(time_scale),
      repeat_(s.repeat),
      start_(s.start_s),
      end_(s.end_s > 0 ? s.end_s : kInf) {
  if (trace_mode_) {
    if (!trace_) throw InvariantError("serving: trace stream '" + s.name + "' without its trace");
    period_ = trace_->period_s * scale_;
    RngStream off(seed, rng_name + ".offsets");
    copies_.resize(static_cast<std::size_t>(std::max(1, s.copies)));
    for (std::size_t i = 0; i < copies_.size(); ++i) {
      Copy& c = copies_[i];
      c.offset = start_ + (i == 0 ? 0.0 : off.uniform() * period_);
      c.time = c.offset + (trace_->t_s[0] - trace_->t_s[0]) * scale_;
      heap_.push({c.time, i});
    }
  } else {
    cand_t_ = 0;
    epoch_end_ = 0;
  }
  advance();
}

void StreamSource::advance() {
  if (trace_mode_) {
    advance_trace();  // a record brings its own tokens
    return;
  }
  advance_poisson();
  if (std::isfinite(next_.t_s)) tokens_.draw(tokens_rng_, next_.prompt, next_.output);
}

void StreamSource::advance_poisson() {
  while (true) {
    if (cand_t_ >= epoch_end_) {
      epoch_end_ = (std::floor(cand_t_ / kDay) + 1) * kDay;
      bound_ = shape_.bound(cand_t_, epoch_end_);
    }
    if (!(bound_ > 0)) {  // nothing arrives in this epoch
      if (shape_.bound(cand_t_, cand_t_ + 100 * kYear365) <= 0) {
        next_.t_s = kInf;
        return;
      }
      cand_t_ = epoch_end_;
      continue;
    }
    const Seconds t = cand_t_ + arrivals_rng_.exponential(bound_);
    if (t >= epoch_end_) {  // memoryless: restart at the epoch boundary with its bound
      cand_t_ = epoch_end_;
      continue;
    }
    cand_t_ = t;
    if (arrivals_rng_.uniform() * bound_ < shape_.rate(t)) {
      next_.t_s = t;
      return;
    }
  }
}

void StreamSource::advance_trace() {
  if (heap_.empty()) {
    next_.t_s = kInf;
    return;
  }
  const auto [t, i] = heap_.top();
  heap_.pop();
  if (t >= end_) {  // past the window: nothing more
    next_.t_s = kInf;
    while (!heap_.empty()) heap_.pop();
    return;
  }
  Copy& c = copies_[i];
  next_.t_s = t;
  next_.prompt = trace_->prompt[c.index];
  next_.output = trace_->output[c.index];
  // the copy's following record
  ++c.index;
  if (c.index >= trace_->t_s.size()) {
    if (!repeat_) return;
    c.index = 0;
    ++c.loop;
  }
  c.time = c.offset + static_cast<double>(c.loop) * period_ + (trace_->t_s[c.index] - trace_->t_s[0]) * scale_;
  heap_.push({c.time, i});
}

Arrival StreamSource::pop() {
  const Arrival a = next_;
  advance();
  return a;
}

double StreamSource::trace_count_before(std::size_t copy, Seconds t) const {
  t = std::min(t, end_);
  const Copy& c = copies_[copy];
  const double tau = t - c.offset;
  if (tau <= 0) return 0;
  const std::vector<Seconds>& ts = trace_->t_s;
  const double n = static_cast<double>(ts.size());
  auto within = [&](double x) {  // records with (t_i − t_0)·scale < x, x in [0, period)
    const double key = ts[0] + x / scale_;
    return static_cast<double>(std::lower_bound(ts.begin(), ts.end(), key) - ts.begin());
  };
  if (!repeat_) return within(tau);
  const double loops = std::floor(tau / period_);
  return loops * n + within(tau - loops * period_);
}

double StreamSource::expected_count(Seconds t0, Seconds t1) const {
  if (!(t1 > t0)) return 0;
  if (!trace_mode_) return shape_.integral(t0, t1);
  double n = 0;
  for (std::size_t i = 0; i < copies_.size(); ++i) n += trace_count_before(i, t1) - trace_count_before(i, t0);
  return n;
}

double StreamSource::mean_rate(Seconds span_s) const {
  const Seconds s = span_s > 0 ? span_s : kDay;
  return expected_count(0, s) / s;
}

}  // namespace dcsim::serving
