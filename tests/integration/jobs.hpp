#pragma once
// Hand-made jobs for the integration tests: a profile whose numbers the tests' hand
// calculations use (shares of the step, power signature, host load).
#include "model/job.hpp"

namespace dcsim::testing {

struct TestProfile {
  double compute_share = 0.8, memory_share = 0.15, io_share = 0.05;
  double intensity = 0.6, utilisation = 0.95, host_load = 0.3, mfu = 0.4;
};

// The whole step is one SimGrid execution at f_max (no memory or I/O share).
inline constexpr TestProfile kComputeBound{1.0, 0.0, 0.0, 0.8, 1.0, 0.3, 0.4};

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

}  // namespace dcsim::testing
