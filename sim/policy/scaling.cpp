// Dynamic scaling policies; equations, parameters and sources in scaling.hpp.
#include "policy/scaling.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace dcsim {

namespace {

void build_index(std::span<const NodeView> nodes, std::vector<std::int32_t>& index_of) {
  NodeId max_id = 0;
  for (const NodeView& n : nodes) max_id = std::max(max_id, n.id);
  index_of.assign(nodes.empty() ? 0 : static_cast<std::size_t>(max_id) + 1, -1);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    index_of[nodes[i].id] = static_cast<std::int32_t>(i);
}

void wake_once(std::vector<Decision>& out, Seconds at, Seconds& last) {
  if (at != last) {
    emit(out, WakeAt{at});
    last = at;
  }
}

}  // namespace

// ---- power-down-idle --------------------------------------------------------------------------

void PowerDownIdle::decide(const ClusterView& view, std::span<const Event>,
                           std::vector<Decision>& out) {
  const int g_node = view.gpus_per_node > 0 ? view.gpus_per_node : 8;
  const Seconds now = view.now_s;
  // Supply and the site's GPUs come from the view's node summary (kept by the engine, O(1));
  // the nodes are walked only when some are idle (candidates to power off, and the earliest
  // expiry of the others) or when some must be booted.
  const NodeSummary sum = summary_of(view);
  const long long site_gpus = sum.gpus_total;
  const long long supply = sum.gpus_free_on + sum.gpus_booting;
  candidates_.clear();
  Seconds next_expiry = std::numeric_limits<Seconds>::infinity();
  const auto consider = [&](std::size_t i) {
    const NodeView& n = view.nodes[i];
    if (!node_idle_on(n)) return;
    if (now - n.idle_since_s >= opt_.after_s)
      candidates_.push_back(static_cast<std::uint32_t>(i));
    else
      next_expiry = std::min(next_expiry, n.idle_since_s + opt_.after_s);
  };
  if (sum.nodes_idle_on > 0) {
    if (view.summary.valid) {
      for (std::uint32_t i : view.idle_nodes) consider(i);  // the engine's list of idle nodes
    } else {
      for (std::size_t i = 0; i < view.nodes.size(); ++i) consider(i);
    }
  }
  long long demand = 0;
  for (const JobRequest* j : view.queue) {
    demand += j->gpus >= g_node ? static_cast<long long>((j->gpus + g_node - 1) / g_node) * g_node
                                : std::max(j->gpus, 0);
    if (demand >= site_gpus) break;
  }
  const long long deficit = demand + static_cast<long long>(opt_.spare_nodes) * g_node - supply;
  if (deficit > 0 && sum.nodes_off > 0) {
    long long to_boot = (deficit + g_node - 1) / g_node;
    for (const NodeView& n : view.nodes) {
      if (to_boot == 0) break;
      if (n.state != NodeState::off) continue;
      emit(out, PowerOn{n.id});
      --to_boot;
    }
  }
  const long long surplus = deficit < 0 ? (-deficit) / g_node : 0;
  // Longest idle first (ties: node order); only the first `surplus` are needed.
  if (surplus > 0 && !candidates_.empty()) {
    const auto longest_idle = [&](std::uint32_t a, std::uint32_t b) {
      const Seconds ta = view.nodes[a].idle_since_s, tb = view.nodes[b].idle_since_s;
      return ta != tb ? ta < tb : a < b;
    };
    const auto k = static_cast<std::size_t>(std::min<long long>(surplus, std::ssize(candidates_)));
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k),
                      candidates_.end(), longest_idle);
    for (std::size_t c = 0; c < k; ++c) emit(out, PowerOff{view.nodes[candidates_[c]].id});
  }
  if (next_expiry < std::numeric_limits<Seconds>::infinity())
    wake_once(out, next_expiry, last_wake_);
}

// ---- DVFS governors ---------------------------------------------------------------------------

std::string_view DvfsGovernor::name() const {
  switch (opt_.kind) {
    case GovernorKind::performance:
      return "performance";
    case GovernorKind::powersave:
      return "powersave";
    case GovernorKind::ondemand:
      return "ondemand";
    case GovernorKind::conservative:
      return "conservative";
  }
  return "?";
}

int DvfsGovernor::target(int current, int pstate_count, double u) const {
  const int slowest = std::max(pstate_count - 1, 0);
  const int hi = opt_.max_pstate < 0 ? slowest : std::min(opt_.max_pstate, slowest);
  const int lo = std::min(std::max(opt_.min_pstate, 0), hi);
  switch (opt_.kind) {
    case GovernorKind::performance:
      return lo;
    case GovernorKind::powersave:
      return hi;
    case GovernorKind::ondemand: {
      if (u > opt_.up_threshold) return lo;
      const int p = hi - static_cast<int>(std::floor(u * (hi + 1)));
      return std::clamp(p, lo, hi);
    }
    case GovernorKind::conservative: {
      const int cur = std::clamp(current, lo, hi);
      if (u > opt_.up_threshold) return std::max(cur - 1, lo);
      if (u < opt_.down_threshold) return std::min(cur + 1, hi);
      return cur;
    }
  }
  return current;
}

