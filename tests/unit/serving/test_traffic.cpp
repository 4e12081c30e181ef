#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "serving/histogram.hpp"
#include "serving/traffic.hpp"
#include "unit/serving/helpers.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {
const std::string kConv = std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/gpu_traces/azure_llm_inference_2023_conv.csv";
const Calendar kCal(CivilTime{2024, 1, 1, 0, 0, 0});  // a Monday

double count(StreamSource& s, Seconds t0, Seconds t1) {
  double n = 0;
  while (s.next_time() < t1) {
    const Arrival a = s.pop();
    if (a.t_s >= t0) n += 1;
  }
  return n;
}
}  // namespace

TEST_CASE("a Poisson stream's arrivals follow its rate: the count over a day matches the "
          "integral, the daily cycle peaks at peak_hour_utc",
          "[serving][traffic]") {
  RequestStreamSpec s = test::poisson("s", "d", 2.0, 100, 50);
  s.daily_cycle = 0.5;
  s.peak_hour_utc = 14;
  StreamSource src(s, kCal, nullptr, 11);
  const double expect = src.expected_count(0, kDay);
  CHECK(expect == Approx(2.0 * kDay));  // the cosine integrates to 0 over a day
  StreamSource a(s, kCal, nullptr, 11);
  const double peak = count(a, 13.5 * 3600, 14.5 * 3600);
  StreamSource b(s, kCal, nullptr, 11);
  const double trough = count(b, 1.5 * 3600, 2.5 * 3600);
  // expected per hour: 2·3600·(1 ± 0.5·~1) = ~10,800 and ~3,600; 4 σ bounds
  const double ep = src.expected_count(13.5 * 3600, 14.5 * 3600), et = src.expected_count(1.5 * 3600, 2.5 * 3600);
  CHECK(ep == Approx(7200 * (1 + 0.5 * std::sin(M_PI / 24) / (M_PI / 24))));
  CHECK(std::abs(peak - ep) < 4 * std::sqrt(ep));
  CHECK(std::abs(trough - et) < 4 * std::sqrt(et));
  StreamSource c(s, kCal, nullptr, 11);
  const double day = count(c, 0, kDay);
  CHECK(std::abs(day - expect) < 4 * std::sqrt(expect));
  SECTION("the same seed gives the same arrivals, another seed others") {
    StreamSource x(s, kCal, nullptr, 11), y(s, kCal, nullptr, 11), z(s, kCal, nullptr, 12);
    for (int i = 0; i < 100; ++i) {
      const Arrival ax = x.pop(), ay = y.pop();
      CHECK(ax.t_s == ay.t_s);
      CHECK(ax.prompt == ay.prompt);
    }
    CHECK(z.pop().t_s != StreamSource(s, kCal, nullptr, 11).pop().t_s);
  }
}

TEST_CASE("weekly cycle and growth: weekends run at 1 − 2.5·w, the rate grows by the yearly "
          "factor, a window limits the stream",
          "[serving][traffic]") {
  RequestStreamSpec s = test::poisson("s", "d", 1.0, 100, 50);
  s.weekly_cycle = 0.2;
  s.growth_per_year = 2.0;
  const RateShape r(s, kCal);
  CHECK(r.rate(3600) == Approx(1.2 * std::pow(2.0, 3600 / kYear365)));  // Monday
  CHECK(r.rate(5 * kDay + 3600) == Approx(0.5 * std::pow(2.0, (5 * kDay + 3600) / kYear365)));  // Saturday
  CHECK(r.integral(0, 7 * kDay) == Approx(7 * kDay).epsilon(0.01));  // weekly mean 1 (growth small)
  CHECK(r.rate(kYear365) / r.rate(0) == Approx(2.0 * (1 + 0.2) / (1 + 0.2)).epsilon(0.01));
  RequestStreamSpec w = test::poisson("w", "d", 3.0, 100, 50);
  w.start_s = 100;
  w.end_s = 200;
  StreamSource src(w, kCal, nullptr, 5);
  CHECK(src.expected_count(0, 1000) == Approx(300));
  CHECK(src.next_time() >= 100);
  double n = 0;
  while (std::isfinite(src.next_time())) {
    CHECK(src.pop().t_s < 200);
    n += 1;
  }
  CHECK(std::abs(n - 300) < 4 * std::sqrt(300.0));
}

