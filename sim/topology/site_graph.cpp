#include "topology/site_graph.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <string>
#include <utility>

namespace dcsim {

const char* to_string(VertexKind k) {
  switch (k) {
    case VertexKind::site: return "site";
    case VertexKind::room: return "room";
    case VertexKind::row: return "row";
    case VertexKind::rack: return "rack";
    case VertexKind::node: return "node";
    case VertexKind::network_switch: return "switch";
    case VertexKind::power_domain: return "power_domain";
    case VertexKind::cooling_domain: return "cooling_domain";
  }
  return "?";
}

namespace {

std::uint32_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint32_t>((a + b - 1) / b);
}

// Names of up to `max` vertices, for messages ("a, b, c and 4 more").
std::string name_list(const SiteGraph& g, const std::vector<Vertex>& vs, std::size_t max = 5) {
  std::string s;
  for (std::size_t i = 0; i < vs.size() && i < max; ++i) {
    if (i) s += ", ";
    s += g[vs[i]].name;
  }
  if (vs.size() > max) s += " and " + std::to_string(vs.size() - max) + " more";
  return s;
}

// Breadth-first reachability from `start` over edges accepted by `use_edge`, ignoring
// direction; vertices rejected by `expand` are reached but not walked through.
template <class EdgeFilter, class VertexFilter>
std::vector<char> reachable(const SiteGraph& g, Vertex start, EdgeFilter use_edge,
                            VertexFilter expand) {
  std::vector<char> seen(boost::num_vertices(g), 0);
  std::deque<Vertex> queue{start};
  seen[start] = 1;
  while (!queue.empty()) {
    Vertex v = queue.front();
    queue.pop_front();
    if (v != start && !expand(v)) continue;
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      Vertex w = boost::target(*e, g);
      if (use_edge(g[*e]) && !seen[w]) {
        seen[w] = 1;
        queue.push_back(w);
      }
    }
    for (auto [e, end] = boost::in_edges(v, g); e != end; ++e) {
      Vertex w = boost::source(*e, g);
      if (use_edge(g[*e]) && !seen[w]) {
        seen[w] = 1;
        queue.push_back(w);
      }
    }
  }
  return seen;
}

}  // namespace

Vertex SiteTopology::add_vertex(VertexKind kind, std::string name, std::uint32_t index, int tier) {
  Vertex v = boost::add_vertex(g_);
  g_[v] = VertexProps{kind, std::move(name), index, tier};
  return v;
}

void SiteTopology::add_network_edge(Vertex lower, Vertex upper, double gbps) {
  boost::add_edge(lower, upper, EdgeProps{EdgeKind::network, gbps, network_.link_latency_s}, g_);
}

