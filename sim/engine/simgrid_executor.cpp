#include "engine/simgrid_executor.hpp"

#include <simgrid/plugins/energy.h>
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <csignal>
#include <cstdlib>
#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"
#include "engine/platform_builder.hpp"

namespace sg4 = simgrid::s4u;

namespace dcsim {

std::string simgrid_version() {
  return std::to_string(SIMGRID_VERSION_MAJOR) + "." + std::to_string(SIMGRID_VERSION_MINOR) +
         (SIMGRID_VERSION_PATCH ? "." + std::to_string(SIMGRID_VERSION_PATCH) : std::string());
}

namespace {
constexpr double kEps = 1e-9;

struct WorkerSlot {
  sg4::SemaphorePtr sem;
  WorkHandle handle;
  bool live = false;  // holds a work item (false once done or cancelled)
  std::vector<std::pair<sg4::Host*, std::pair<double, int>>> parts;  // host, (flops/thread, threads)
  std::vector<double> comm_bytes;                                     // per part, to the next part
  sg4::ActorPtr actor;
  std::vector<sg4::ExecPtr> execs;  // reused from job to job
  std::vector<sg4::CommPtr> comms;  // in flight (owned here so the run's end can keep them)
  Seconds tail_s = 0;
  Seconds delay_s = 0;  // added by delay() while the item computes
  // In its tail (memory/I-O share, checkpoints, transitions): ends at tail_end, kept in the
  // executor's tail heap instead of a SimGrid sleep; gen invalidates superseded heap entries.
  bool in_tail = false;
  Seconds tail_end = 0;
  std::uint64_t gen = 0;
};

// A tail in the executor's heap (earliest end first; ties in the order the tails began).
struct TailEntry {
  Seconds end;
  std::uint64_t seq;
  WorkerSlot* slot;
  std::uint64_t gen;
  bool operator>(const TailEntry& o) const { return end != o.end ? end > o.end : seq > o.seq; }
};
}  // namespace

struct SimGridExecutor::Impl {
  std::unique_ptr<sg4::Engine> engine;
  BuiltPlatform built;
  sg4::SemaphorePtr sem;  // the controller's
  std::deque<WorkHandle> completions;
  std::vector<std::unique_ptr<WorkerSlot>> workers;
  std::vector<WorkerSlot*> idle;
  std::unordered_map<std::uint32_t, WorkerSlot*> slot_of;  // by job
  bool energy_plugin = false;
  // Tails: a job's time after its executions (memory and I/O share, checkpoint and restart
  // costs, p-state transition latencies) does not depend on the clock, so it needs no SimGrid
  // activity: the controller wakes at the earliest tail end and completes the job itself. This
  // saves a sleep activity and two actor switches per job (issue 13, benchmark); the end times
  // are the same sums SimGrid's sleep computed.
  std::vector<TailEntry> tails;  // min-heap (std::greater)
  std::uint64_t tail_seq = 0;
  bool ctl_waiting = false;  // the controller is blocked in acquire_timeout until ctl_wake
  Seconds ctl_wake = 0;

  void push_tail(WorkerSlot* w) {
    tails.push_back(TailEntry{w->tail_end, tail_seq++, w, ++w->gen});
    std::push_heap(tails.begin(), tails.end(), std::greater<>());
  }

  void complete(WorkerSlot* w) {
    w->live = false;
    w->in_tail = false;
    completions.push_back(w->handle);
    slot_of.erase(w->handle.job);
    idle.push_back(w);
  }