TEST_CASE("token distributions: fixed, uniform and lognormal with its mean and cv, clamped",
          "[serving][traffic]") {
  RequestStreamSpec s = test::poisson("s", "d", 1.0, 400, 100);
  s.prompt_tokens.cv = 2.0;
  s.prompt_tokens.max = 1e6;
  s.output_tokens.distribution = "uniform";
  s.output_tokens.min = 10;
  s.output_tokens.max = 20;
  const TokenSampler t(s, nullptr);
  RngStream rng(1, "x");
  double sum = 0, sum2 = 0;
  int lo = 100, hi = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    int p = 0, o = 0;
    t.draw(rng, p, o);
    sum += p;
    sum2 += double(p) * p;
    lo = std::min(lo, o);
    hi = std::max(hi, o);
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(mean == Approx(400).epsilon(0.03));
  CHECK(sd / mean == Approx(2.0).epsilon(0.15));
  CHECK(lo == 10);
  CHECK(hi == 20);
  s.prompt_tokens.distribution = "fixed";
  int p = 0, o = 0;
  TokenSampler(s, nullptr).draw(rng, p, o);
  CHECK(p == 400);
}

TEST_CASE("an Azure trace is replayed with its own times and tokens, looped with its period "
          "and superposed in shifted copies",
          "[serving][traffic][trace]") {
  auto tr = load_azure_trace(kConv);
  REQUIRE(tr->t_s.size() == 19366);
  CHECK(tr->span_s == Approx(3501.7).epsilon(0.001));  // 18:15:46.68 → 19:14:08.40
  RequestStreamSpec s;
  s.name = "conv";
  s.arrivals = "trace";
  s.file = kConv;
  StreamSource src(s, kCal, tr, 1);
  Arrival first = src.pop();
  CHECK(first.t_s == 0);
  CHECK(first.prompt == 374);
  CHECK(first.output == 44);
  CHECK(src.expected_count(0, tr->period_s) == Approx(19366));
  CHECK(src.expected_count(0, 3 * tr->period_s) == Approx(3 * 19366));
  StreamSource loop(s, kCal, tr, 1);
  CHECK(count(loop, 0, 2 * tr->period_s) == 2 * 19366);
  SECTION("copies multiply the rate; time_scale compresses it") {
    s.copies = 3;
    s.time_scale = 0.5;
    StreamSource c(s, kCal, tr, 1);
    const Seconds p = 0.5 * tr->period_s;  // every copy has started after one period
    CHECK(c.expected_count(p, 10 * p) == Approx(3 * 9 * 19366));
    CHECK(count(c, p, 10 * p) == 3 * 9 * 19366);
  }
  SECTION("without repeat the replay ends") {
    s.repeat = false;
    StreamSource once(s, kCal, tr, 1);
    CHECK(count(once, 0, 10 * tr->period_s) == 19366);
  }
  SECTION("a Poisson stream may draw its tokens from the trace (joint pairs)") {
    RequestStreamSpec p = test::poisson("p", "d", 1.0, 1, 1);
    p.file = kConv;
    const TokenSampler t(p, tr);
    RngStream rng(3, "t");
    double sp = 0;
    for (int i = 0; i < 100000; ++i) {
      int a = 0, b = 0;
      t.draw(rng, a, b);
      sp += a;
    }
    CHECK(sp / 100000 == Approx(tr->mean_prompt).epsilon(0.03));
  }
}

TEST_CASE("a malformed trace is an error naming the file and line", "[serving][traffic][trace]") {
  const std::string f = "/tmp/dcsim_serving_bad_trace.csv";
  std::ofstream(f) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47,abc,3\n";
  try {
    load_azure_trace(f);
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string m = e.diagnostics().at(0).to_string();
    CHECK(m.find(f + ":3") != std::string::npos);
    CHECK(m.find("ContextTokens") != std::string::npos);
  }
  std::ofstream(f) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:40,3,3\n";
  CHECK_THROWS_AS(load_azure_trace(f), InputError);
  std::ofstream(f) << "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  CHECK_THROWS_AS(load_azure_trace(f), InputError);
}

TEST_CASE("latency histogram quantiles are within 1 % and merge exactly", "[serving][histogram]") {
  LatencyHistogram h, a, b;
  for (int i = 1; i <= 10000; ++i) {
    const double x = 0.001 * i;  // 1 ms … 10 s
    h.add(x);
    (i % 2 ? a : b).add(x);
  }
  CHECK(h.quantile(0.5) == Approx(5.0).epsilon(0.01));
  CHECK(h.quantile(0.99) == Approx(9.9).epsilon(0.01));
  a.merge(b);
  CHECK(a.count() == h.count());
  CHECK(a.quantile(0.99) == Approx(h.quantile(0.99)));
  CHECK(h.mean() == Approx(5.0005));
  LatencyHistogram s;
  s.merge_shifted(h, 1.0, 100.0);
  CHECK(s.quantile(0.5) == Approx(105.0).epsilon(0.01));
  CHECK(h.weight_at_most(2.0) == Approx(2000).epsilon(0.01));
  CHECK(LatencyHistogram().quantile(0.5) == 0);
}
