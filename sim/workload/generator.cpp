#include "workload/generator.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "core/text.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/suggest.hpp"
#include "workload/estimate.hpp"
#include "workload/importers.hpp"
#include "workload/job_graph.hpp"
#include "workload/optimisation.hpp"

namespace dcsim {

namespace {

constexpr double kTwoPi = 6.283185307179586;

Diagnostic diag(const std::string& key, const std::string& msg) {
  return Diagnostic{"", 0, 0, key, msg};
}

std::string num(double v) { return text::format_g(v); }

// The mix of profiles in force in a year.
const std::map<std::string, double>& mix_for_year(const WorkloadSpec& spec, const Catalogue& cat,
                                                   int year) {
  const std::map<std::string, double>* m = nullptr;
  for (const auto& [y, mix] : spec.mix_by_year) {
    if (y <= year) m = &mix;
  }
  if (m) return *m;
  if (!spec.mix.empty()) return spec.mix;
  if (cat.default_mix.empty() && !spec.mix_by_year.empty()) return spec.mix_by_year.begin()->second;
  return cat.default_mix;
}

const std::string& draw_from_mix(const std::map<std::string, double>& mix, RngStream& rng) {
  double total = 0;
  for (const auto& [k, v] : mix) total += v;
  const double u = rng.uniform() * total;
  double c = 0;
  for (const auto& [k, v] : mix) {
    c += v;
    if (u < c) return k;
  }
  return mix.rbegin()->first;
}

class Builder {
 public:
  Builder(const WorkloadSpec& spec, const Calendar& cal, std::uint64_t seed, const Catalogue& cat)
      : spec_(spec), cal_(cal), cat_(cat),
        arrivals_(seed, "workload.arrivals"), mix_(seed, "workload.mix"), size_(seed, "workload.size"),
        structure_(seed, "workload.structure"), sweep_(seed, "workload.sweep"),
        flags_(seed, "workload.flags"), optim_(seed, "workload.optimisation"),
        fixed_(seed, "workload.fixed") {}

  std::vector<Job> jobs;

  Job make_job(const ProfileSpec& p, int gpus, Seconds duration_ref_s, Seconds submit_s,
               JobKind kind) {
    Job j;
    j.request.id = next_id_++;
    j.request.submit_s = submit_s;
    j.request.gpus = gpus;
    j.request.profile = p.name;
    j.request.kind = kind;
    j.profile = make_profile(p, cat_.reference, gpus, duration_ref_s);
    return j;
  }

  // Flags, estimates, optimisations: the parts common to every synthetic job.
  void finish_job(Job& j, const ProfileSpec& p) {
    j.profile.work_flops *= spec_.work_scale;
    j.profile.cpu_runtime_s *= spec_.work_scale;
    const Seconds runtime = reference_runtime_s(j.profile, j.request.gpus, cat_.reference);
    // Users over-estimate run times: the estimate is 1.2–3× the run time on the reference,
    // rounded up to a whole hour (calibration choice after the SWF archive's requested times).
    const double over = flags_.uniform(1.2, 3.0);
    j.request.walltime_estimate_s = std::ceil(runtime * over / kHour) * kHour;
    j.request.deferrable = spec_.deferrable_fraction > 0 && flags_.bernoulli(spec_.deferrable_fraction);
    if (spec_.deadline_slack_s > 0) {
      j.request.deadline_s = j.request.submit_s + spec_.deadline_slack_s + j.request.walltime_estimate_s;
    }
    j.request.preemptible = p.checkpoint_interval_s > 0;
    // Drawn only when asked for, so scenarios without elastic jobs keep their random streams.
    if (spec_.elastic_fraction > 0 && j.request.gpus > 0 && flags_.bernoulli(spec_.elastic_fraction)) {
      const int g = j.request.gpus;
      j.request.elastic = true;
      j.request.min_gpus = std::clamp(static_cast<int>(std::lround(spec_.elastic_min_share * g)), 1, g);
      j.request.max_gpus = std::max(g, static_cast<int>(std::lround(spec_.elastic_max_factor * g)));
    }
    for (const auto& [tech, share] : spec_.optimisations) {
      if (share > 0 && optim_.bernoulli(share)) apply_optimisation(j, tech, cat_);
    }
  }

