#pragma once
// Shared by the integration tests: hand-made jobs (a profile whose numbers the tests' hand
// calculations use: shares of the step, power signature, host load) and reading a run's series.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "model/job.hpp"
#include "output/recorder.hpp"

namespace dcsim::testing {

struct TestProfile {
  double compute_share = 0.8, memory_share = 0.15, io_share = 0.05;
  double intensity = 0.6, utilisation = 0.95, host_load = 0.3, mfu = 0.4;
};

// The whole step is one SimGrid execution at f_max (no memory or I/O share). Intensity 0.6 keeps
// it under the H200's 700 W power limit at the fastest p-state (130 + 0.6·(1035.7 − 130) = 673 W),
// so hand calculations at f_max hold.
inline constexpr TestProfile kComputeBound{1.0, 0.0, 0.0, 0.6, 1.0, 0.3, 0.4};

inline Job test_job(JobId id, Seconds submit, int gpus, Flops work, const TestProfile& p = {}) {
  Job j;
  j.request.id = id;
  j.request.submit_s = submit;
  j.request.gpus = gpus;
  j.request.profile = "test";
  j.profile.name = "test";
  j.profile.work_flops = work;
  j.profile.mfu = p.mfu;
  j.profile.compute_share = p.compute_share;
  j.profile.memory_share = p.memory_share;
  j.profile.io_share = p.io_share;
  j.profile.intensity = p.intensity;
  j.profile.utilisation = p.utilisation;
  j.profile.host_load = p.host_load;
  return j;
}

// The column of a site series in the recorder (the test fails if the run has no such series).
inline std::size_t column(const MemoryRecorder& rec, const std::string& name) {
  const std::size_t c = rec.column(name);
  REQUIRE(c != static_cast<std::size_t>(-1));
  return c;
}

// ∫ series dt over the run: every sample covers `dt`, the last one only up to `end`.
inline double sum_series(const MemoryRecorder& rec, const std::string& name, Seconds dt, Seconds end) {
  const std::size_t c = column(rec, name);
  double e = 0;
  for (std::size_t i = 0; i < rec.rows.size(); ++i) e += rec.rows[i][c] * std::min(dt, end - rec.times[i]);
  return e;
}

}  // namespace dcsim::testing
