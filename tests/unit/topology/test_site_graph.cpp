// Specification of the site topology: layout rules, domain membership, network paths and the
// structural checks (platforms/README.md, section "Topology").
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "topology/site_graph.hpp"

using namespace dcsim;

namespace {

// 10 H200 nodes then 3 A100 nodes, 4 nodes per rack, 2 racks per row, 2 rows per room, one
// PDU per rack, one CRAH per 3 racks, 2 spines. By hand:
//   H200 group → racks 0, 1, 2 holding nodes 0–3, 4–7, 8–9; A100 group starts rack 3: nodes 10–12.
//   4 racks → rows 0 (racks 0, 1) and 1 (racks 2, 3) → 1 room.
//   power domains = 4 (one per rack); cooling domains = ceil(4 / 3) = 2: racks 0–2 and rack 3.
PlatformSpec small_site(NetworkTopology topology = NetworkTopology::leaf_spine) {
  PlatformSpec p;
  p.name = "small";
  p.file = "platforms/sites/small.yaml";
  p.nodes = {{"dgx-h200", 10}, {"dgx-a100", 3}};
  p.network.topology = topology;
  p.network.node_link_gbps = 400;
  p.network.uplink_gbps = 600;  // per leaf, split over 2 spines → 300 Gbit/s per spine link
  p.network.link_latency_s = 1e-6;
  p.network.nodes_per_rack = 4;
  p.network.racks_per_row = 2;
  p.network.rows_per_room = 2;
  p.network.racks_per_power_domain = 1;
  p.network.racks_per_cooling_domain = 3;
  p.network.spine_switches = 2;
  return p;
}

std::vector<NodeId> ids(std::span<const NodeId> s) { return {s.begin(), s.end()}; }

bool has_message(const std::vector<Diagnostic>& d, const std::string& part) {
  return std::any_of(d.begin(), d.end(), [&](const Diagnostic& x) { return x.message.find(part) != std::string::npos; });
}

int count_kind(const SiteGraph& g, VertexKind k) {
  int n = 0;
  for (auto [v, end] = boost::vertices(g); v != end; ++v) n += g[*v].kind == k;
  return n;
}

}  // namespace

TEST_CASE("a small leaf-spine site has the hand-counted rooms rows racks nodes domains and switches") {
  auto t = SiteTopology::build(small_site());
  CHECK(t.node_count() == 13);
  CHECK(t.rack_count() == 4);
  CHECK(t.row_count() == 2);
  CHECK(t.room_count() == 1);
  CHECK(t.power_domain_count() == 4);
  CHECK(t.cooling_domain_count() == 2);
  CHECK(t.switch_count() == 6);  // 4 leaves + 2 spines

  const auto& g = t.graph();
  // 1 site + 1 room + 2 rows + 4 racks + 13 nodes + 4 power + 2 cooling + 6 switches
  CHECK(boost::num_vertices(g) == 33);
  // contains 1+2+4+13, power 13, cooling 13, network 13 node links + 4 leaves × 2 spines
  CHECK(boost::num_edges(g) == 20 + 13 + 13 + 21);
  CHECK(count_kind(g, VertexKind::network_switch) == 6);
  CHECK(t.check_structure().empty());
}

TEST_CASE("each node group starts a new rack and nodes keep the order of the groups") {
  auto t = SiteTopology::build(small_site());
  CHECK(t.node_type(0) == "dgx-h200");
  CHECK(t.node_type(9) == "dgx-h200");
  CHECK(t.node_type(10) == "dgx-a100");
  CHECK(t.node_type_names() == std::vector<std::string>{"dgx-h200", "dgx-a100"});
  CHECK(t.rack_of(3) == 0);
  CHECK(t.rack_of(4) == 1);
  CHECK(t.rack_of(9) == 2);
  CHECK(t.rack_of(10) == 3);  // not rack 2, which still has two free slots
  CHECK(ids(t.nodes_of_rack(2)) == std::vector<NodeId>{8, 9});
  CHECK(ids(t.nodes_of_rack(3)) == std::vector<NodeId>{10, 11, 12});
  CHECK(t.row_of_rack(1) == 0);
  CHECK(t.row_of_rack(2) == 1);
  CHECK(t.room_of_row(1) == 0);
  CHECK(t.graph()[t.node_vertex(12)].name == "node-12");
  CHECK(t.graph()[t.rack_vertex(3)].name == "rack-3");
}

