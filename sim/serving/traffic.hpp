#pragma once
// Request traffic: Poisson streams with daily and weekly cycles and growth over the years, and
// replays of the Azure LLM inference traces (Patel et al., Splitwise, ISCA 2024; the files in
// scenarios/data/gpu_traces), each with its prompt and output token counts.
//
//   Poisson: rate(t) = λ0 · g^(t/365 d) · (1 + a·cos(2π(h(t) − h_peak)/24)) · weekly(t)
//            inside the stream's window [start, end), 0 outside
//            weekly(t) = 1 + w on weekdays, 1 − 2.5·w on weekends (mean 1 over a week), the
//            shapes of the workload generator (sim/workload/generator.cpp). Arrivals by
//            thinning (Lewis & Shedler 1979) against a bound recomputed every simulated day,
//            so the arrivals do not depend on the engine's step.
//   Trace:   the records' times (relative to the first, × time_scale, + start) are replayed
//            until end; repeat
//            loops them with period = span + one mean gap; `copies` superposes that many
//            replays, copy i shifted by a seeded offset in [0, period) (copy 0 unshifted).
//   Tokens:  fixed | uniform [min, max] | lognormal(mean, cv) (σ² = ln(1 + cv²),
//            μ = ln(mean) − σ²/2), rounded and clamped into [min, max]; or (prompt, output)
//            pairs drawn uniformly from a trace file (joint empirical distribution).
// Streams are named RNG streams "serving.<stream>.arrivals|tokens|offsets" (core/rng.hpp).
#include <cstdint>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/calendar.hpp"
#include "core/rng.hpp"
#include "core/units.hpp"
#include "model/serving_spec.hpp"

namespace dcsim::serving {

struct Arrival {
  Seconds t_s = 0;
  int prompt = 1;
  int output = 1;
};

// The records of an azure-llm trace, times relative to the first record (unscaled).
struct TraceData {
  std::string file;
  std::vector<Seconds> t_s;     // non-decreasing
  std::vector<int> prompt;
  std::vector<int> output;
  Seconds span_s = 0;           // last − first
  Seconds period_s = 0;         // span + mean gap: the loop period of a repeated replay
  double mean_prompt = 0, mean_output = 0;
};
// Reads a trace through the workload importer's parser (AzureLlmReader). Records are sorted
// by time; a token count of 0 becomes 1 (a request has at least one prompt and one output
// token). Throws InputError (file:line) for malformed lines, an empty trace or times out of order.
std::shared_ptr<const TraceData> load_azure_trace(const std::string& file);

class TokenSampler {
 public:
  TokenSampler(const RequestStreamSpec& s, std::shared_ptr<const TraceData> pairs);
  void draw(RngStream& rng, int& prompt, int& output) const;

 private:
  struct Dist {
    int kind = 0;  // 0 fixed, 1 uniform, 2 lognormal
    double a = 0, b = 0, lo = 1, hi = 1e6;
    int draw(RngStream& rng) const;
  };
  Dist prompt_, output_;
  std::shared_ptr<const TraceData> pairs_;
};

// The Poisson rate of a stream over time.
class RateShape {
 public:
  RateShape(const RequestStreamSpec& s, const Calendar& cal);
  // A constant rate (the aggregated fidelity's stationary samples).
  static RateShape constant(double rate_per_s);
  double rate(Seconds t) const;
  // ∫_{t0}^{t1} rate dt: exact for the cycles (split at UTC midnights), growth at each piece's
  // midpoint.
  double integral(Seconds t0, Seconds t1) const;
  // An upper bound of the rate over [t0, t1].
  double bound(Seconds t0, Seconds t1) const;

 private:
  RateShape() = default;
  double weekly(Seconds t) const;
  double growth(Seconds t) const;
  Calendar cal_;
  double base_ = 0, daily_ = 0, weekly_ = 0, peak_h_ = 14, growth_ = 1;
  Seconds start_ = 0, end_ = std::numeric_limits<double>::infinity();
};

// One stream's arrivals in time order.
class StreamSource {
 public:
  // The stream as the scenario gives it (trace must be loaded for file-based streams).
  StreamSource(const RequestStreamSpec& s, const Calendar& cal, std::shared_ptr<const TraceData> trace,
               std::uint64_t seed);
  // A stationary version at a total rate (aggregated fidelity samples): Poisson at that rate,
  // or the trace replayed (repeat, same copies) with its times compressed to that rate.
  static StreamSource stationary(const RequestStreamSpec& s, std::shared_ptr<const TraceData> trace,
                                 double rate_per_s, std::uint64_t seed, const std::string& rng_name);

  Seconds next_time() const { return next_.t_s; }
  Arrival pop();
  // Expected arrivals in [t0, t1) (exact count for traces).
  double expected_count(Seconds t0, Seconds t1) const;
  // The long-run mean rate over [0, span) (for mixing streams in the aggregated samples).
  double mean_rate(Seconds span_s) const;

 private:
  StreamSource(const RequestStreamSpec& s, std::shared_ptr<const TraceData> trace,
               RateShape shape, double time_scale, std::uint64_t seed, const std::string& rng_name);
  void advance();
  void advance_poisson();
  void advance_trace();
  double trace_count_before(std::size_t copy, Seconds t) const;

  bool trace_mode_ = false;
  RateShape shape_;
  TokenSampler tokens_;
  RngStream arrivals_rng_, tokens_rng_;
  std::shared_ptr<const TraceData> trace_;
  // Poisson thinning state
  Seconds cand_t_ = 0, epoch_end_ = 0;
  double bound_ = 0;
  // Trace replay state
  double scale_ = 1;    // time multiplier of the records
  Seconds period_ = 0;  // scaled loop period
  bool repeat_ = true;
  Seconds start_ = 0, end_ = std::numeric_limits<double>::infinity();
  struct Copy {
    Seconds offset = 0;
    std::int64_t loop = 0;
    std::size_t index = 0;
    Seconds time = 0;
  };
  std::vector<Copy> copies_;
  using HeapItem = std::pair<Seconds, std::size_t>;
  std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap_;
  Arrival next_;
};

}  // namespace dcsim::serving