SiteTopology SiteTopology::build(const PlatformSpec& spec) {
  const NetworkSpec& net = spec.network;
  DiagnosticSink sink;
  auto bad = [&](const std::string& key, const std::string& message) {
    sink.add(Diagnostic{spec.file, 0, 0, key, message});
  };
  auto positive_int = [&](const char* key, int v) {
    if (v < 1) bad(std::string("network.") + key, "expected an integer >= 1, got " + std::to_string(v));
  };
  positive_int("nodes_per_rack", net.nodes_per_rack);
  positive_int("racks_per_row", net.racks_per_row);
  positive_int("rows_per_room", net.rows_per_room);
  positive_int("racks_per_power_domain", net.racks_per_power_domain);
  positive_int("racks_per_cooling_domain", net.racks_per_cooling_domain);
  const bool leaf_spine = net.topology == NetworkTopology::leaf_spine;
  const bool fat_tree = net.topology == NetworkTopology::fat_tree;
  if (leaf_spine || fat_tree) {
    positive_int("spine_switches", net.spine_switches);
    if (!(net.node_link_gbps > 0))
      bad("network.node_link_gbps", "expected a bandwidth > 0, got " + std::to_string(net.node_link_gbps));
    if (!(net.uplink_gbps > 0))
      bad("network.uplink_gbps", "expected a bandwidth > 0, got " + std::to_string(net.uplink_gbps));
    if (!(net.link_latency_s >= 0))
      bad("network.link_latency_s", "expected a latency >= 0, got " + std::to_string(net.link_latency_s));
  }
  std::uint64_t total_nodes = 0;
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    const auto& grp = spec.nodes[i];
    const std::string key = "nodes[" + std::to_string(i) + "]";
    if (grp.count < 0) bad(key + ".count", "expected a node count >= 0, got " + std::to_string(grp.count));
    else total_nodes += static_cast<std::uint64_t>(grp.count);
    if (grp.node_type.empty()) bad(key + ".type", "expected a node type name, got an empty string");
  }
  if (sink.empty() && total_nodes == 0)
    bad("nodes", "expected at least one node, got 0");
  if (total_nodes > std::numeric_limits<NodeId>::max() / 2)
    bad("nodes", "expected at most 2^31 nodes, got " + std::to_string(total_nodes));
  sink.throw_if_any();

  SiteTopology t;
  t.network_ = net;
  t.file_ = spec.file;
  const auto npr = static_cast<std::uint32_t>(net.nodes_per_rack);

  // Node types and racks: every group starts a new rack.
  std::uint32_t racks = 0;
  for (const auto& grp : spec.nodes) {
    if (grp.count == 0) continue;
    auto it = std::find(t.node_type_names_.begin(), t.node_type_names_.end(), grp.node_type);
    const auto type = static_cast<std::uint16_t>(it - t.node_type_names_.begin());
    if (it == t.node_type_names_.end()) t.node_type_names_.push_back(grp.node_type);
    const auto count = static_cast<std::uint32_t>(grp.count);
    for (std::uint32_t k = 0; k < count; ++k) {
      t.node_type_.push_back(type);
      t.node_rack_.push_back(racks + k / npr);
    }
    racks += ceil_div(count, npr);
  }
  const std::uint32_t n_nodes = static_cast<std::uint32_t>(t.node_type_.size());
  const std::uint32_t rows = ceil_div(racks, static_cast<std::uint32_t>(net.racks_per_row));
  t.room_count_ = ceil_div(rows, static_cast<std::uint32_t>(net.rows_per_room));
  t.power_domain_count_ = ceil_div(racks, static_cast<std::uint32_t>(net.racks_per_power_domain));
  t.cooling_domain_count_ = ceil_div(racks, static_cast<std::uint32_t>(net.racks_per_cooling_domain));
  t.rack_row_.resize(racks);
  for (std::uint32_t r = 0; r < racks; ++r) t.rack_row_[r] = r / static_cast<std::uint32_t>(net.racks_per_row);
  t.row_room_.resize(rows);
  for (std::uint32_t w = 0; w < rows; ++w) t.row_room_[w] = w / static_cast<std::uint32_t>(net.rows_per_room);
  t.node_power_.resize(n_nodes);
  t.node_cooling_.resize(n_nodes);
  for (NodeId n = 0; n < n_nodes; ++n) {
    t.node_power_[n] = t.node_rack_[n] / static_cast<std::uint32_t>(net.racks_per_power_domain);
    t.node_cooling_[n] = t.node_rack_[n] / static_cast<std::uint32_t>(net.racks_per_cooling_domain);
  }

  // Grouped lists (CSR); nodes are already in rack order, so each group's ids ascend.
  auto group = [&](const std::vector<std::uint32_t>& key, std::uint32_t groups, Csr& out) {
    out.offsets.assign(groups + 1, 0);
    for (auto k : key) ++out.offsets[k + 1];
    for (std::uint32_t i = 0; i < groups; ++i) out.offsets[i + 1] += out.offsets[i];
    out.ids.resize(key.size());
    std::vector<std::uint32_t> fill(out.offsets.begin(), out.offsets.end() - 1);
    for (NodeId n = 0; n < key.size(); ++n) out.ids[fill[key[n]]++] = n;
  };
  group(t.node_rack_, racks, t.rack_nodes_);
  group(t.node_power_, t.power_domain_count_, t.power_nodes_);
  group(t.node_cooling_, t.cooling_domain_count_, t.cooling_nodes_);

  // ---- the graph ----
  t.site_ = t.add_vertex(VertexKind::site, "site", 0);
  std::vector<Vertex> room_v(t.room_count_), row_v(rows);
  auto contains = [&](Vertex parent, Vertex child) {
    boost::add_edge(parent, child, EdgeProps{EdgeKind::contains, 0, 0}, t.g_);
  };
  for (std::uint32_t i = 0; i < t.room_count_; ++i) {
    room_v[i] = t.add_vertex(VertexKind::room, "room-" + std::to_string(i), i);
    contains(t.site_, room_v[i]);
  }
  for (std::uint32_t w = 0; w < rows; ++w) {
    row_v[w] = t.add_vertex(VertexKind::row, "row-" + std::to_string(w), w);
    contains(room_v[t.row_room_[w]], row_v[w]);
  }
  t.rack_vertex_.resize(racks);
  for (RackId r = 0; r < racks; ++r) {
    t.rack_vertex_[r] = t.add_vertex(VertexKind::rack, "rack-" + std::to_string(r), r);
    contains(row_v[t.rack_row_[r]], t.rack_vertex_[r]);
  }
  t.node_vertex_.resize(n_nodes);
  for (NodeId n = 0; n < n_nodes; ++n) {
    t.node_vertex_[n] = t.add_vertex(VertexKind::node, "node-" + std::to_string(n), n);
    contains(t.rack_vertex_[t.node_rack_[n]], t.node_vertex_[n]);
  }
  t.power_vertex_.resize(t.power_domain_count_);
  for (std::uint32_t d = 0; d < t.power_domain_count_; ++d) {
    t.power_vertex_[d] = t.add_vertex(VertexKind::power_domain, "power-" + std::to_string(d), d);
    for (NodeId n : t.nodes_of_power_domain(d))
      boost::add_edge(t.power_vertex_[d], t.node_vertex_[n], EdgeProps{EdgeKind::power, 0, 0}, t.g_);
  }
  t.cooling_vertex_.resize(t.cooling_domain_count_);
  for (std::uint32_t d = 0; d < t.cooling_domain_count_; ++d) {
    t.cooling_vertex_[d] = t.add_vertex(VertexKind::cooling_domain, "cooling-" + std::to_string(d), d);
    for (NodeId n : t.nodes_of_cooling_domain(d))
      boost::add_edge(t.cooling_vertex_[d], t.node_vertex_[n], EdgeProps{EdgeKind::cooling, 0, 0}, t.g_);
  }

  t.rack_leaf_.assign(racks, SiteGraph::null_vertex());
  t.row_agg_.assign(rows, SiteGraph::null_vertex());
  if (leaf_spine || fat_tree) {
    const auto spines = static_cast<std::uint32_t>(net.spine_switches);
    const char* leaf_name = leaf_spine ? "leaf-" : "edge-";
    for (RackId r = 0; r < racks; ++r) {
      t.rack_leaf_[r] = t.add_vertex(VertexKind::network_switch, leaf_name + std::to_string(r), r, 0);
      t.switches_.push_back(t.rack_leaf_[r]);
      for (NodeId n : t.nodes_of_rack(r)) t.add_network_edge(t.node_vertex_[n], t.rack_leaf_[r], net.node_link_gbps);
    }
    if (fat_tree) {
      for (std::uint32_t w = 0; w < rows; ++w) {
        t.row_agg_[w] = t.add_vertex(VertexKind::network_switch, "agg-" + std::to_string(w), w, 1);
        t.switches_.push_back(t.row_agg_[w]);
      }
      for (RackId r = 0; r < racks; ++r) t.add_network_edge(t.rack_leaf_[r], t.row_agg_[t.rack_row_[r]], net.uplink_gbps);
    }
    const int top = fat_tree ? 2 : 1;
    std::vector<Vertex> top_v(spines);
    for (std::uint32_t s = 0; s < spines; ++s) {
      top_v[s] = t.add_vertex(VertexKind::network_switch, (fat_tree ? "core-" : "spine-") + std::to_string(s), s, top);
      t.switches_.push_back(top_v[s]);
    }
    if (leaf_spine) {
      for (RackId r = 0; r < racks; ++r)
        for (Vertex s : top_v) t.add_network_edge(t.rack_leaf_[r], s, net.uplink_gbps / spines);
    } else {
      std::vector<std::uint32_t> racks_in_row(rows, 0);
      for (RackId r = 0; r < racks; ++r) ++racks_in_row[t.rack_row_[r]];
      for (std::uint32_t w = 0; w < rows; ++w)
        for (Vertex s : top_v) t.add_network_edge(t.row_agg_[w], s, net.uplink_gbps * racks_in_row[w] / spines);
    }
    t.top_tier_ = top;
  }

  auto diags = t.check_structure();
  if (!diags.empty()) throw InputError(std::move(diags));
  return t;
}