  void fixed() {
    const ProfileSpec& p = cat_.by_name(spec_.fixed_profile);
    const int g = spec_.gpus_per_job;
    const bool poisson = spec_.arrival_process == ArrivalProcess::poisson && spec_.interarrival_s > 0;
    Seconds t = 0;
    for (int i = 0; i < spec_.jobs; ++i) {
      t = poisson ? t + arrivals_.exponential(1.0 / spec_.interarrival_s) : spec_.interarrival_s * i;
      const Seconds d = sample_duration_s(p, fixed_);
      Job j = make_job(p, g, d, t, p.kind);
      if (spec_.work_flops_per_job > 0) j.profile.work_flops = spec_.work_flops_per_job;
      finish_job(j, p);
      jobs.push_back(std::move(j));
    }
  }

  double daily(Seconds t) const {
    const double h = cal_.hour_of_day(t);
    return 1.0 + spec_.daily_cycle * std::cos(kTwoPi * (h - spec_.peak_hour_utc) / 24.0);
  }
  double weekly(Seconds t) const {
    return cal_.day_of_week(t) < 5 ? 1.0 + spec_.weekly_cycle : 1.0 - 2.5 * spec_.weekly_cycle;
  }
  double burst(Seconds t) const {
    double f = 1.0;
    if (spec_.deadline_bursts.empty()) return f;
    const int y = cal_.year_at(t);
    for (const DeadlineBurst& b : spec_.deadline_bursts) {
      for (int yy = y; yy <= y + 1; ++yy) {
        const Seconds d = cal_.at(CivilTime{yy, b.month, b.day, 0, 0, 0.0});
        if (t >= d - b.window_s && t < d) f = std::max(f, b.factor);
      }
    }
    return f;
  }
  double max_burst() const {
    double f = 1.0;
    for (const DeadlineBurst& b : spec_.deadline_bursts) f = std::max(f, b.factor);
    return f;
  }

  void research_lab(Seconds span_s) {
    if (spec_.jobs_per_year <= 0) return;
    const double lambda0 = spec_.jobs_per_year / kYear365;
    const double growth = spec_.jobs_growth_per_year;
    const double years = span_s / kYear365;
    const double growth_max = growth >= 1.0 ? std::pow(growth, years) : 1.0;
    const double lambda_max = lambda0 * growth_max * (1.0 + std::abs(spec_.daily_cycle)) *
                              (1.0 + std::abs(spec_.weekly_cycle)) * max_burst();
    const double ref_work = cat_.growth.work_at(cat_.growth.reference_year, spec_.model_size_growth_per_year);
    const double ref_params = cat_.growth.params_at(cat_.growth.reference_year, spec_.model_size_growth_per_year);
    Seconds t = 0;
    while (true) {
      t += arrivals_.exponential(lambda_max);
      if (t >= span_s) break;
      const double rate = lambda0 * std::pow(growth, t / kYear365) * daily(t) * weekly(t) * burst(t);
      if (arrivals_.uniform() * lambda_max >= rate) continue;
      const int year = cal_.year_at(t);
      const ProfileSpec& p = cat_.by_name(draw_from_mix(mix_for_year(spec_, cat_, year), mix_));
      int g = std::min(sample_gpus(p, size_), std::max(1, spec_.max_gpus_per_job));
      Seconds d = sample_duration_s(p, size_);
      double params = p.model_params;
      if (spec_.scale_work_with_year && ref_work > 0 && ref_params > 0) {
        const double fy = cal_.fractional_year(t);
        d *= std::pow(cat_.growth.work_at(fy, spec_.model_size_growth_per_year) / ref_work, p.year_elasticity);
        params *= std::pow(cat_.growth.params_at(fy, spec_.model_size_growth_per_year) / ref_params,
                           p.year_elasticity);
      }
      const double u = structure_.uniform();
      if (u < spec_.sweep_fraction) {
        for (int v = 0; v < std::max(1, spec_.sweep_variants); ++v) {
          const Seconds dv = d * std::exp(sweep_.normal(0.0, spec_.sweep_spread));
          add(p, g, dv, t + v, p.kind, params, year, {});
        }
      } else if (u < spec_.sweep_fraction + spec_.chain_fraction) {
        const JobId pre = add(p, g, d, t, JobKind::training, params, year, {});
        const int gf = std::max(1, g / 4);
        const JobId ft = add(p, gf, d * spec_.chain_finetune_work * g / gf, t, JobKind::fine_tuning,
                             params, year, {pre});
        add(p, 1, d * spec_.chain_eval_work * g, t, JobKind::evaluation, params, year, {ft});
      } else {
        add(p, g, d, t, p.kind, params, year, {});
      }
    }
  }