  void worker(WorkerSlot* w) {
    sg4::Actor::self()->daemonize();
    while (true) {
      w->sem->acquire();
      std::vector<sg4::ExecPtr>& execs = w->execs;
      execs.clear();
      for (const auto& [host, amt] : w->parts) {
        if (amt.first <= 0) continue;
        // Keep the ExecPtr: start() returns a raw pointer, and chaining on a temporary ExecPtr
        // destroys the activity (a crash in SimGrid 3.32).
        sg4::ExecPtr ex = sg4::this_actor::exec_init(amt.first);
        ex->set_host(host);
        ex->set_thread_count(amt.second);  // each thread (accelerator) executes the full amount
        ex->start();
        execs.push_back(std::move(ex));
      }
      std::vector<sg4::CommPtr>& comms = w->comms;
      comms.clear();
      for (std::size_t i = 0; i < w->parts.size(); ++i) {
        if (w->comm_bytes[i] < 1.0) continue;
        sg4::Host* to = w->parts[(i + 1) % w->parts.size()].first;
        comms.push_back(sg4::Comm::sendto_async(w->parts[i].first, to, static_cast<std::uint64_t>(w->comm_bytes[i])));
      }
      for (auto& e : execs) e->wait();
      for (auto& c : comms) c->wait();
      comms.clear();
      execs.clear();
      const Seconds rest = w->tail_s + w->delay_s;  // delays added while it computed
      w->delay_s = 0;
      if (rest > 0) {
        w->in_tail = true;
        w->tail_end = sg4::Engine::get_clock() + rest;
        push_tail(w);
        // Wake the controller only if it sleeps past this tail's end (to re-arm its timeout).
        if (ctl_waiting && w->tail_end < ctl_wake) sem->release();
        continue;  // the slot stays live; the controller completes it at tail_end
      }
      complete(w);
      sem->release();
    }
  }

  void controller(ExecutorClient& client) {
    std::vector<WorkHandle> done;
    Seconds asked = 0;  // the time the client asked to be called at
    while (true) {
      const Seconds now = sg4::Engine::get_clock();
      while (!tails.empty() && tails.front().end <= now) {
        const TailEntry e = tails.front();
        std::pop_heap(tails.begin(), tails.end(), std::greater<>());
        tails.pop_back();
        if (e.slot->in_tail && e.gen == e.slot->gen) complete(e.slot);
      }
      // Woken only to re-arm for an earlier tail, or by a superseded one: not a client step.
      if (completions.empty() && now < asked - kEps) {
        wait_until(std::min(asked, next_tail()), now);
        continue;
      }
      done.assign(completions.begin(), completions.end());
      completions.clear();
      const Seconds next = client.step(now, done);
      if (next == ExecutorClient::kStop) break;
      asked = next;
      if (!completions.empty()) continue;
      wait_until(std::min(next, next_tail()), now);
    }
    // Transfers of jobs still running at the end: SimGrid 3.32 prints a backtrace when an
    // unfinished communication is destroyed (as the daemon workers are killed at the end), and
    // cancelling them raises in the waiting workers. One simulation per process: keep them alive
    // until the process exits.
    static auto* in_flight = new std::vector<sg4::CommPtr>();
    for (auto& w : workers)
      for (auto& c : w->comms) in_flight->push_back(c);
  }

  Seconds next_tail() const {
    return tails.empty() ? std::numeric_limits<Seconds>::infinity() : tails.front().end;
  }