std::vector<Diagnostic> SiteTopology::check_structure() const {
  std::vector<Diagnostic> out;
  auto report = [&](const std::string& key, std::string message) {
    out.push_back(Diagnostic{file_, 0, 0, key, std::move(message)});
  };
  const auto nv = boost::num_vertices(g_);

  // 1. connected through any edge, direction ignored
  {
    auto seen = reachable(g_, site_, [](const EdgeProps&) { return true; }, [](Vertex) { return true; });
    std::vector<Vertex> lost;
    for (Vertex v = 0; v < nv; ++v)
      if (!seen[v]) lost.push_back(v);
    if (!lost.empty())
      report("", "expected a connected site graph, got " + std::to_string(lost.size()) +
                     " vertices not reachable from the site: " + name_list(g_, lost));
  }

  // 2. network connected: every node and switch reachable from the first node through links
  if (network_.topology != NetworkTopology::none) {
    std::vector<Vertex> members;
    for (Vertex v = 0; v < nv; ++v)
      if (g_[v].kind == VertexKind::node || g_[v].kind == VertexKind::network_switch) members.push_back(v);
    auto first = std::find_if(members.begin(), members.end(),
                              [&](Vertex v) { return g_[v].kind == VertexKind::node; });
    if (first != members.end()) {
      auto seen = reachable(
          g_, *first, [](const EdgeProps& e) { return e.kind == EdgeKind::network; },
          [&](Vertex v) { return g_[v].kind == VertexKind::network_switch; });
      std::vector<Vertex> lost;
      for (Vertex v : members)
        if (!seen[v]) lost.push_back(v);
      if (!lost.empty())
        report("network", "expected every node and switch connected by network links to " + g_[*first].name +
                              ", got " + std::to_string(lost.size()) + " cut off: " + name_list(g_, lost));
    }
  }

  // 3. no dangling ports; 4.–6. exactly one rack, power domain and cooling domain per node
  for (Vertex v = 0; v < nv; ++v) {
    const auto& p = g_[v];
    if (p.kind == VertexKind::network_switch) {
      int down = 0, up = 0;
      for (auto [e, end] = boost::in_edges(v, g_); e != end; ++e) down += g_[*e].kind == EdgeKind::network;
      for (auto [e, end] = boost::out_edges(v, g_); e != end; ++e) up += g_[*e].kind == EdgeKind::network;
      if (down == 0)
        report("network", "expected switch " + p.name + " to have at least one downlink, got 0");
      if (p.tier < top_tier_ && up == 0)
        report("network", "expected switch " + p.name + " (tier " + std::to_string(p.tier) +
                              ") to have at least one uplink, got 0");
    } else if (p.kind == VertexKind::node) {
      int racks = 0, other_parents = 0, power = 0, cooling = 0;
      for (auto [e, end] = boost::in_edges(v, g_); e != end; ++e) {
        switch (g_[*e].kind) {
          case EdgeKind::contains:
            (g_[boost::source(*e, g_)].kind == VertexKind::rack ? racks : other_parents) += 1;
            break;
          case EdgeKind::power: ++power; break;
          case EdgeKind::cooling: ++cooling; break;
          case EdgeKind::network: break;
        }
      }
      if (racks != 1 || other_parents != 0)
        report("nodes", "expected " + p.name + " in exactly one rack, got " + std::to_string(racks) +
                            (other_parents ? " and " + std::to_string(other_parents) + " other parents" : ""));
      if (power != 1)
        report("network.racks_per_power_domain",
               "expected " + p.name + " in exactly one power domain, got " + std::to_string(power));
      if (cooling != 1)
        report("network.racks_per_cooling_domain",
               "expected " + p.name + " in exactly one cooling domain, got " + std::to_string(cooling));
    }
  }
  return out;
}