  JobId add(const ProfileSpec& p, int g, Seconds d, Seconds t, JobKind kind, double params, int year,
            std::vector<JobId> deps) {
    Job j = make_job(p, g, d, t, kind);
    j.profile.model_params = params;
    j.profile.model_year = year;
    j.profile.checkpoint_cost_s = checkpoint_cost_s(p, params, g);
    j.request.depends_on = std::move(deps);
    finish_job(j, p);
    const JobId id = j.request.id;
    jobs.push_back(std::move(j));
    return id;
  }

  std::vector<std::string> notes;

  void import(std::uint64_t seed) {
    for (std::size_t i = 0; i < spec_.traces.size(); ++i) {
      ImportResult r = import_trace(spec_.traces[i], cat_, seed ^ (0x9e37ull * (i + 1)));
      const std::string& file = spec_.traces[i].file;
      for (const std::string& n : r.notes) notes.push_back("trace " + file + ": " + n);
      // GPU-less jobs never start (jobs are placed on GPUs): skip them and what depends on them.
      std::unordered_set<JobId> skipped;
      for (const Job& j : r.jobs)
        if (j.request.gpus <= 0) skipped.insert(j.request.id);
      if (!skipped.empty()) {
        const std::size_t gpuless = skipped.size();
        bool changed = true;
        while (changed) {
          changed = false;
          for (const Job& j : r.jobs) {
            if (skipped.count(j.request.id)) continue;
            for (JobId d : j.request.depends_on)
              if (skipped.count(d)) {
                skipped.insert(j.request.id);
                changed = true;
                break;
              }
          }
        }
        r.jobs.erase(std::remove_if(r.jobs.begin(), r.jobs.end(),
                                    [&](const Job& j) { return skipped.count(j.request.id) > 0; }),
                     r.jobs.end());
        std::string n = "trace " + file + ": " + std::to_string(gpuless) + " jobs without a GPU skipped";
        if (skipped.size() > gpuless)
          n += " (and " + std::to_string(skipped.size() - gpuless) + " jobs depending on them)";
        notes.push_back(n);
      }
      // Trace ids are only unique within one trace: shift them past the ids in use.
      std::unordered_map<JobId, JobId> remap;
      for (Job& j : r.jobs) {
        const JobId nid = next_id_++;
        remap[j.request.id] = nid;
        j.request.id = nid;
      }
      for (Job& j : r.jobs) {
        for (JobId& dep : j.request.depends_on) {
          auto it = remap.find(dep);
          if (it != remap.end()) dep = it->second;
        }
        j.profile.work_flops *= spec_.work_scale;
        j.profile.cpu_runtime_s *= spec_.work_scale;
        for (const auto& [tech, share] : spec_.optimisations) {
          if (share > 0 && optim_.bernoulli(share)) apply_optimisation(j, tech, cat_);
        }
        jobs.push_back(std::move(j));
      }
    }
  }

