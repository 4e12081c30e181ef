#include "serving/load_table.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::serving {

namespace {
const double kRho[] = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

struct Snapshot {
  double energy = 0, batch = 0, queue = 0, busy = 0, pstate = 0, out = 0, prompt = 0;
};
Snapshot snap(const Cluster& c, Seconds t) {
  Snapshot s;
  for (std::size_t i = 0; i < c.replica_count(); ++i) {
    const Replica& r = c.replica(i);
    s.energy += r.energy_at(t);
    s.batch += r.batch_integral_at(t);
    s.queue += r.queue_integral_at(t);
    s.busy += r.busy_time_at(t);
    s.pstate += r.pstate_time_at(t);
    s.out += r.tokens_out();
    s.prompt += r.tokens_prompt();
  }
  return s;
}

std::vector<StreamSource> stationary_streams(const LoadTable::Inputs& in, double total_rate, const std::string& name) {
  std::vector<StreamSource> out;
  for (std::size_t i = 0; i < in.mix.specs.size(); ++i) {
    const double share = in.mix.shares[i];
    // a stream with no share still exists (at a negligible rate) so stream indices stay aligned
    const double r = share > 0 ? total_rate * share : 0.0;
    out.push_back(StreamSource::stationary(in.mix.specs[i], in.mix.traces[i], r, in.seed,
                                           name + ".s" + std::to_string(i)));
  }
  return out;
}
}  // namespace

LoadTable::LoadTable(const Inputs& in) : idle_w_(in.replica.physics->idle_power_w()) {
  // 1. saturation: one backlogged replica
  {
    Cluster::Options o;
    o.slo = in.deployment->slo;
    Cluster c(Router::parse(in.deployment->router), stationary_streams(in, 1.0, in.rng_name + ".sat"), o);
    c.set_backlog(true);
    c.add_replica(0, in.replica, 0, 0);
    c.set_limits(0, in.cap_w, in.floor_pstate);
    const double warm = std::max(200.0, 2.0 * in.replica.max_batch);
    const double measure_n = std::max(1000.0, in.sample_requests / 2.0);
    Seconds t = 0, dt = 1.0;
    while (c.stats().finished < warm && t < 1e9) {
      t += dt;
      c.run_until(t);
      dt *= 1.5;
    }
    const double f0 = c.stats().finished;
    const Snapshot s0 = snap(c, t);
    const Seconds ta = t;
    dt = std::max(1.0, (t / std::max(f0, 1.0)) * measure_n / 20.0);
    while (c.stats().finished < f0 + measure_n && t < 1e9) {
      t += dt;
      c.run_until(t);
    }
    const Snapshot s1 = snap(c, t);
    const Seconds span = t - ta;
    LoadPoint& p = saturation_;
    p.rate = span > 0 ? (c.stats().finished - f0) / span : 0.0;
    p.power_per_gpu_w = span > 0 ? (s1.energy - s0.energy) / span : idle_w_;
    p.batch = span > 0 ? (s1.batch - s0.batch) / span : 0.0;
    p.queue = span > 0 ? (s1.queue - s0.queue) / span : 0.0;
    p.busy = span > 0 ? (s1.busy - s0.busy) / span : 0.0;
    p.pstate = s1.busy > s0.busy ? (s1.pstate - s0.pstate) / (s1.busy - s0.busy) : 0.0;
    p.tokens_out_per_s = span > 0 ? (s1.out - s0.out) / span : 0.0;
    p.tokens_prompt_per_s = span > 0 ? (s1.prompt - s0.prompt) / span : 0.0;
  }
  if (!(saturation_.rate > 0) || in.saturation_only) return;
  // 2. load points
  int k = 0;
  for (double rho : kRho) {
    LoadPoint p = measure(in, rho * saturation_.rate, k++);
    if (p.rate < 0) break;  // unstable: the table ends below it
    points_.push_back(std::move(p));
  }
}

LoadPoint LoadTable::measure(const Inputs& in, double rate, int point) const {
  const int g = std::max(in.group, 1);
  const double total = rate * g;
  // near saturation the batch relaxes slowly: the window grows as 1/(1 − ρ), up to 20×
  const double rho = saturation_.rate > 0 ? rate / saturation_.rate : 0.0;
  const double stretch = std::min(20.0, 1.0 / std::max(1e-9, 1.0 - rho));
  const double warm_n = std::max(100.0, in.sample_requests / 5.0) * g * stretch;
  const double meas_n = std::max(100.0, static_cast<double>(in.sample_requests)) * g * stretch;
  const Seconds tw = warm_n / total, tm = meas_n / total;
  Cluster::Options o;
  o.slo = in.deployment->slo;
  o.max_waiting_per_replica = static_cast<std::size_t>(
      in.deployment->max_waiting_per_replica > 0 ? in.deployment->max_waiting_per_replica : in.deployment->max_batch);
  o.count_from_s = tw;
  o.count_to_s = tw + tm;
  Cluster c(Router::parse(in.deployment->router),
            stationary_streams(in, total, in.rng_name + ".p" + std::to_string(point)), o);
  for (int i = 0; i < g; ++i) {
    c.add_replica(static_cast<std::uint64_t>(i), in.replica, 0, 0);
    c.set_limits(static_cast<std::size_t>(i), in.cap_w, in.floor_pstate);
  }
  c.run_until(tw);
  const Snapshot s0 = snap(c, tw);
  c.run_until(tw + tm);
  const Snapshot s1 = snap(c, tw + tm);
  // let the measured requests finish (the load continues meanwhile)
  Seconds t = tw + tm;
  const LatencyStats& st = c.stats();
  for (int extra = 0; st.finished + st.rejected < st.arrivals; ++extra) {
    if (extra >= 20) {
      LoadPoint bad;
      bad.rate = -1;
      return bad;
    }
    t += tm;
    c.run_until(t);
  }
  LoadPoint p;
  p.rate = rate;
  const double gt = g * tm;
  p.power_per_gpu_w = (s1.energy - s0.energy) / gt;
  p.batch = (s1.batch - s0.batch) / gt;
  p.queue = (s1.queue - s0.queue) / gt;
  p.busy = (s1.busy - s0.busy) / gt;
  p.pstate = s1.busy > s0.busy ? (s1.pstate - s0.pstate) / (s1.busy - s0.busy) : 0.0;
  p.tokens_out_per_s = (s1.out - s0.out) / gt;
  p.tokens_prompt_per_s = (s1.prompt - s0.prompt) / gt;
  p.per_request = st;
  if (st.arrivals > 0) {
    const double n = 1.0 / st.arrivals;
    p.per_request.clear();
    p.per_request.merge(st, n);
  }
  return p;
}