std::vector<Vertex> SiteTopology::network_path(NodeId a, NodeId b) const {
  const Vertex src = node_vertex_.at(a), dst = node_vertex_.at(b);
  if (src == dst) return {src};
  const auto nv = boost::num_vertices(g_);
  const Vertex none = SiteGraph::null_vertex();
  std::vector<Vertex> pred(nv, none);
  std::deque<Vertex> queue{src};
  pred[src] = src;
  auto visit = [&](Vertex from, Vertex to) {
    if (pred[to] != none) return;
    pred[to] = from;
    queue.push_back(to);
  };
  while (!queue.empty() && pred[dst] == none) {
    Vertex v = queue.front();
    queue.pop_front();
    if (v != src && g_[v].kind != VertexKind::network_switch) continue;  // nodes do not forward
    for (auto [e, end] = boost::out_edges(v, g_); e != end; ++e)
      if (g_[*e].kind == EdgeKind::network) visit(v, boost::target(*e, g_));
    for (auto [e, end] = boost::in_edges(v, g_); e != end; ++e)
      if (g_[*e].kind == EdgeKind::network) visit(v, boost::source(*e, g_));
  }
  if (pred[dst] == none) return {};
  std::vector<Vertex> path{dst};
  while (path.back() != src) path.push_back(pred[path.back()]);
  std::reverse(path.begin(), path.end());
  return path;
}

