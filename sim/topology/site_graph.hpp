#pragma once
// The physical site as a Boost.Graph: containment (site → rooms → rows → racks → nodes), the
// network (nodes, switches and links with bandwidth and latency) and the power and cooling
// domains. Built once from a PlatformSpec; the engine reads the flat arrays below in its hot
// paths and never walks the graph per event.
//
// Layout rules (documented for users in platforms/README.md, section "Topology"):
//   - Nodes are numbered 0..N−1 in the order of PlatformSpec::nodes (the node groups).
//   - Racks hold `nodes_per_rack` nodes; each node group starts a new rack, so racks are
//     homogeneous (a partly filled last rack per group is allowed).
//   - Racks are numbered in order; `racks_per_row` consecutive racks form a row, and
//     `rows_per_room` consecutive rows a room.
//   - Power domain k feeds racks [k·racks_per_power_domain, (k+1)·racks_per_power_domain);
//     cooling domains likewise with racks_per_cooling_domain. Membership edges go from the
//     domain to each node it serves (so "one domain per node" is checkable per node).
//   - Network, `topology`:
//       leaf-spine: one leaf (ToR) switch per rack, `spine_switches` spines; every leaf links
//                   to every spine. node↔leaf links carry node_link_gbps; a leaf's total uplink
//                   capacity is uplink_gbps, split evenly over its spine links.
//       fat-tree:   three tiers (Leiserson fat tree): an edge (ToR) switch per rack, an
//                   aggregation switch per row, `spine_switches` core switches. edge→agg links
//                   carry uplink_gbps; each row's total capacity to the core is uplink_gbps ×
//                   racks in the row (the tree gets fatter upward, non-blocking), split evenly
//                   over the core links.
//       none:       no switches and no network edges (the engine then models an ideal
//                   crossbar limited only by each node's NIC).
//     Every link has latency link_latency_s. Network edges point upward (lower tier → higher).
#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "model/specs.hpp"

namespace dcsim {

enum class VertexKind : std::uint8_t {
  site,
  room,
  row,
  rack,
  node,
  network_switch,
  power_domain,
  cooling_domain,
};
const char* to_string(VertexKind k);

// Switch tiers: 0 = leaf / ToR / edge, 1 = spine (leaf-spine) or aggregation (fat-tree),
// 2 = core (fat-tree).
struct VertexProps {
  VertexKind kind = VertexKind::site;
  std::string name;         // unique in the graph: "rack-12", "node-47", "leaf-3", "spine-0"…
  std::uint32_t index = 0;  // index among the vertices of its kind (node id, rack id…)
  int tier = -1;            // switches only
};

enum class EdgeKind : std::uint8_t {
  contains,  // parent → child (site → room → row → rack → node)
  network,   // lower tier → upper tier (node → leaf, leaf → spine…)
  power,     // power domain → node
  cooling,   // cooling domain → node
};

struct EdgeProps {
  EdgeKind kind = EdgeKind::contains;
  double bandwidth_gbps = 0;  // network edges only (Gbit/s, each direction)
  Seconds latency_s = 0;      // network edges only
};

using SiteGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                        VertexProps, EdgeProps>;
using Vertex = SiteGraph::vertex_descriptor;

class SiteTopology {
 public:
  // Builds the site; throws InputError (all problems at once) when the spec's layout numbers
  // are out of range or the resulting graph fails check_structure().
  static SiteTopology build(const PlatformSpec& spec);

  // ---- counts ---------------------------------------------------------------------------------
  std::uint32_t node_count() const { return static_cast<std::uint32_t>(node_type_.size()); }
  std::uint32_t rack_count() const { return static_cast<std::uint32_t>(rack_row_.size()); }
  std::uint32_t row_count() const { return static_cast<std::uint32_t>(row_room_.size()); }
  std::uint32_t room_count() const { return room_count_; }
  std::uint32_t power_domain_count() const { return power_domain_count_; }
  std::uint32_t cooling_domain_count() const { return cooling_domain_count_; }
  std::uint32_t switch_count() const { return static_cast<std::uint32_t>(switches_.size()); }
  NetworkTopology network_topology() const { return network_.topology; }
  const NetworkSpec& network() const { return network_; }

