// Optimisation techniques as job transforms: effect sizes against the seed's figures and the
// hand-calculated formulas of optimisation.hpp.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "fixtures/workload/catalogue.hpp"
#include "workload/estimate.hpp"
#include "workload/optimisation.hpp"

using namespace dcsim;

namespace {
Job job_of(const Catalogue& c, const std::string& profile, int gpus, Seconds duration_s) {
  Job j;
  j.request.gpus = gpus;
  j.request.profile = profile;
  j.profile = make_profile(c.by_name(profile), c.reference, gpus, duration_s);
  return j;
}
// Time of the compute part at f_max (run time × compute share).
double compute_time_s(const Job& j, const ReferencePlatform& ref) {
  return reference_runtime_s(j.profile, j.request.gpus, ref) * j.profile.compute_share;
}
}  // namespace

TEST_CASE("pruning removes 40 % of compute work and memory traffic") {
  const Catalogue c = test::round_catalogue();
  Job j = job_of(c, "compute", 1, 3600);  // shares .8 / .1 / .1
  const double w0 = j.profile.work_flops;
  const auto eff = apply_optimisation(j, "pruning", c);
  // r = 0.9 · 0.6 + 0.1 = 0.64
  CHECK(eff.runtime_ratio == Approx(0.64));
  CHECK(j.profile.work_flops == Approx(0.6 * w0));
  CHECK(reference_runtime_s(j.profile, 1, c.reference) == Approx(0.64 * 3600));
  CHECK(j.profile.compute_share == Approx(0.48 / 0.64));
  CHECK(j.profile.io_share == Approx(0.1 / 0.64));
  CHECK(j.profile.compute_share + j.profile.memory_share + j.profile.io_share == Approx(1.0));
  CHECK(eff.energy_ratio == Approx(0.64));  // power unchanged
  CHECK(j.profile.optimisation == "pruning");
  CHECK(j.profile.quality_cost == Approx(0.5));
}

TEST_CASE("lightweight models cut compute time by 40-60 % and energy by 30-50 % (seed)") {
  const Catalogue c = test::round_catalogue();
  Job j = job_of(c, "compute", 4, 7200);
  const double t0 = compute_time_s(j, c.reference);
  const auto eff = apply_optimisation(j, "lightweight", c);
  const double cut = 1.0 - compute_time_s(j, c.reference) / t0;
  CHECK(cut == Approx(0.5));
  CHECK(cut >= 0.40);
  CHECK(cut <= 0.60);
  CHECK(1.0 - eff.energy_ratio >= 0.30);
  CHECK(1.0 - eff.energy_ratio <= 0.50);
  CHECK(j.profile.quality_cost == Approx(2.5));
}

TEST_CASE("quantisation and hardware-aware training save 30-50 % of a compute-bound job's energy") {
  const Catalogue c = test::round_catalogue();
  for (const char* t : {"quantisation", "hardware_aware", "pruning"}) {
    Job j = job_of(c, "compute", 1, 3600);
    const auto eff = apply_optimisation(j, t, c);
    INFO(t);
    CHECK(1.0 - eff.energy_ratio >= 0.30);
    CHECK(1.0 - eff.energy_ratio <= 0.50);
  }
  // quantisation: r = 0.9 · 0.5 / 0.8 + 0.1 = 0.6625
  Job q = job_of(c, "compute", 1, 3600);
  CHECK(apply_optimisation(q, "quantisation", c).runtime_ratio == Approx(0.6625));
}

TEST_CASE("adaptive batch sizing raises efficiency without removing work") {
  const Catalogue c = test::round_catalogue();
  Job j = job_of(c, "memory", 2, 3600);  // shares .2 / .7 / .1
  const double w0 = j.profile.work_flops;
  const auto eff = apply_optimisation(j, "adaptive_batch", c);
  CHECK(j.profile.work_flops == Approx(w0));
  CHECK(eff.runtime_ratio == Approx(0.9 / 1.15 + 0.1));
  CHECK(j.profile.quality_cost == Approx(0.0));
}

TEST_CASE("memory-bound jobs gain less from compute-only techniques") {
  const Catalogue c = test::round_catalogue();
  OptimisationSpec compute_only{"compute_only", 0.5, 1.0, 1.0, 1.0, 1.0, 0.0, false, ""};
  Job cb = job_of(c, "compute", 1, 3600);
  Job mb = job_of(c, "memory", 2, 3600);
  const double rc = apply_optimisation(cb, compute_only, 0, c.reference).runtime_ratio;
  const double rm = apply_optimisation(mb, compute_only, 0, c.reference).runtime_ratio;
  CHECK(rc == Approx(0.6));  // .8·.5 + .1 + .1
  CHECK(rm == Approx(0.9));  // .2·.5 + .7 + .1
}

TEST_CASE("the class default removes exactly the class's optimisation potential") {
  const Catalogue c = test::round_catalogue();
  Job cv = job_of(c, "compute", 4, 7200);   // potential 0.40
  Job nlp = job_of(c, "memory", 2, 3600);   // potential 0.35
  CHECK(1.0 - apply_optimisation(cv, "class_default", c).energy_ratio == Approx(0.40));
  CHECK(1.0 - apply_optimisation(nlp, "class_default", c).energy_ratio == Approx(0.35));
}

TEST_CASE("techniques stack: effects multiply, names and quality costs accumulate") {
  const Catalogue c = test::round_catalogue();
  Job j = job_of(c, "compute", 1, 3600);
  const double e0 = reference_energy_j(j, c.reference);
  const double r1 = apply_optimisation(j, "pruning", c).energy_ratio;
  const double r2 = apply_optimisation(j, "quantisation", c).energy_ratio;
  CHECK(reference_energy_j(j, c.reference) == Approx(e0 * r1 * r2));
  CHECK(j.profile.optimisation == "pruning,quantisation");
  CHECK(j.profile.quality_cost == Approx(0.8));
}

TEST_CASE("an unknown technique is an input error naming it") {
  const Catalogue c = test::round_catalogue();
  Job j = job_of(c, "compute", 1, 3600);
  CHECK_THROWS_AS(apply_optimisation(j, "magic", c), InputError);
  try {
    apply_optimisation(j, "magic", c);
  } catch (const InputError& e) {
    CHECK(e.diagnostics().at(0).message.find("\"magic\"") != std::string::npos);
  }
}