TEST_CASE("power and cooling domains group consecutive racks and list their nodes") {
  auto t = SiteTopology::build(small_site());
  CHECK(t.power_domain_of(5) == 1);  // rack 1, one PDU per rack
  CHECK(t.power_domain_of(12) == 3);
  CHECK(ids(t.nodes_of_power_domain(2)) == std::vector<NodeId>{8, 9});
  CHECK(t.cooling_domain_of(9) == 0);   // racks 0–2
  CHECK(t.cooling_domain_of(10) == 1);  // rack 3
  CHECK(t.nodes_of_cooling_domain(0).size() == 10);
  CHECK(ids(t.nodes_of_cooling_domain(1)) == std::vector<NodeId>{10, 11, 12});
  // the graph agrees: the cooling domain vertex has an edge to each of its nodes
  const auto& g = t.graph();
  int members = 0;
  for (auto [e, end] = boost::out_edges(t.cooling_domain_vertex(1), g); e != end; ++e) {
    REQUIRE(g[*e].kind == EdgeKind::cooling);
    CHECK(g[boost::target(*e, g)].kind == VertexKind::node);
    ++members;
  }
  CHECK(members == 3);
}

TEST_CASE("leaf-spine paths go through the leaf within a rack and through a spine across racks") {
  auto t = SiteTopology::build(small_site());
  auto same_rack = t.network_path(0, 3);
  CHECK(t.path_names(same_rack) == std::vector<std::string>{"node-0", "leaf-0", "node-3"});
  CHECK(t.path_latency_s(same_rack) == Approx(2e-6));
  CHECK(t.path_bottleneck_gbps(same_rack) == Approx(400));

  auto across = t.network_path(0, 12);
  CHECK(t.path_names(across) == std::vector<std::string>{"node-0", "leaf-0", "spine-0", "leaf-3", "node-12"});
  CHECK(t.path_latency_s(across) == Approx(4e-6));
  CHECK(t.path_bottleneck_gbps(across) == Approx(300));  // 600 Gbit/s uplink over 2 spines

  CHECK(t.path_names(t.network_path(7, 7)) == std::vector<std::string>{"node-7"});
}

TEST_CASE("fat-tree paths climb to the aggregation switch within a row and to a core across rows") {
  auto t = SiteTopology::build(small_site(NetworkTopology::fat_tree));
  CHECK(t.switch_count() == 8);  // 4 edge + 2 aggregation + 2 core
  auto same_row = t.network_path(0, 4);
  CHECK(t.path_names(same_row) == std::vector<std::string>{"node-0", "edge-0", "agg-0", "edge-1", "node-4"});
  auto across = t.network_path(0, 12);
  CHECK(t.path_names(across) ==
        std::vector<std::string>{"node-0", "edge-0", "agg-0", "core-0", "agg-1", "edge-3", "node-12"});
  CHECK(t.path_latency_s(across) == Approx(6e-6));
  // row 0 has 2 racks: 600 Gbit/s × 2 racks / 2 cores = 600 per agg→core link; node link 400
  CHECK(t.path_bottleneck_gbps(across) == Approx(400));
  CHECK(t.check_structure().empty());
}

TEST_CASE("a site without network has no switches and no network paths") {
  auto t = SiteTopology::build(small_site(NetworkTopology::none));
  CHECK(t.switch_count() == 0);
  CHECK(t.network_path(0, 12).empty());
  CHECK(t.check_structure().empty());
  CHECK(t.leaf_of_rack(0) == SiteGraph::null_vertex());
}

TEST_CASE("out-of-range layout numbers are reported together with their key paths") {
  auto p = small_site();
  p.network.nodes_per_rack = 0;
  p.nodes[1].count = -2;
  try {
    SiteTopology::build(p);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    const auto& d = e.diagnostics();
    REQUIRE(d.size() == 2);
    CHECK(d[0].key_path == "network.nodes_per_rack");
    CHECK(d[0].message == "expected an integer >= 1, got 0");
    CHECK(d[0].file == "platforms/sites/small.yaml");
    CHECK(d[1].key_path == "nodes[1].count");
  }
}