namespace {
const EdgeProps* find_link(const SiteGraph& g, Vertex u, Vertex v) {
  for (auto [e, end] = boost::out_edges(u, g); e != end; ++e)
    if (boost::target(*e, g) == v && g[*e].kind == EdgeKind::network) return &g[*e];
  for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
    if (boost::target(*e, g) == u && g[*e].kind == EdgeKind::network) return &g[*e];
  throw InvariantError("no network link between " + g[u].name + " and " + g[v].name);
}
}  // namespace

Seconds SiteTopology::path_latency_s(const std::vector<Vertex>& path) const {
  Seconds s = 0;
  for (std::size_t i = 1; i < path.size(); ++i) s += find_link(g_, path[i - 1], path[i])->latency_s;
  return s;
}

double SiteTopology::path_bottleneck_gbps(const std::vector<Vertex>& path) const {
  if (path.size() < 2) return 0;
  double bw = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i < path.size(); ++i)
    bw = std::min(bw, find_link(g_, path[i - 1], path[i])->bandwidth_gbps);
  return bw;
}

std::vector<std::string> SiteTopology::path_names(const std::vector<Vertex>& path) const {
  std::vector<std::string> names;
  names.reserve(path.size());
  for (Vertex v : path) names.push_back(g_[v].name);
  return names;
}

}  // namespace dcsim