  void wait_until(Seconds wake, Seconds now) {
    if (wake - now > kEps) {
      ctl_waiting = true;
      ctl_wake = wake;
      sem->acquire_timeout(wake - now);
      ctl_waiting = false;
    } else if (wake > now) {
      sg4::this_actor::sleep_until(wake);
    }
  }
};

SimGridExecutor::SimGridExecutor(const SiteTopology& topology, const PlatformSpec& platform,
                                 const SimGridOptions& options)
    : impl_(std::make_unique<Impl>()) {
  std::vector<std::string> args = {"dcsim", "--log=root.thres:critical", "--cfg=contexts/stack-size:256"};
  for (const auto& a : options.args) args.push_back(a);
  // Extra SimGrid configuration from the environment (e.g. the sanitizer stage selects another
  // context factory): DCSIM_SIMGRID_ARGS="--cfg=contexts/factory:ucontext".
  if (const char* extra = std::getenv("DCSIM_SIMGRID_ARGS"); extra && *extra) {
    std::istringstream in(extra);
    for (std::string a; in >> a;) args.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  // SimGrid installs its own SIGINT handler (it exits the process with status 1): keep the
  // caller's handlers so an interrupt stops the run cleanly (RunOptions::stop).
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, nullptr, &old_int);
  sigaction(SIGTERM, nullptr, &old_term);
  impl_->engine = std::make_unique<sg4::Engine>(&argc, argv.data());
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  impl_->energy_plugin = options.energy_plugin;
  if (options.energy_plugin) sg_host_energy_plugin_init();
  impl_->built = build_simgrid_platform(topology, platform, host_types_from_catalogue(platform));
  impl_->sem = sg4::Semaphore::create(0);
}

SimGridExecutor::~SimGridExecutor() = default;

Seconds SimGridExecutor::now() const { return sg4::Engine::get_clock(); }

std::size_t SimGridExecutor::host_count() const { return impl_->built.hosts.size(); }

void SimGridExecutor::start(const WorkHandle& h, const WorkOrder& w) {
  Impl& m = *impl_;
  WorkerSlot* slot = nullptr;
  if (!m.idle.empty()) {
    slot = m.idle.back();
    m.idle.pop_back();
  } else {
    m.workers.push_back(std::make_unique<WorkerSlot>());
    slot = m.workers.back().get();
    slot->sem = sg4::Semaphore::create(0);
    Impl* mp = &m;
    slot->actor = sg4::Actor::create("worker", m.built.hosts.at(w.parts.front().node), [mp, slot] { mp->worker(slot); });
  }
  slot->handle = h;
  slot->live = true;
  slot->parts.clear();
  slot->comm_bytes.clear();
  for (const WorkPart& p : w.parts) {
    sg4::Host* host = m.built.hosts.at(p.node);
    slot->parts.push_back({host, {p.compute_s * host->get_pstate_speed(0), p.threads}});
    slot->comm_bytes.push_back(p.comm_bytes);
  }
  slot->tail_s = w.tail_s;
  slot->delay_s = 0;
  m.slot_of[h.job] = slot;
  slot->sem->release();
}

void SimGridExecutor::cancel(const WorkHandle& h) {
  auto it = impl_->slot_of.find(h.job);
  if (it == impl_->slot_of.end() || !(it->second->handle == h)) return;
  WorkerSlot* w = it->second;
  w->actor->kill();  // its executions are cancelled with it; the slot is not reused
  w->live = false;
  w->in_tail = false;  // a pending tail entry is skipped
  ++w->gen;
  impl_->slot_of.erase(it);
}

void SimGridExecutor::delay(const WorkHandle& h, Seconds s) {
  auto it = impl_->slot_of.find(h.job);
  if (it == impl_->slot_of.end() || !(it->second->handle == h) || !(s > 0)) return;
  WorkerSlot* w = it->second;
  if (w->in_tail) {
    w->tail_end += s;
    impl_->push_tail(w);  // supersedes the entry at the old end
    if (impl_->ctl_waiting && w->tail_end < impl_->ctl_wake) impl_->sem->release();
  } else {
    w->delay_s += s;
  }
}

void SimGridExecutor::set_pstate(std::uint32_t node, int pstate) {
  impl_->built.hosts.at(node)->set_pstate(static_cast<unsigned long>(pstate));
}

void SimGridExecutor::run(ExecutorClient& client) {
  Impl* m = impl_.get();
  bool finished = false;
  sg4::Actor::create("controller", m->built.hosts.at(0), [m, &client, &finished] {
    m->controller(client);
    finished = true;
  });
  m->engine->run();
  if (!finished) throw InvariantError("simulation ended before the controller finished");
}

double SimGridExecutor::plugin_energy_j() const {
  if (!impl_->energy_plugin) return 0;
  double e = 0;
  for (sg4::Host* h : impl_->engine->get_all_hosts()) e += sg_host_get_consumed_energy(h);
  return e;
}

}  // namespace dcsim
