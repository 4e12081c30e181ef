// bench_bare_s4u: the bare-engine baseline of the end-to-end benchmark (issue 10). The job
// stream of a scenario (bench_jobs) run directly on SimGrid S4U with FCFS and nothing else: no
// policies, no physics beyond power tracked on change, no output.
//
//   bench_bare_s4u <jobs.tsv> [--cfg=...]...
//
// Shape: the fastest one measured on this machine (docs/ENVIRONMENT.md, "How fast SimGrid 3.32 is
// here"), and the one dcsim's engine uses:
//   - one controller actor owns all state and sleeps on a semaphore with a timeout until the
//     next arrival or the next completion (no polling, no wait_any);
//   - a pool of reused worker actors, one per running job; a job on k nodes starts one Exec per
//     node (thread count = its GPUs there, each thread executing the full amount, so the Exec
//     lasts runtime_s), waits them in turn, reports its completion and goes back to the pool;
//   - hosts have 3 p-states (only the fastest is used) and the default lazy models and raw
//     contexts; no network (jobs do not communicate), no energy plugin: site power is tracked on
//     each start/end and energy integrated on change (job_stream.hpp Fcfs).
// The run stops at the scenario's span, as dcsim does without drain. It prints the same result
// line as bench_bare_loop (the plain C++ event loop over the same jobs): both must agree.
#include <simgrid/s4u.hpp>

#include <cmath>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "job_stream.hpp"

namespace sg4 = simgrid::s4u;
using dcsim::bench::BenchJob;
using dcsim::bench::Fcfs;

namespace {

constexpr double kSpeed = 1e12;  // flop/s of the fastest p-state (the unit does not matter)

struct Worker {
  sg4::SemaphorePtr sem;
  std::uint32_t job = 0;
  std::vector<sg4::ExecPtr> execs;  // reused storage
};

struct JobRt {
  std::uint32_t deps_left = 0;
  bool submitted = false;
  std::vector<std::uint32_t> dependents;
  std::vector<Fcfs::Slice> alloc;
};

class Sim {
 public:
  explicit Sim(dcsim::bench::JobStream s)
      : s_(std::move(s)),
        fcfs_(s_.nodes, s_.gpus_per_node, s_.jobs.empty() ? 0.0 : s_.jobs.front().idle_w),
        rt_(s_.jobs.size()) {
    for (std::uint32_t i = 0; i < s_.jobs.size(); ++i) {
      rt_[i].deps_left = static_cast<std::uint32_t>(s_.jobs[i].deps.size());
      for (std::uint32_t d : s_.jobs[i].deps) rt_[d].dependents.push_back(i);
    }
  }

  void build_platform() {
    sg4::NetZone* zone = sg4::create_star_zone("site");
    hosts_.reserve(static_cast<std::size_t>(s_.nodes));
    const std::vector<double> speeds = {kSpeed, 0.8 * kSpeed, 0.6 * kSpeed};
    for (int n = 0; n < s_.nodes; ++n) {
      sg4::Host* h = zone->create_host("node-" + std::to_string(n), speeds);
      h->set_core_count(s_.gpus_per_node);
      h->seal();
      hosts_.push_back(h);
    }
    zone->seal();
    sem_ = sg4::Semaphore::create(0);
    sg4::Actor::create("controller", hosts_.front(), [this] { controller(); });
  }

  const dcsim::bench::BenchResult& result() const { return res_; }

 private:
  void controller() {
    std::size_t next = 0;
    const std::size_t n = s_.jobs.size();
    while (true) {
      const double now = sg4::Engine::get_clock();
      if (now >= s_.span_s) break;
      for (std::uint32_t j : completions_) finish(j, now);
      completions_.clear();
      while (next < n && s_.jobs[next].submit_s <= now) submit(static_cast<std::uint32_t>(next++));
      schedule(now);
      const double t_next = std::min(next < n ? s_.jobs[next].submit_s : s_.span_s, s_.span_s);
      sem_->acquire_timeout(std::max(0.0, t_next - now));
    }
    res_.end_s = std::min(sg4::Engine::get_clock(), s_.span_s);
    fcfs_.finish(res_.end_s);
    res_.energy_j = fcfs_.energy_j();
  }

  void submit(std::uint32_t j) {
    ++res_.submitted;
    ++res_.events;
    rt_[j].submitted = true;
    if (rt_[j].deps_left == 0) queue_.push_back(j);
  }

  void schedule(double now) {
    while (!queue_.empty() && s_.jobs[queue_.front()].gpus <= fcfs_.gpus_free()) {
      const std::uint32_t j = queue_.front();
      queue_.pop_front();
      const BenchJob& b = s_.jobs[j];
      JobRt& r = rt_[j];
      fcfs_.allocate(b.gpus, r.alloc);
      fcfs_.power_change(now, b.gpus * (b.busy_w - b.idle_w));
      ++res_.started;
      ++res_.events;
      res_.wait_sum_s += now - b.submit_s;
      Worker* w = idle_workers_.empty() ? new_worker() : idle_workers_.back();
      if (!idle_workers_.empty()) idle_workers_.pop_back();
      w->job = j;
      w->sem->release();
    }
  }

  void finish(std::uint32_t j, double now) {
    const BenchJob& b = s_.jobs[j];
    JobRt& r = rt_[j];
    fcfs_.release(r.alloc.data(), r.alloc.size());
    fcfs_.power_change(now, -b.gpus * (b.busy_w - b.idle_w));
    ++res_.completed;
    ++res_.events;
    for (std::uint32_t d : r.dependents)
      if (--rt_[d].deps_left == 0 && rt_[d].submitted) queue_.push_back(d);
  }

  Worker* new_worker() {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->sem = sg4::Semaphore::create(0);
    sg4::Actor::create("worker", hosts_.front(), [this, w] { worker(w); });
    return w;
  }

  void worker(Worker* w) {
    sg4::Actor::self()->daemonize();
    while (true) {
      w->sem->acquire();
      const std::uint32_t j = w->job;
      const BenchJob& b = s_.jobs[j];
      for (const Fcfs::Slice& sl : rt_[j].alloc) {
        sg4::ExecPtr ex = sg4::this_actor::exec_init(b.runtime_s * kSpeed);
        ex->set_host(hosts_[static_cast<std::size_t>(sl.node)]);
        ex->set_thread_count(sl.gpus);
        ex->start();
        w->execs.push_back(std::move(ex));
      }
      for (auto& e : w->execs) e->wait();
      w->execs.clear();
      completions_.push_back(j);
      idle_workers_.push_back(w);
      sem_->release();
    }
  }

  dcsim::bench::JobStream s_;
  Fcfs fcfs_;
  std::vector<JobRt> rt_;
  std::vector<sg4::Host*> hosts_;
  sg4::SemaphorePtr sem_;
  std::deque<std::uint32_t> queue_;
  std::vector<std::uint32_t> completions_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_workers_;
  dcsim::bench::BenchResult res_;
};

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine e(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <jobs.tsv> [--cfg=...]\n", argv[0]);
    return 2;
  }
  try {
    Sim sim(dcsim::bench::read_stream(argv[1]));
    sim.build_platform();
    e.run();
    dcsim::bench::print_result("bare_s4u", sim.result());
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_bare_s4u: %s\n", ex.what());
    return 1;
  }
  return 0;
}
