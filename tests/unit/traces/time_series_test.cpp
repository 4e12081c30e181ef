// TimeSeries and SeriesCursor: interpolation laws, exact interval means, change points.
#include "traces/time_series.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "core/error.hpp"
#include "core/rng.hpp"

using namespace dcsim;
using namespace dcsim::traces;
using Approx = Catch::Detail::Approx;

// Counts heap allocations in this test binary, to check the hot path allocates nothing.
// AddressSanitizer replaces operator new itself, so the count is only kept in normal builds.
#ifndef __SANITIZE_ADDRESS__
#define DCSIM_COUNT_ALLOCATIONS 1
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

namespace {
// Points (0, 10), (10, 20), (20, 40).
TimeSeries three_points(Interp law) {
  return TimeSeries({0, 10, 20}, {10, 20, 40}, law);
}
}  // namespace

TEST_CASE("a step series holds each value until the next point and holds its ends outside") {
  const auto s = three_points(Interp::step);
  CHECK(s.value_at(0) == 10);
  CHECK(s.value_at(9.999) == 10);
  CHECK(s.value_at(10) == 20);
  CHECK(s.value_at(15) == 20);
  CHECK(s.value_at(-100) == 10);
  CHECK(s.value_at(1e9) == 40);
}

TEST_CASE("a linear series interpolates between points and holds its ends outside") {
  const auto s = three_points(Interp::linear);
  CHECK(s.value_at(5) == Approx(15));
  CHECK(s.value_at(15) == Approx(30));
  CHECK(s.value_at(20) == 40);
  CHECK(s.value_at(-5) == 10);
  CHECK(s.value_at(25) == 40);
}

TEST_CASE("mean_over is exact for the step law (hand calculation)") {
  const auto s = three_points(Interp::step);
  // [5, 15): 5 s at 10 and 5 s at 20 → 15
  CHECK(s.mean_over(5, 15) == Approx(15).epsilon(1e-12));
  // [15, 25): 5 s at 20, 5 s at 40 → 30
  CHECK(s.mean_over(15, 25) == Approx(30).epsilon(1e-12));
  // before the first point the series holds 10; after the last it holds 40
  CHECK(s.mean_over(-10, 0) == Approx(10).epsilon(1e-12));
  CHECK(s.mean_over(-10, 10) == Approx(10).epsilon(1e-12));
  CHECK(s.mean_over(20, 30) == Approx(40).epsilon(1e-12));
  // integral [0, 30): 10·10 + 20·10 + 40·10 = 700
  CHECK(s.integral(0, 30) == Approx(700).epsilon(1e-12));
  CHECK(s.integral(30, 0) == Approx(-700).epsilon(1e-12));
  // a zero-length window is the value there
  CHECK(s.mean_over(12, 12) == 20);
}

TEST_CASE("mean_over is exact for the linear law (hand calculation)") {
  const auto s = TimeSeries({0, 10, 20}, {0, 10, 30}, Interp::linear);
  // ∫_5^10 t dt = (100 − 25)/2 = 37.5; ∫_10^15 (10 + 2(t − 10)) dt = 50 + 25 = 75 → mean 112.5/10
  CHECK(s.mean_over(5, 15) == Approx(11.25).epsilon(1e-12));
  // whole span: trapezoids 50 + 200 = 250 over 20 s
  CHECK(s.mean_over(0, 20) == Approx(12.5).epsilon(1e-12));
  // half outside: [−10, 0) holds 0, [0, 10) averages 5 → 2.5
  CHECK(s.mean_over(-10, 10) == Approx(2.5).epsilon(1e-12));
}

TEST_CASE("next_change_after skips points that do not change the value") {
  // Solar-like: zero all night, one change at sunrise and one at sunset.
  const TimeSeries s({0, 1, 2, 3, 4, 5, 6}, {0, 0, 0, 5, 5, 0, 0}, Interp::step);
  CHECK(s.next_change_after(-1) == 3);
  CHECK(s.next_change_after(0) == 3);
  CHECK(s.next_change_after(2.5) == 3);
  CHECK(s.next_change_after(3) == 5);
  CHECK(s.next_change_after(5) == kNever);
}