 private:
  const WorkloadSpec& spec_;
  const Calendar& cal_;
  const Catalogue& cat_;
  RngStream arrivals_, mix_, size_, structure_, sweep_, flags_, optim_, fixed_;
  JobId next_id_ = 1;
};

}  // namespace

void validate_workload(const WorkloadSpec& spec, const Catalogue& cat) {
  DiagnosticSink errs;
  std::vector<std::string> names, techniques;
  for (const auto& [n, p] : cat.profiles) names.push_back(n);
  for (const auto& [n, o] : cat.optimisations) techniques.push_back(n);
  auto check_mix = [&](const std::map<std::string, double>& mix, const std::string& key) {
    double total = 0;
    for (const auto& [name, share] : mix) {
      if (!cat.find(name)) errs.add(diag(key + "." + name, "expected a profile of the catalogue, got \"" + name + "\"" + did_you_mean(name, names)));
      if (!(share >= 0)) errs.add(diag(key + "." + name, "expected a share >= 0, got " + num(share)));
      total += share;
    }
    if (!mix.empty() && !(total > 0)) errs.add(diag(key, "expected shares summing to more than 0, got " + num(total)));
  };
  check_mix(spec.mix, "workload.mix");
  for (const auto& [y, mix] : spec.mix_by_year) check_mix(mix, "workload.mix_by_year." + std::to_string(y));
  if (spec.generator == WorkloadGenerator::research_lab) {
    if (spec.mix.empty() && spec.mix_by_year.empty() && cat.default_mix.empty())
      errs.add(diag("workload.mix", "expected a profile mix (none in the scenario or the catalogue)"));
  }
  if (spec.generator == WorkloadGenerator::fixed) {
    if (!cat.find(spec.fixed_profile))
      errs.add(diag("workload.fixed_profile", "expected a profile of the catalogue, got \"" + spec.fixed_profile + "\"" +
                                                  did_you_mean(spec.fixed_profile, names)));
    if (spec.gpus_per_job < 1) errs.add(diag("workload.gpus_per_job", "expected an integer >= 1, got " + std::to_string(spec.gpus_per_job)));
    if (spec.jobs < 0) errs.add(diag("workload.jobs", "expected an integer >= 0, got " + std::to_string(spec.jobs)));
    if (spec.interarrival_s < 0)
      errs.add(diag("workload.interarrival", "expected a duration >= 0, got " + num(spec.interarrival_s)));
  }
  if (spec.daily_cycle < 0 || spec.daily_cycle > 1)
    errs.add(diag("workload.daily_cycle", "expected a number in [0, 1], got " + num(spec.daily_cycle)));
  if (spec.weekly_cycle < 0 || spec.weekly_cycle > 0.4)
    errs.add(diag("workload.weekly_cycle", "expected a number in [0, 0.4], got " + num(spec.weekly_cycle)));
  if (spec.jobs_growth_per_year <= 0)
    errs.add(diag("workload.jobs_growth_per_year", "expected a number > 0, got " + num(spec.jobs_growth_per_year)));
  if (spec.model_size_growth_per_year <= 0)
    errs.add(diag("workload.model_size_growth_per_year", "expected a number > 0, got " + num(spec.model_size_growth_per_year)));
  if (spec.sweep_fraction < 0 || spec.chain_fraction < 0 || spec.sweep_fraction + spec.chain_fraction > 1)
    errs.add(diag("workload.sweep_fraction", "expected sweep_fraction + chain_fraction in [0, 1], got " +
                                                 num(spec.sweep_fraction + spec.chain_fraction)));
  for (const auto& [tech, share] : spec.optimisations) {
    if (!cat.optimisations.count(tech))
      errs.add(diag("workload.optimisations." + tech, "expected a known optimisation technique, got \"" + tech + "\"" + did_you_mean(tech, techniques)));
    if (share < 0 || share > 1)
      errs.add(diag("workload.optimisations." + tech, "expected a share in [0, 1], got " + num(share)));
  }
  for (std::size_t i = 0; i < spec.deadline_bursts.size(); ++i) {
    const DeadlineBurst& b = spec.deadline_bursts[i];
    const std::string key = "workload.deadline_bursts." + std::to_string(i);
    if (b.month < 1 || b.month > 12 || b.day < 1 || b.day > 28)
      errs.add(diag(key, "expected a month 1..12 and a day 1..28, got " + std::to_string(b.month) + "/" + std::to_string(b.day)));
    if (b.factor < 1) errs.add(diag(key + ".factor", "expected a number >= 1, got " + num(b.factor)));
  }
  errs.throw_if_any();
}

void finalise_stream(std::vector<Job>& jobs, Seconds span_s) {
  // Drop late submissions and, transitively, whatever depends on a dropped job (dependencies
  // never come later than their dependants in the generators, but traces may say otherwise).
  std::unordered_set<JobId> dropped;
  bool changed = true;
  while (changed) {
    changed = false;
    for (const Job& j : jobs) {
      if (dropped.count(j.request.id)) continue;
      bool drop = j.request.submit_s >= span_s;
      for (JobId d : j.request.depends_on) drop = drop || dropped.count(d) > 0;
      if (drop) {
        dropped.insert(j.request.id);
        changed = true;
      }
    }
  }
  if (!dropped.empty()) {
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const Job& j) { return dropped.count(j.request.id) > 0; }),
               jobs.end());
  }
  JobGraph graph(jobs);  // unknown ids, cycles → InputError
  const auto by_submit = [](const Job& a, const Job& b) { return a.request.submit_s < b.request.submit_s; };
  if (!std::is_sorted(jobs.begin(), jobs.end(), by_submit)) {
    // Sort a permutation, then move each job once (a Job is large: moving it log N times costs).
    std::vector<std::size_t> order(jobs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return jobs[a].request.submit_s < jobs[b].request.submit_s;
    });
    std::vector<Job> sorted;
    sorted.reserve(jobs.size());
    for (std::size_t i : order) sorted.push_back(std::move(jobs[i]));
    jobs = std::move(sorted);
  }
  std::unordered_map<JobId, JobId> remap;
  remap.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) remap[jobs[i].request.id] = static_cast<JobId>(i + 1);
  for (Job& j : jobs) {
    j.request.id = remap[j.request.id];
    for (JobId& d : j.request.depends_on) d = remap[d];
  }
}