TEST_CASE("each structural check reports a hand-broken graph") {
  auto t = SiteTopology::build(small_site());
  auto& g = t.mutable_graph();

  SECTION("a vertex not connected to the site") {
    auto v = boost::add_vertex(g);
    g[v] = VertexProps{VertexKind::room, "room-orphan", 9, -1};
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(has_message(d, "expected a connected site graph, got 1 vertices not reachable from the site: room-orphan"));
  }
  SECTION("a node cut off from the network") {
    boost::remove_edge(t.node_vertex(5), t.leaf_of_rack(1), g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "network");
    CHECK(has_message(d, "1 cut off: node-5"));
  }
  SECTION("a leaf switch without uplink") {
    auto v = boost::add_vertex(g);
    g[v] = VertexProps{VertexKind::network_switch, "leaf-extra", 99, 0};
    boost::add_edge(t.node_vertex(0), v, EdgeProps{EdgeKind::network, 400, 1e-6}, g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected switch leaf-extra (tier 0) to have at least one uplink, got 0");
  }
  SECTION("a switch without downlink") {
    auto v = boost::add_vertex(g);
    g[v] = VertexProps{VertexKind::network_switch, "leaf-extra", 99, 0};
    boost::add_edge(v, *t.switches().rbegin(), EdgeProps{EdgeKind::network, 400, 1e-6}, g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected switch leaf-extra to have at least one downlink, got 0");
  }
  SECTION("a node in no rack") {
    boost::remove_edge(t.rack_vertex(0), t.node_vertex(2), g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected node-2 in exactly one rack, got 0");
  }
  SECTION("a node in two racks") {
    boost::add_edge(t.rack_vertex(1), t.node_vertex(2), EdgeProps{EdgeKind::contains, 0, 0}, g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected node-2 in exactly one rack, got 2");
  }
  SECTION("a node in no power domain") {
    boost::remove_edge(t.power_domain_vertex(3), t.node_vertex(11), g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected node-11 in exactly one power domain, got 0");
  }
  SECTION("a node in two cooling domains") {
    boost::add_edge(t.cooling_domain_vertex(1), t.node_vertex(0), EdgeProps{EdgeKind::cooling, 0, 0}, g);
    auto d = t.check_structure();
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "expected node-0 in exactly one cooling domain, got 2");
  }
  SECTION("all problems are reported at once") {
    boost::remove_edge(t.rack_vertex(0), t.node_vertex(2), g);
    boost::remove_edge(t.power_domain_vertex(3), t.node_vertex(11), g);
    boost::remove_edge(t.cooling_domain_vertex(0), t.node_vertex(1), g);
    CHECK(t.check_structure().size() == 3);
  }
}

TEST_CASE("a 10000-GPU site of 1250 nodes builds with one rack per 4 nodes") {
  PlatformSpec p;
  p.nodes = {{"dgx-h200", 1250}};
  auto t = SiteTopology::build(p);  // defaults: 4 nodes per rack, 10 racks per row, 10 rows per room
  CHECK(t.rack_count() == 313);     // ceil(1250 / 4)
  CHECK(t.row_count() == 32);       // ceil(313 / 10)
  CHECK(t.room_count() == 4);       // ceil(32 / 10)
  CHECK(t.cooling_domain_count() == 32);
  CHECK(t.nodes_of_rack(312).size() == 2);
  CHECK(t.path_names(t.network_path(0, 1249)).size() == 5);
}

TEST_CASE("the layout of platforms/sites/large-10k-h200.yaml gives the hand-counted fat-tree") {
  PlatformSpec p;  // the numbers of that file
  p.nodes = {{"dgx-h200", 1250}};
  p.network.topology = NetworkTopology::fat_tree;
  p.network.uplink_gbps = 3200;
  p.network.nodes_per_rack = 4;
  p.network.racks_per_row = 16;
  p.network.rows_per_room = 10;
  p.network.racks_per_power_domain = 2;
  p.network.racks_per_cooling_domain = 16;
  p.network.spine_switches = 32;
  auto t = SiteTopology::build(p);
  CHECK(t.rack_count() == 313);           // ceil(1250 / 4)
  CHECK(t.row_count() == 20);             // ceil(313 / 16)
  CHECK(t.room_count() == 2);             // ceil(20 / 10)
  CHECK(t.power_domain_count() == 157);   // ceil(313 / 2)
  CHECK(t.cooling_domain_count() == 20);  // one per row
  CHECK(t.switch_count() == 313 + 20 + 32);
  // the last row holds racks 304–312 (9 racks): 9 × 3200 / 32 = 900 Gbit/s per core link
  const auto& g = t.graph();
  const Vertex agg = t.aggregation_of_row(19);
  int core_links = 0;
  for (auto [e, end] = boost::out_edges(agg, g); e != end; ++e) {
    CHECK(g[*e].bandwidth_gbps == Approx(900));
    ++core_links;
  }
  CHECK(core_links == 32);
  CHECK(t.path_names(t.network_path(0, 1249)).size() == 7);
}