TEST_CASE("for the linear law next_change_after is the next slope change") {
  // Slopes: 0 on [0,1], 1 on [1,2], 1 on [2,3], −3 on [3,4]; held flat after 4.
  const TimeSeries s({0, 1, 2, 3, 4}, {0, 0, 1, 2, -1}, Interp::linear);
  CHECK(s.next_change_after(-1) == 1);  // flat hold before 0, flat to 1: first change at 1
  CHECK(s.next_change_after(1) == 3);   // the slope stays 1 through point 2
  CHECK(s.next_change_after(3) == 4);   // back to flat after the last point
  CHECK(s.next_change_after(4) == kNever);
}

TEST_CASE("a cursor gives the same answers as random access in any query order") {
  RngStream rng(7, "cursor-test");
  std::vector<double> t, v;
  double x = 0;
  for (int i = 0; i < 2000; ++i) {
    x += rng.uniform(1, 100);
    t.push_back(x);
    v.push_back(static_cast<double>(rng.uniform_int(0, 3)));  // many repeated values
  }
  for (Interp law : {Interp::step, Interp::linear}) {
    const TimeSeries s(t, v, law);
    SeriesCursor c(s);
    // Monotone sweep, then random jumps back and forth.
    for (double q = -50; q < x + 50; q += 7.3) {
      REQUIRE(c.value_at(q) == s.value_at(q));
      REQUIRE(c.next_change_after(q) == s.next_change_after(q));
      REQUIRE(c.mean_over(q, q + 3600) == Approx(s.mean_over(q, q + 3600)).epsilon(1e-12));
    }
    for (int k = 0; k < 2000; ++k) {
      const double q = rng.uniform(-100, x + 100);
      REQUIRE(c.value_at(q) == s.value_at(q));
      REQUIRE(c.next_change_after(q) == s.next_change_after(q));
    }
  }
}

TEST_CASE("cursor and random-access queries allocate nothing") {
  std::vector<double> t(8760), v(8760);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = 3600.0 * static_cast<double>(i);
    v[i] = static_cast<double>(i % 24);
  }
  const TimeSeries s(t, v);
  SeriesCursor c(s);
#ifndef DCSIM_COUNT_ALLOCATIONS
  WARN("allocation counting is off under AddressSanitizer");
  long g_allocations = 0;
#endif
  const long before = g_allocations;
  double acc = 0;
  for (double q = 0; q < 8760 * 3600.0; q += 900) {
    acc += c.value_at(q) + c.mean_over(q, q + 86400) + s.value_at(q);
    acc += c.next_change_after(q) < kNever ? 1 : 0;
  }
  CHECK(g_allocations == before);
  CHECK(acc > 0);
}

TEST_CASE("invalid series are refused with an InvariantError") {
  SECTION("times not increasing") {
    CHECK_THROWS_AS(TimeSeries({0, 0}, {1, 2}), InvariantError);
  }
  SECTION("sizes differ") {
    CHECK_THROWS_AS(TimeSeries({0, 1}, {1}), InvariantError);
  }
  SECTION("NaN value") {
    CHECK_THROWS_AS(TimeSeries({0, 1}, {1, std::nan("")}), InvariantError);
  }
  SECTION("query on an empty series") {
    CHECK_THROWS_AS(TimeSeries().value_at(0), InvariantError);
  }
}

TEST_CASE("stats can leave filled points out") {
  const TimeSeries s({0, 1, 2}, {1, 100, 3}, Interp::step,
                     {kPointOriginal, kPointFilledEmpty, kPointOriginal});
  CHECK(s.count_flagged(kPointFilledEmpty) == 1);
  const auto all = s.stats(true), orig = s.stats(false);
  CHECK(all.max == 100);
  CHECK(orig.count == 2);
  CHECK(orig.mean == Approx(2));
  CHECK(orig.max == 3);
}