void LoadTable::bracket(double rate, std::size_t& lo, std::size_t& hi, double& w) const {
  // w = weight of points_[hi]; lo == hi when clamped
  if (rate <= points_.front().rate) {
    lo = hi = 0;
    w = 1;
    return;
  }
  if (rate >= points_.back().rate) {
    lo = hi = points_.size() - 1;
    w = 1;
    return;
  }
  hi = static_cast<std::size_t>(std::upper_bound(points_.begin(), points_.end(), rate,
                                                 [](double r, const LoadPoint& p) { return r < p.rate; }) -
                                points_.begin());
  lo = hi - 1;
  w = (rate - points_[lo].rate) / (points_[hi].rate - points_[lo].rate);
}

LoadTable::Scalars LoadTable::at(double rate) const {
  Scalars s;
  s.power_per_gpu_w = idle_w_;
  if (!(rate > 0) || points_.empty()) return s;
  auto from = [](const LoadPoint& p) {
    Scalars x;
    x.power_per_gpu_w = p.power_per_gpu_w;
    x.batch = p.batch;
    x.queue = p.queue;
    x.busy = p.busy;
    x.pstate = p.pstate;
    x.tokens_out_per_s = p.tokens_out_per_s;
    x.tokens_prompt_per_s = p.tokens_prompt_per_s;
    return x;
  };
  auto mix = [](const Scalars& a, const Scalars& b, double w) {
    Scalars x;
    x.power_per_gpu_w = a.power_per_gpu_w + w * (b.power_per_gpu_w - a.power_per_gpu_w);
    x.batch = a.batch + w * (b.batch - a.batch);
    x.queue = a.queue + w * (b.queue - a.queue);
    x.busy = a.busy + w * (b.busy - a.busy);
    x.pstate = a.pstate + w * (b.pstate - a.pstate);
    x.tokens_out_per_s = a.tokens_out_per_s + w * (b.tokens_out_per_s - a.tokens_out_per_s);
    x.tokens_prompt_per_s = a.tokens_prompt_per_s + w * (b.tokens_prompt_per_s - a.tokens_prompt_per_s);
    return x;
  };
  const LoadPoint& first = points_.front();
  if (rate < first.rate) {
    Scalars idle;
    idle.power_per_gpu_w = idle_w_;
    Scalars f = from(first);
    f.pstate = first.pstate;
    Scalars x = mix(idle, f, rate / first.rate);
    x.pstate = first.pstate;
    return x;
  }
  const LoadPoint& last = points_.back();
  if (rate >= last.rate) {
    if (rate >= saturation_.rate || saturation_.rate <= last.rate) return from(rate >= saturation_.rate ? saturation_ : last);
    return mix(from(last), from(saturation_), (rate - last.rate) / (saturation_.rate - last.rate));
  }
  std::size_t lo = 0, hi = 0;
  double w = 0;
  bracket(rate, lo, hi, w);
  return mix(from(points_[lo]), from(points_[hi]), w);
}

void LoadTable::add_latency(double rate, double requests, Seconds shift_s, const SloSpec& slo,
                            LatencyStats& out) const {
  if (!(requests > 0) || points_.empty()) return;
  std::size_t lo = 0, hi = 0;
  double w = 1;
  bracket(rate, lo, hi, w);
  auto add = [&](const LoadPoint& p, double weight) {
    if (!(weight > 0)) return;
    const double n = requests * weight;
    const LatencyStats& q = p.per_request;
    out.first_tokens += q.first_tokens * n;
    out.finished += q.finished * n;
    out.rejected += q.rejected * n;
    double met = q.slo_met;
    if (shift_s > 0 && slo.ttft_s > 0) {
      const double before = q.ttft.weight_at_most(slo.ttft_s);
      const double after = slo.ttft_s > shift_s ? q.ttft.weight_at_most(slo.ttft_s - shift_s) : 0.0;
      met = before > 0 ? met * after / before : 0.0;
    }
    out.slo_met += met * n;
    out.ttft.merge_shifted(q.ttft, n, shift_s);
    out.tpot.merge(q.tpot, n);
  };
  if (lo == hi) {
    add(points_[lo], 1.0);
  } else {
    add(points_[lo], 1.0 - w);
    add(points_[hi], w);
  }
}

}  // namespace dcsim::serving