std::vector<Job> generate_jobs(const WorkloadSpec& spec, const Calendar& calendar, Seconds span_s,
                               std::uint64_t seed, const Catalogue& catalogue,
                               const GenerateOptions& options) {
  validate_workload(spec, catalogue);
  Builder b(spec, calendar, seed, catalogue);
  if (spec.generator == WorkloadGenerator::fixed) b.fixed();
  if (spec.generator == WorkloadGenerator::research_lab) b.research_lab(span_s);
  b.import(seed);
  if (options.notes) options.notes->insert(options.notes->end(), b.notes.begin(), b.notes.end());
  std::vector<Job> jobs = std::move(b.jobs);
  if (options.accelerator) {
    for (Job& j : jobs) {
      if (const ProfileSpec* p = catalogue.find(j.profile.name)) {
        adapt_to_accelerator(j.profile, *p, catalogue.reference, *options.accelerator);
      }
    }
  }
  finalise_stream(jobs, span_s);
  return jobs;
}

std::string serialise_jobs(const std::vector<Job>& jobs) {
  std::string out;
  out.reserve(jobs.size() * 320);
  char buf[1024];
  for (const Job& j : jobs) {
    const JobRequest& r = j.request;
    const JobProfile& p = j.profile;
    std::snprintf(buf, sizeof buf,
                  "%" PRIu64 " %a %d %a %a %d %d%d%d %d %d %s %s %d |", r.id, r.submit_s, r.gpus,
                  r.walltime_estimate_s, r.deadline_s.value_or(-1.0), r.priority,
                  int(r.deferrable), int(r.preemptible), int(r.elastic), r.min_gpus, r.max_gpus,
                  r.profile.c_str(), r.user.c_str(), int(r.kind));
    out += buf;
    for (JobId d : r.depends_on) out += " " + std::to_string(d);
    std::snprintf(buf, sizeof buf,
                  " | %s %a %s %a %a %a %a %a %a %a %a %a %a %a %d %a %s %a %a\n", p.name.c_str(),
                  p.work_flops, p.precision.c_str(), p.mfu, p.compute_share, p.memory_share,
                  p.io_share, p.intensity, p.utilisation, p.scaling_efficiency, p.host_load,
                  p.comm_bytes_per_gpu, p.checkpoint_interval_s, p.checkpoint_cost_s, p.model_year,
                  p.model_params, p.optimisation.c_str(), p.quality_cost, p.cpu_runtime_s);
    out += buf;
  }
  return out;
}

}  // namespace dcsim