  // ---- flat per-node / per-rack arrays (hot paths) ----------------------------------------------
  // Node type of a node, as an index into node_type_names() and as a name.
  std::uint16_t node_type_index(NodeId n) const { return node_type_[n]; }
  const std::string& node_type(NodeId n) const { return node_type_names_[node_type_[n]]; }
  const std::vector<std::string>& node_type_names() const { return node_type_names_; }
  RackId rack_of(NodeId n) const { return node_rack_[n]; }
  std::uint32_t power_domain_of(NodeId n) const { return node_power_[n]; }
  std::uint32_t cooling_domain_of(NodeId n) const { return node_cooling_[n]; }
  std::uint32_t row_of_rack(RackId r) const { return rack_row_[r]; }
  std::uint32_t room_of_row(std::uint32_t row) const { return row_room_[row]; }
  std::span<const NodeId> nodes_of_rack(RackId r) const { return slice(rack_nodes_, r); }
  std::span<const NodeId> nodes_of_power_domain(std::uint32_t d) const {
    return slice(power_nodes_, d);
  }
  std::span<const NodeId> nodes_of_cooling_domain(std::uint32_t d) const {
    return slice(cooling_nodes_, d);
  }
  std::span<const std::uint32_t> node_rack_ids() const { return node_rack_; }
  std::span<const std::uint32_t> node_power_domain_ids() const { return node_power_; }
  std::span<const std::uint32_t> node_cooling_domain_ids() const { return node_cooling_; }

  // ---- graph ----------------------------------------------------------------------------------
  const SiteGraph& graph() const { return g_; }
  // Mutable access, for tests that break the graph on purpose and for later extensions
  // (failure domains). The flat arrays above are not updated by graph edits.
  SiteGraph& mutable_graph() { return g_; }
  Vertex site_vertex() const { return site_; }
  Vertex node_vertex(NodeId n) const { return node_vertex_[n]; }
  Vertex rack_vertex(RackId r) const { return rack_vertex_[r]; }
  Vertex power_domain_vertex(std::uint32_t d) const { return power_vertex_[d]; }
  Vertex cooling_domain_vertex(std::uint32_t d) const { return cooling_vertex_[d]; }
  // Switch vertices in creation order (leaves/edges by rack, then aggregation by row, then
  // spines/cores); leaf_of_rack gives the ToR of a rack (none if topology is "none").
  std::span<const Vertex> switches() const { return switches_; }
  Vertex leaf_of_rack(RackId r) const { return rack_leaf_[r]; }
  Vertex aggregation_of_row(std::uint32_t row) const { return row_agg_[row]; }

  // ---- queries (graph walks, not for per-event use) ---------------------------------------------
  // Shortest network path between two nodes as vertex list, both ends included ({a} if a == b,
  // empty if no network path exists). Ties go to the lowest-numbered switch.
  std::vector<Vertex> network_path(NodeId a, NodeId b) const;
  // Sum of link latencies and the smallest link bandwidth along a path (0 for < 2 vertices).
  Seconds path_latency_s(const std::vector<Vertex>& path) const;
  double path_bottleneck_gbps(const std::vector<Vertex>& path) const;
  // Vertex names of a path, e.g. {"node-0", "leaf-0", "spine-0", "leaf-1", "node-5"}.
  std::vector<std::string> path_names(const std::vector<Vertex>& path) const;

  // Structural checks on the graph as it is now, all reported together:
  //   connected (every vertex reachable from the site through any edge), network connected
  //   (nodes and switches form one component through network edges, unless topology none),
  //   no dangling ports (every switch has a downlink, and an uplink unless top tier), every node
  //   in exactly one rack, exactly one power domain and exactly one cooling domain.
  std::vector<Diagnostic> check_structure() const;

 private:
  template <class T>
  static std::span<const T> slice(const std::vector<std::uint32_t>& offsets,
                                  const std::vector<T>& values, std::uint32_t i) {
    return std::span<const T>(values).subspan(offsets[i], offsets[i + 1] - offsets[i]);
  }
  struct Csr {
    std::vector<std::uint32_t> offsets;  // size = groups + 1
    std::vector<NodeId> ids;
  };
  static std::span<const NodeId> slice(const Csr& c, std::uint32_t i) {
    return slice(c.offsets, c.ids, i);
  }
  Vertex add_vertex(VertexKind kind, std::string name, std::uint32_t index, int tier = -1);
  void add_network_edge(Vertex lower, Vertex upper, double gbps);

  SiteGraph g_;
  NetworkSpec network_;
  std::string file_;
  Vertex site_ = 0;
  std::uint32_t room_count_ = 0;
  std::uint32_t power_domain_count_ = 0;
  std::uint32_t cooling_domain_count_ = 0;
  int top_tier_ = -1;

  std::vector<std::string> node_type_names_;
  std::vector<std::uint16_t> node_type_;
  std::vector<std::uint32_t> node_rack_, node_power_, node_cooling_;
  std::vector<std::uint32_t> rack_row_, row_room_;
  Csr rack_nodes_, power_nodes_, cooling_nodes_;

  std::vector<Vertex> node_vertex_, rack_vertex_, power_vertex_, cooling_vertex_;
  std::vector<Vertex> switches_, rack_leaf_, row_agg_;
};

}  // namespace dcsim
