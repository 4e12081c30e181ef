#include "serving/fleet.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <tuple>

#include "core/error.hpp"
#include "physics/llm_inference.hpp"
#include "serving/load_table.hpp"
#include "serving/policies.hpp"

namespace dcsim::serving {

namespace {
constexpr Seconds kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxGroup = 4;

Seconds overlap(Seconds a0, Seconds a1, Seconds b0, Seconds b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}
double nan() { return std::numeric_limits<double>::quiet_NaN(); }
}  // namespace

struct Fleet::Deployment {
  std::size_t index = 0;
  const DeploymentSpec* spec = nullptr;
  LlmModel model;
  struct Hw {
    std::string name;
    std::unique_ptr<LlmIterationModel> phys;
    ReplicaParams params;
    Watts limit_max_w = 0;
    Watts loading_w = 0;
  };
  std::map<std::string, Hw> hw;
  StreamMix mix;
  std::vector<StreamSource> sources;  // aggregated: arrival counts
  std::unique_ptr<Cluster> cluster;   // request level
  std::vector<RequestRecord> records;
  std::unique_ptr<Autoscaler> autoscaler;
  std::unique_ptr<ClockGovernor> governor;
  Seconds load_s = 0;

  struct Rep {
    ReplicaId id = 0;
    std::string accel;
    std::size_t cl = 0;  // index in the cluster (request level)
    ReplicaState state = ReplicaState::loading;
    Seconds added_s = 0, ready_at = 0, end_s = kInf;
    bool reported_gone = false;
    // accumulators at the last step end (request level)
    double e0 = 0, b0 = 0, q0 = 0, busy0 = 0, ps0 = 0;
    // aggregated: the table it used last and its key
    const LoadTable* table = nullptr;
    std::tuple<long long, int, int> key{-1, -1, -1};
  };
  std::vector<Rep> reps;
  int desired = 0;
  double backlog = 0;  // aggregated fluid backlog (requests)
  std::deque<std::pair<double, Seconds>> chunks;  // the backlog in FIFO order: (requests, mean arrival)
  double pending0 = 0, tok_out0 = 0, tok_prompt0 = 0;
  std::map<std::tuple<std::string, long long, int, int, bool>, std::unique_ptr<LoadTable>> tables;
  LatencyStats step;  // aggregated: this step's latency stats

