#pragma once
// The job stream of a benchmark scenario as a plain text file, shared by the bare-engine
// baseline (bare_s4u.cpp) and the plain C++ event loop (bare_loop.cpp), plus the FCFS
// allocator both use, so both produce the same schedule from the same input.
//
// File format (written by bench_jobs, export_jobs.cpp), one header line then one job a line:
//   # nodes <N> gpus_per_node <G> span_s <S> jobs <J>
//   <submit_s> <gpus> <runtime_s> <idle_w> <busy_w> <deps…>
// submit_s: submission time (s, sorted); gpus: accelerators (clamped to [1, N·G]); runtime_s:
// run time at full clock (physics runtime_at_fmax_s, the engine's T0); idle_w/busy_w: power of
// one accelerator idle and running this job (W); deps: 0-based indexes of earlier jobs that
// must finish first (pretrain → fine-tune → evaluate chains). Doubles are written in hex
// (%a), so both consumers see bit-identical values.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace dcsim::bench {

struct BenchJob {
  double submit_s = 0;
  int gpus = 1;
  double runtime_s = 0;
  double idle_w = 0;  // per accelerator
  double busy_w = 0;  // per accelerator while this job runs on it
  std::vector<std::uint32_t> deps;
};

struct JobStream {
  int nodes = 0;
  int gpus_per_node = 8;
  double span_s = 0;
  std::vector<BenchJob> jobs;
};

inline void write_stream(const JobStream& s, const std::string& path) {
  FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  std::fprintf(f, "# nodes %d gpus_per_node %d span_s %a jobs %zu\n", s.nodes, s.gpus_per_node,
               s.span_s, s.jobs.size());
  for (const BenchJob& j : s.jobs) {
    std::fprintf(f, "%a %d %a %a %a", j.submit_s, j.gpus, j.runtime_s, j.idle_w, j.busy_w);
    for (std::uint32_t d : j.deps) std::fprintf(f, " %u", d);
    std::fputc('\n', f);
  }
  if (f != stdout) std::fclose(f);
}

inline JobStream read_stream(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + path);
  JobStream s;
  std::size_t n = 0;
  char span[64] = {};
  if (std::fscanf(f, "# nodes %d gpus_per_node %d span_s %63s jobs %zu", &s.nodes, &s.gpus_per_node,
                  span, &n) != 4)
    throw std::runtime_error(path + ": bad header");
  s.span_s = std::strtod(span, nullptr);
  s.jobs.reserve(n);
  std::string line;
  int c = std::fgetc(f);  // rest of the header line
  while (c != '\n' && c != EOF) c = std::fgetc(f);
  std::vector<char> buf(1 << 16);
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), f)) {
    char* p = buf.data();
    char* e = nullptr;
    BenchJob j;
    j.submit_s = std::strtod(p, &e);
    if (e == p) continue;
    p = e;
    j.gpus = static_cast<int>(std::strtol(p, &e, 10));
    p = e;
    j.runtime_s = std::strtod(p, &e);
    p = e;
    j.idle_w = std::strtod(p, &e);
    p = e;
    j.busy_w = std::strtod(p, &e);
    p = e;
    while (true) {
      const unsigned long d = std::strtoul(p, &e, 10);
      if (e == p) break;
      j.deps.push_back(static_cast<std::uint32_t>(d));
      p = e;
    }
    s.jobs.push_back(std::move(j));
  }
  std::fclose(f);
  if (s.jobs.size() != n) throw std::runtime_error(path + ": truncated");
  return s;
}

// First-fit allocation of whole GPUs over nodes, the FCFS of both consumers: the head of the
// queue starts as soon as enough GPUs are free anywhere (no backfilling), filling nodes from
// the lowest index. Node power is tracked on change: every start/end updates the site's power
// and integrates energy since the last change (E += P·Δt), O(1) per change plus the slices.
class Fcfs {
 public:
  struct Slice {
    int node;
    int gpus;
  };

  Fcfs(int nodes, int gpus_per_node, double idle_w_per_gpu)
      : free_(static_cast<std::size_t>(nodes), gpus_per_node),
        gpus_free_(nodes * gpus_per_node),
        power_w_(idle_w_per_gpu * nodes * gpus_per_node) {}

  int gpus_free() const { return gpus_free_; }
  double energy_j() const { return energy_j_; }
  double power_w() const { return power_w_; }

  // Takes `gpus` GPUs (first fit); `out` receives the slices (cleared first, reused storage).
  void allocate(int gpus, std::vector<Slice>& out) {
    out.clear();
    int need = gpus;
    // Skip full nodes from the first one that may have room (first_free_ is a lower bound).
    for (std::size_t n = first_free_; need > 0 && n < free_.size(); ++n) {
      if (free_[n] == 0) {
        if (n == first_free_) ++first_free_;
        continue;
      }
      const int take = std::min(need, free_[n]);
      free_[n] -= take;
      need -= take;
      out.push_back({static_cast<int>(n), take});
      if (free_[n] == 0 && n == first_free_) ++first_free_;
    }
    gpus_free_ -= gpus;
  }
  void release(const Slice* s, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      free_[static_cast<std::size_t>(s[i].node)] += s[i].gpus;
      first_free_ = std::min(first_free_, static_cast<std::size_t>(s[i].node));
      gpus_free_ += s[i].gpus;
    }
  }
  // Power changes by dp at time t.
  void power_change(double t, double dp) {
    energy_j_ += power_w_ * (t - last_s_);
    last_s_ = t;
    power_w_ += dp;
  }
  void finish(double t) { power_change(t, 0); }

 private:
  std::vector<int> free_;
  std::size_t first_free_ = 0;
  int gpus_free_ = 0;
  double power_w_ = 0;
  double last_s_ = 0;
  double energy_j_ = 0;
};

// Results both consumers print, to show they simulated the same thing.
struct BenchResult {
  std::size_t submitted = 0, started = 0, completed = 0;
  double end_s = 0, wait_sum_s = 0, energy_j = 0;
  std::uint64_t events = 0;  // submissions + starts + completions
};

inline void print_result(const char* who, const BenchResult& r) {
  std::printf("%s jobs_submitted=%zu jobs_started=%zu jobs_completed=%zu events=%llu "
              "end_s=%.6f mean_wait_h=%.6f energy_mwh=%.6f\n",
              who, r.submitted, r.started, r.completed, static_cast<unsigned long long>(r.events),
              r.end_s, r.started ? r.wait_sum_s / static_cast<double>(r.started) / 3600.0 : 0.0,
              r.energy_j / 3.6e9);
}

}  // namespace dcsim::bench