void DvfsGovernor::decide(const ClusterView& view, std::span<const Event>,
                          std::vector<Decision>& out) {
  if (opt_.period_s > 0) {
    if (next_update_ >= 0 && view.now_s < next_update_) return;
    next_update_ = view.now_s + opt_.period_s;
    emit(out, WakeAt{next_update_});
  }
  for (const NodeView& n : view.nodes) {
    if (n.state != NodeState::on || n.gpus_total <= 0) continue;
    const double u = static_cast<double>(n.gpus_total - std::max(n.gpus_free, 0)) / n.gpus_total;
    const int p = target(n.pstate, n.pstate_count, u);
    if (p != n.pstate) emit(out, SetPState{n.id, p});
  }
}

// ---- workload-aware ---------------------------------------------------------------------------

bool WorkloadAwareGovernor::memory_bound(const std::string& profile) const {
  return std::find(opt_.memory_bound_profiles.begin(), opt_.memory_bound_profiles.end(), profile) !=
         opt_.memory_bound_profiles.end();
}

void WorkloadAwareGovernor::decide(const ClusterView& view, std::span<const Event>,
                                   std::vector<Decision>& out) {
  build_index(view.nodes, index_of_);
  node_flags_.assign(view.nodes.size(), 0);
  for (const RunningJobView& r : view.running) {
    const bool compute = r.request == nullptr || !memory_bound(r.request->profile);
    for (const Slice& s : r.allocation) {
      if (s.node >= index_of_.size() || index_of_[s.node] < 0) continue;
      auto& f = node_flags_[static_cast<std::size_t>(index_of_[s.node])];
      f = static_cast<std::uint8_t>(f | 1u | (compute ? 2u : 0u));
    }
  }
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    const NodeView& n = view.nodes[i];
    if (n.state != NodeState::on || !(node_flags_[i] & 1u)) continue;
    const int slowest = std::max(n.pstate_count - 1, 0);
    const int want = (node_flags_[i] & 2u) ? opt_.compute_pstate : opt_.memory_bound_pstate;
    const int p = want < 0 ? slowest : std::min(want, slowest);
    if (p != n.pstate) emit(out, SetPState{n.id, p});
  }
}

// ---- power-cap --------------------------------------------------------------------------------

std::optional<std::vector<HourWindow>> parse_hour_windows(std::string_view text) {
  std::vector<HourWindow> r;
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  auto number = [](std::string_view s) -> std::optional<double> {
    double v = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !(v >= 0 && v <= 24))
      return std::nullopt;
    return v;
  };
  text = trim(text);
  if (text.empty()) return r;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    const auto dash = part.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto a = number(trim(part.substr(0, dash)));
    const auto b = number(trim(part.substr(dash + 1)));
    if (!a || !b || *a == *b) return std::nullopt;
    r.push_back(HourWindow{*a, *b});
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return r;
}

bool in_windows(const std::vector<HourWindow>& w, double hour) {
  for (const HourWindow& x : w) {
    if (x.start_h < x.end_h ? (hour >= x.start_h && hour < x.end_h)
                            : (hour >= x.start_h || hour < x.end_h))
      return true;
  }
  return false;
}

void PowerCap::decide(const ClusterView& view, std::span<const Event>, std::vector<Decision>& out) {
  const double hour =
      view.hour_of_day ? view.hour_of_day(view.now_s) : std::fmod(view.now_s / 3600.0, 24.0);
  const bool dr = !opt_.dr_windows.empty() && in_windows(opt_.dr_windows, hour);
  const Watts cap = dr ? opt_.dr_cap_w : opt_.cap_w;
  const double frac = dr ? 0.0 : opt_.cap_tdp_fraction;
  if (!sent_ || cap != last_cap_w_ || frac != last_frac_) {
    switch (opt_.scope) {
      case CapScope::site:
        emit(out, SetPowerCap{CapScope::site, std::nullopt, cap, opt_.basis});
        break;
      case CapScope::rack:
        racks_.clear();
        for (const NodeView& n : view.nodes) racks_.push_back(n.rack);
        std::sort(racks_.begin(), racks_.end());
        racks_.erase(std::unique(racks_.begin(), racks_.end()), racks_.end());
        for (RackId r : racks_) emit(out, SetPowerCap{CapScope::rack, r, cap});
        break;
      case CapScope::node:
      case CapScope::device:
        for (const NodeView& n : view.nodes)
          emit(out, SetPowerCap{opt_.scope, n.id, cap, CapBasis::facility,
                                opt_.scope == CapScope::device ? frac : 0.0});
        break;
    }
    sent_ = true;
    last_cap_w_ = cap;
    last_frac_ = frac;
  }
  if (!opt_.dr_windows.empty()) {
    double dt_h = 24;
    for (const HourWindow& w : opt_.dr_windows) {
      for (double b : {w.start_h, w.end_h}) {
        double d = std::fmod(b - hour + 48.0, 24.0);
        if (d <= 1e-9) d = 24;
        dt_h = std::min(dt_h, d);
      }
    }
    wake_once(out, view.now_s + dt_h * 3600.0, last_wake_);
  }
}

}  // namespace dcsim