  Hw& hw_of(const std::string& a) { return hw.at(a); }
  int active() const {
    int n = 0;
    for (const Rep& r : reps)
      if (r.state == ReplicaState::ready || r.state == ReplicaState::loading) ++n;
    return n;
  }
};

Fleet::Fleet(const ServingSpec& spec, const std::map<std::string, AcceleratorSpec>& accelerators,
             const Calendar& calendar, Seconds span_s, std::uint64_t seed)
    : spec_(spec), accelerators_(accelerators), calendar_(calendar), span_s_(span_s), seed_(seed),
      request_level_(spec.fidelity != "aggregated") {
  if (!(spec_.step_s > 0)) spec_.step_s = request_level_ ? 60.0 : 900.0;
  std::map<std::string, std::shared_ptr<const TraceData>> traces;
  for (std::size_t d = 0; d < spec_.deployments.size(); ++d) {
    auto dep = std::make_unique<Deployment>();
    dep->index = d;
    dep->spec = &spec_.deployments[d];
    const DeploymentSpec& ds = *dep->spec;
    dep->model = llm_model(ds.model);
    for (const auto& [name, a] : accelerators_) {
      if (!ds.accelerator.empty() && ds.accelerator != name) continue;
      Deployment::Hw h;
      h.name = name;
      try {
        h.phys = std::make_unique<LlmIterationModel>(dep->model, ds, a);
      } catch (const std::invalid_argument&) {
        continue;  // cannot run the precision
      }
      const double kv = kv_cache_capacity_bytes(dep->model, ds, a);
      h.params.physics = h.phys.get();
      h.params.kv_capacity_tokens = dep->model.kv_bytes_per_token > 0 ? kv / dep->model.kv_bytes_per_token : 0;
      h.params.block_tokens = ds.block_tokens;
      h.params.max_batch = ds.max_batch;
      h.params.max_batched_tokens = ds.max_batched_tokens;
      h.params.chunked_prefill = ds.chunked_prefill;
      if (h.params.kv_capacity_tokens < ds.block_tokens) continue;  // the weights leave no cache
      h.limit_max_w = a.power_limit_max_w > 0 ? a.power_limit_max_w : a.tdp_w;
      h.loading_w = h.phys->loading_power_w(ds.load_bandwidth_gb_s * 1e9);
      dep->hw.emplace(name, std::move(h));
    }
    if (dep->hw.empty()) {
      throw InputError(Diagnostic{"", 0, 0, "serving.deployments." + std::to_string(d),
                                  "expected an accelerator of the platform that holds the weights of '" +
                                      ds.name + "' (" + std::to_string(dep->model.weight_bytes / 1e9) +
                                      " GB) with room for a KV cache, got none" +
                                      (ds.accelerator.empty() ? "" : " (accelerator " + ds.accelerator + ")")});
    }
    dep->load_s = ds.load_time_s > 0 ? ds.load_time_s : dep->model.weight_bytes / (ds.load_bandwidth_gb_s * 1e9);
    // its streams
    std::vector<StreamSource> sources;
    for (std::size_t s = 0; s < spec_.streams.size(); ++s) {
      const RequestStreamSpec& st = spec_.streams[s];
      if (st.deployment != ds.name) continue;
      std::shared_ptr<const TraceData> tr;
      if (!st.file.empty()) {
        auto it = traces.find(st.file);
        if (it == traces.end()) it = traces.emplace(st.file, load_azure_trace(st.file)).first;
        tr = it->second;
      }
      dep->mix.specs.push_back(st);
      dep->mix.traces.push_back(tr);
      sources.emplace_back(st, calendar_, tr, seed_);
    }
    double total = 0;
    for (const StreamSource& src : sources) {
      dep->mix.shares.push_back(src.mean_rate(span_s_));
      total += dep->mix.shares.back();
    }
    for (double& x : dep->mix.shares) x = total > 0 ? x / total : 1.0 / static_cast<double>(dep->mix.shares.size());
    if (request_level_) {
      Cluster::Options o;
      o.deployment = static_cast<std::uint32_t>(d);
      o.slo = ds.slo;
      o.records = spec_.requests_table ? &dep->records : nullptr;
      o.max_waiting_per_replica = static_cast<std::size_t>(ds.max_waiting_per_replica > 0 ? ds.max_waiting_per_replica : ds.max_batch);
      dep->cluster = std::make_unique<Cluster>(Router::parse(ds.router), std::move(sources), o);
    } else {
      dep->sources = std::move(sources);
    }
    dep->autoscaler = std::make_unique<Autoscaler>(ds);
    Megahertz fmax = 0, fmin = kInf;
    for (const auto& [n, h] : dep->hw) {
      fmax = std::max(fmax, h.phys->power().max_freq_mhz());
      fmin = std::min(fmin, h.phys->power().freq_mhz(h.phys->power().pstate_count() - 1));
    }
    dep->governor = std::make_unique<ClockGovernor>(ds, fmax, fmin);
    dep->desired = ds.replicas;
    DeploymentTotals t;
    t.name = ds.name;
    totals_.push_back(std::move(t));
    deps_.push_back(std::move(dep));
  }
}

Fleet::~Fleet() = default;

bool Fleet::can_run_on(std::size_t d, const std::string& accelerator) const {
  return d < deps_.size() && deps_[d]->hw.count(accelerator) > 0;
}

Seconds Fleet::load_time_s(std::size_t d) const { return deps_.at(d)->load_s; }

ReplicaId Fleet::add_replica(std::size_t d, const std::string& accelerator, Seconds t, bool loaded) {
  if (!can_run_on(d, accelerator))
    throw std::invalid_argument("serving: deployment " + std::to_string(d) + " cannot run on '" + accelerator + "'");
  Deployment& dep = *deps_[d];
  Deployment::Rep r;
  r.id = next_id_++;
  r.accel = accelerator;
  r.added_s = t;
  r.ready_at = loaded ? t : t + dep.load_s;
  r.state = loaded ? ReplicaState::ready : ReplicaState::loading;
  if (dep.cluster) {
    r.cl = dep.cluster->add_replica(r.id, dep.hw_of(accelerator).params, t, r.ready_at);
    const Replica& sim = dep.cluster->replica(r.cl);
    r.e0 = sim.energy_at(t);
  }
  where_[r.id] = {d, dep.reps.size()};
  dep.reps.push_back(std::move(r));
  return dep.reps.back().id;
}

void Fleet::remove_replica(ReplicaId id, Seconds t) {
  auto it = where_.find(id);
  if (it == where_.end()) return;
  Deployment& dep = *deps_[it->second.deployment];
  Deployment::Rep& r = dep.reps[it->second.index];
  if (r.state == ReplicaState::released) return;
  if (dep.cluster) dep.cluster->remove(r.cl, t);
  r.state = ReplicaState::released;
  r.end_s = t;
}

StepResult Fleet::advance(Seconds t0, Seconds t1, const StepEnv& env) {
  StepResult out;
  out.t0 = t0;
  out.t1 = t1;
  for (auto& dep : deps_) {
    if (request_level_) advance_request(*dep, t0, t1, env, out);
    else advance_aggregated(*dep, t0, t1, env, out);
  }
  return out;
}

// ---- request level -----------------------------------------------------------------------------

void Fleet::advance_request(Deployment& dep, Seconds t0, Seconds t1, const StepEnv& env, StepResult& out) {
  Cluster& cl = *dep.cluster;
  const Seconds dt = t1 - t0;
  const DeploymentSpec& ds = *dep.spec;
  const std::size_t first = out.replicas.size();
  // limits for the step
  for (Deployment::Rep& r : dep.reps) {
    if (r.state == ReplicaState::released) continue;
    const ReplicaEnv& e = env.of(r.id);
    const Deployment::Hw& h = dep.hw_of(r.accel);
    const Watts cap = std::isfinite(e.power_limit_w) ? h.phys->power().clamp_cap_w(e.power_limit_w) : h.limit_max_w;
    const int floor = std::max(e.pstate, h.phys->power().pstate_at_or_above(dep.governor->target_mhz()));
    cl.set_limits(r.cl, cap, floor);
  }
  cl.run_until(t1);

  DeploymentStep st;
  st.deployment = static_cast<std::uint32_t>(dep.index);
  DeploymentTotals& tot = totals_[dep.index];
  double batch_sum = 0, serving_time = 0, queue_sum = 0;
  for (Deployment::Rep& r : dep.reps) {
    if (r.reported_gone) continue;
    const Replica& sim = cl.replica(r.cl);
    const Deployment::Hw& h = dep.hw_of(r.accel);
    r.state = cl.state(r.cl);
    if (r.state == ReplicaState::loading && r.ready_at <= t1) r.state = ReplicaState::ready;  // ready at t1
    if ((r.state == ReplicaState::released || r.state == ReplicaState::parked) && !std::isfinite(r.end_s))
      r.end_s = cl.state_since(r.cl);
    if (r.state != ReplicaState::released && r.state != ReplicaState::parked) r.end_s = kInf;
    ReplicaStep rs;
    rs.id = r.id;
    rs.deployment = static_cast<std::uint32_t>(dep.index);
    rs.accelerator = r.accel;
    rs.gpus = ds.tensor_parallel;
    rs.state = r.state;
    const double e1 = sim.energy_at(t1), b1 = sim.batch_integral_at(t1), q1 = sim.queue_integral_at(t1);
    const double busy1 = sim.busy_time_at(t1), ps1 = sim.pstate_time_at(t1);
    // the replica idles while loading; its GPUs draw loading power then
    const Seconds loading = overlap(t0, t1, r.added_s, r.ready_at);
    const double de = (e1 - r.e0) + loading * (h.loading_w - h.phys->idle_power_w());
    rs.power_per_gpu_w = de / dt;
    rs.busy = (busy1 - r.busy0) / dt;
    rs.mean_pstate = busy1 > r.busy0 ? (ps1 - r.ps0) / (busy1 - r.busy0) : 0.0;
    rs.batch = (b1 - r.b0) / dt;
    rs.queue = (q1 - r.q0) / dt;
    const Seconds serving = overlap(t0, t1, r.ready_at, r.end_s);
    serving_time += serving;
    batch_sum += b1 - r.b0;
    queue_sum += q1 - r.q0;
    st.energy_j += de * ds.tensor_parallel;
    tot.loading_energy_j += loading * h.loading_w * ds.tensor_parallel;
    r.e0 = e1;
    r.b0 = b1;
    r.q0 = q1;
    r.busy0 = busy1;
    r.ps0 = ps1;
    out.replicas.push_back(rs);
  }
  const double pend1 = cl.pending_integral_at(t1);
  queue_sum += pend1 - dep.pending0;
  dep.pending0 = pend1;
  double tok_out = 0, tok_prompt = 0;
  for (std::size_t i = 0; i < cl.replica_count(); ++i) {
    tok_out += cl.replica(i).tokens_out();
    tok_prompt += cl.replica(i).tokens_prompt();
  }
  st.tokens_out_per_s = (tok_out - dep.tok_out0) / dt;
  st.tokens_prompt_per_s = (tok_prompt - dep.tok_prompt0) / dt;
  tot.tokens_out += tok_out - dep.tok_out0;
  tot.tokens_prompt += tok_prompt - dep.tok_prompt0;
  dep.tok_out0 = tok_out;
  dep.tok_prompt0 = tok_prompt;
  st.mean_batch = serving_time > 0 ? batch_sum / serving_time : 0.0;
  st.queue = queue_sum / dt;

  LatencyStats& ls = cl.stats();
  st.arrivals = ls.arrivals;
  st.requests_per_s = ls.finished / dt;
  st.rejected = ls.rejected;
  st.ttft_p50_s = ls.ttft.empty() ? nan() : ls.ttft.quantile(0.5);
  st.ttft_p99_s = ls.ttft.empty() ? nan() : ls.ttft.quantile(0.99);
  st.tpot_p50_s = ls.tpot.empty() ? nan() : ls.tpot.quantile(0.5);
  st.tpot_p99_s = ls.tpot.empty() ? nan() : ls.tpot.quantile(0.99);
  st.slo_attainment = ls.finished > 0 ? ls.slo_met / ls.finished : nan();
  tot.arrivals += ls.arrivals;
  tot.completed += ls.finished;
  tot.rejected += ls.rejected;
  tot.slo_met += ls.slo_met;
  tot.ttft.merge(ls.ttft);
  tot.tpot.merge(ls.tpot);
  tot.energy_j += st.energy_j;

  decide(dep, t0, t1, st);
  patch_states(dep, out, first);
  ls.clear();
  for (RequestRecord& rec : dep.records) out.requests.push_back(rec);
  dep.records.clear();
  out.deployments.push_back(st);
}

// ---- aggregated --------------------------------------------------------------------------------

void Fleet::advance_aggregated(Deployment& dep, Seconds t0, Seconds t1, const StepEnv& env, StepResult& out) {
  const Seconds dt = t1 - t0;
  const DeploymentSpec& ds = *dep.spec;
  const std::size_t first = out.replicas.size();
  DeploymentStep st;
  st.deployment = static_cast<std::uint32_t>(dep.index);
  DeploymentTotals& tot = totals_[dep.index];

  double arrivals = 0;
  for (const StreamSource& s : dep.sources) arrivals += s.expected_count(t0, t1);

  // ready share of the step and group sizes per accelerator type
  std::map<std::string, int> group;
  std::vector<double> ready(dep.reps.size(), 0.0);
  for (std::size_t i = 0; i < dep.reps.size(); ++i) {
    const Deployment::Rep& r = dep.reps[i];
    if (r.reported_gone) continue;
    if (r.state == ReplicaState::ready || r.state == ReplicaState::loading) {
      ready[i] = overlap(t0, t1, r.ready_at, kInf) / dt;
      if (ready[i] > 0) ++group[r.accel];
    }
  }
  // tables (built when a replica's key is new)
  double capacity = 0;
  for (std::size_t i = 0; i < dep.reps.size(); ++i) {
    Deployment::Rep& r = dep.reps[i];
    if (!(ready[i] > 0)) continue;
    const ReplicaEnv& e = env.of(r.id);
    Deployment::Hw& h = dep.hw_of(r.accel);
    const Watts cap = std::isfinite(e.power_limit_w) ? h.phys->power().clamp_cap_w(e.power_limit_w) : h.limit_max_w;
    const int floor = std::max(e.pstate, h.phys->power().pstate_at_or_above(dep.governor->target_mhz()));
    const int g = std::min(group[r.accel], kMaxGroup);
    const auto key = std::make_tuple(static_cast<long long>(std::llround(cap * 10)), floor, g);
    if (!r.table || key != r.key) {
      auto tk = std::make_tuple(r.accel, std::get<0>(key), floor, g, false);
      auto it = dep.tables.find(tk);
      if (it == dep.tables.end()) {
        LoadTable::Inputs in;
        in.deployment = &ds;
        in.mix = dep.mix;
        in.replica = h.params;
        in.cap_w = cap;
        in.floor_pstate = floor;
        in.group = g;
        in.seed = seed_;
        in.rng_name = "serving.table." + ds.name + "." + r.accel + ".c" + std::to_string(std::get<0>(key)) +
                      ".f" + std::to_string(floor) + ".g" + std::to_string(g);
        in.sample_requests = spec_.sample_requests;
        it = dep.tables.emplace(tk, std::make_unique<LoadTable>(in)).first;
      }
      r.table = it->second.get();
      r.key = key;
    }
    capacity += ready[i] * r.table->max_rate();
  }
  const double offered = arrivals + dep.backlog;
  const double served = std::min(offered, capacity * dt);
  const double backlog1 = offered - served;
  const double served_rate = served / dt;
  const double mean_backlog = 0.5 * (dep.backlog + backlog1);
  // FIFO fluid queue: the step's arrivals join behind the backlog; the k-th request served in
  // the step starts at t0 + k/C (the capacity rate) and waits that minus its arrival time
  // (chunks keep the mean arrival time of their requests)
  if (arrivals > 0) dep.chunks.push_back({arrivals, t0 + 0.5 * dt});
  std::vector<std::pair<double, Seconds>> portions;  // (requests, wait in front)
  {
    double k = 0, left = served;
    while (left > 1e-12 && !dep.chunks.empty()) {
      auto& [n, arrival] = dep.chunks.front();
      const double take = std::min(n, left);
      const Seconds start = capacity > 0 ? t0 + (k + 0.5 * take) / capacity : t1;
      portions.push_back({take, std::max(0.0, start - arrival)});
      k += take;
      left -= take;
      n -= take;
      if (n <= 1e-12) dep.chunks.pop_front();
    }
    while (dep.chunks.size() > 64) {  // merge the two oldest (bounded memory under long overload)
      auto a = dep.chunks.front();
      dep.chunks.pop_front();
      auto& b = dep.chunks.front();
      const double n = a.first + b.first;
      b.second = (a.first * a.second + b.first * b.second) / n;
      b.first = n;
    }
  }
  dep.backlog = backlog1;

  dep.step.clear();
  double batch_sum = 0, serving_share = 0, queue_sum = mean_backlog, tok_out = 0, tok_prompt = 0;
  // replicas on the same table at the same rate share one lookup
  const LoadTable* last_table = nullptr;
  double last_rate = -1;
  LoadTable::Scalars sc;
  std::vector<std::pair<const LoadTable*, std::pair<double, double>>> latency;  // table, (rate, requests)
  for (std::size_t i = 0; i < dep.reps.size(); ++i) {
    Deployment::Rep& r = dep.reps[i];
    if (r.reported_gone) continue;
    const Deployment::Hw& h = dep.hw_of(r.accel);
    ReplicaStep rs;
    rs.id = r.id;
    rs.deployment = static_cast<std::uint32_t>(dep.index);
    rs.accelerator = r.accel;
    rs.gpus = ds.tensor_parallel;
    if (r.state == ReplicaState::loading && r.ready_at <= t1) r.state = ReplicaState::ready;
    rs.state = r.state;
    const Seconds loading = overlap(t0, t1, r.added_s, r.ready_at);
    double energy_per_gpu = 0;
    if (ready[i] > 0) {
      const double rate = capacity > 0 ? r.table->max_rate() * served_rate / capacity : 0.0;
      if (r.table != last_table || rate != last_rate) {
        sc = r.table->at(rate);
        last_table = r.table;
        last_rate = rate;
      }
      const Seconds t_ready = ready[i] * dt;
      energy_per_gpu = sc.power_per_gpu_w * t_ready + loading * h.loading_w;
      rs.busy = sc.busy * ready[i];
      rs.mean_pstate = sc.pstate;
      rs.batch = sc.batch * ready[i];
      rs.queue = sc.queue * ready[i];
      batch_sum += sc.batch * ready[i];
      serving_share += ready[i];
      queue_sum += sc.queue * ready[i];
      tok_out += sc.tokens_out_per_s * t_ready;
      tok_prompt += sc.tokens_prompt_per_s * t_ready;
      const double n = rate * t_ready;
      if (!latency.empty() && latency.back().first == r.table && latency.back().second.first == rate)
        latency.back().second.second += n;
      else
        latency.push_back({r.table, {rate, n}});
    } else if (r.state == ReplicaState::loading) {
      energy_per_gpu = loading * h.loading_w + (dt - loading) * h.phys->idle_power_w();
    } else if (r.state == ReplicaState::parked) {
      energy_per_gpu = h.phys->idle_power_w() * dt;
    } else if (r.state == ReplicaState::released) {
      energy_per_gpu = 0;  // taken away by the engine (remove_replica) before the step
    }
    rs.power_per_gpu_w = energy_per_gpu / dt;
    st.energy_j += energy_per_gpu * ds.tensor_parallel;
    tot.loading_energy_j += loading * h.loading_w * ds.tensor_parallel;
    out.replicas.push_back(rs);
  }
  for (const auto& [table, rn] : latency) {
    const double share = served > 0 ? rn.second / served : 0.0;
    for (const auto& [n, wait] : portions) table->add_latency(rn.first, share * n, wait, ds.slo, dep.step);
  }
  // tokens follow the served requests (the table's per-replica token rates at its rate)
  st.arrivals = arrivals;
  st.requests_per_s = dep.step.finished / dt;
  st.rejected = dep.step.rejected;
  st.tokens_out_per_s = tok_out / dt;
  st.tokens_prompt_per_s = tok_prompt / dt;
  st.mean_batch = serving_share > 0 ? batch_sum / serving_share : 0.0;
  st.queue = queue_sum;
  const LatencyStats& ls = dep.step;
  st.ttft_p50_s = ls.ttft.empty() ? nan() : ls.ttft.quantile(0.5);
  st.ttft_p99_s = ls.ttft.empty() ? nan() : ls.ttft.quantile(0.99);
  st.tpot_p50_s = ls.tpot.empty() ? nan() : ls.tpot.quantile(0.5);
  st.tpot_p99_s = ls.tpot.empty() ? nan() : ls.tpot.quantile(0.99);
  st.slo_attainment = ls.finished > 0 ? ls.slo_met / ls.finished : nan();
  tot.arrivals += arrivals;
  tot.completed += ls.finished;
  tot.rejected += ls.rejected;
  tot.slo_met += ls.slo_met;
  tot.ttft.merge(ls.ttft);
  tot.tpot.merge(ls.tpot);
  tot.tokens_out += tok_out;
  tot.tokens_prompt += tok_prompt;
  tot.energy_j += st.energy_j;
  decide(dep, t0, t1, st);
  patch_states(dep, out, first);
  out.deployments.push_back(st);
}

void Fleet::patch_states(Deployment& dep, StepResult& out, std::size_t first) {
  // the states at t1, after the step's decisions; a released replica is reported once
  for (std::size_t k = first; k < out.replicas.size(); ++k) {
    Deployment::Rep& r = dep.reps[where_.at(out.replicas[k].id).index];
    out.replicas[k].state = r.state;
    if (r.state == ReplicaState::released) r.reported_gone = true;
  }
}

// ---- policies ----------------------------------------------------------------------------------

void Fleet::decide(Deployment& dep, Seconds t0, Seconds t1, DeploymentStep& st) {
  const DeploymentSpec& ds = *dep.spec;
  // the capacity of one replica: the saturation sample on the accelerator of its first replica
  double saturation = 0;
  if (dep.autoscaler->enabled()) {
    std::string accel = dep.hw.begin()->first;
    for (const Deployment::Rep& r : dep.reps)
      if (r.state != ReplicaState::released) {
        accel = r.accel;
        break;
      }
    Deployment::Hw& h = dep.hw_of(accel);
    const int floor = h.phys->power().pstate_at_or_above(dep.governor->target_mhz());
    auto tk = std::make_tuple(accel, static_cast<long long>(std::llround(h.limit_max_w * 10)), floor, 1, true);
    auto it = dep.tables.find(tk);
    if (it == dep.tables.end()) {
      LoadTable::Inputs in;
      in.deployment = &ds;
      in.mix = dep.mix;
      in.replica = h.params;
      in.cap_w = h.limit_max_w;
      in.floor_pstate = floor;
      in.group = 1;
      in.seed = seed_;
      in.rng_name = "serving.capacity." + ds.name + "." + accel + ".f" + std::to_string(floor);
      in.sample_requests = spec_.sample_requests;
      in.saturation_only = true;
      it = dep.tables.emplace(tk, std::make_unique<LoadTable>(in)).first;
    }
    saturation = it->second->saturation_rate();
  }
  const double queued = dep.cluster ? static_cast<double>(dep.cluster->waiting()) : dep.backlog;
  const int active = dep.active();
  const int desired = dep.autoscaler->decide(t0, t1, st.arrivals, queued, saturation, dep.desired);
  dep.desired = desired;
  const ReplicaState down = ds.autoscaling.scaled_down == "idle" ? ReplicaState::parked : ReplicaState::released;
  if (desired < active) {
    // take away loading replicas first (newest first), then the newest ready ones
    int excess = active - desired;
    for (int pass = 0; pass < 2 && excess > 0; ++pass) {
      const ReplicaState which = pass == 0 ? ReplicaState::loading : ReplicaState::ready;
      for (auto it = dep.reps.rbegin(); it != dep.reps.rend() && excess > 0; ++it) {
        if (it->state != which) continue;
        if (dep.cluster) {
          dep.cluster->drain(it->cl, t1, which == ReplicaState::loading ? ReplicaState::released : down);
          it->state = dep.cluster->state(it->cl);
        } else {
          it->state = which == ReplicaState::loading ? ReplicaState::released : down;
        }
        if (it->state == ReplicaState::released || it->state == ReplicaState::parked) it->end_s = t1;
        --excess;
      }
    }
  } else if (desired > active) {
    int missing = desired - active;
    for (Deployment::Rep& r : dep.reps) {
      if (missing == 0) break;
      if (r.state != ReplicaState::parked && r.state != ReplicaState::draining) continue;
      if (dep.cluster) dep.cluster->unpark(r.cl, t1);
      r.state = ReplicaState::ready;
      r.end_s = kInf;
      if (r.ready_at > t1) r.ready_at = t1;
      --missing;
    }
    st.replicas_requested = missing;
  }
  for (const Deployment::Rep& r : dep.reps) {
    if (r.reported_gone) continue;
    if (r.state == ReplicaState::ready || r.state == ReplicaState::draining) ++st.replicas_ready;
    else if (r.state == ReplicaState::loading) ++st.replicas_loading;
    else if (r.state == ReplicaState::parked) ++st.replicas_parked;
  }
  st.replicas_wanted = desired;
  dep.governor->observe(t1, t1 - t0, st.requests_per_s * (t1 - t0), st.ttft_p99_s, st.tpot_p99_s);
  st.clock_cap_mhz = dep.governor->target_mhz();
}

}  // namespace dcsim::serving
