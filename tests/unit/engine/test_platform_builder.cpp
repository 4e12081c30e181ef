// Specification of the SimGrid platform built from a SiteTopology: hosts, p-state speeds, routes,
// transfer times and the host properties SimGrid's energy plugin reads. One SimGrid engine per
// process: every TEST_CASE creates its own (ctest runs each case in its own process).
#include <catch2/catch.hpp>

#include <simgrid/plugins/energy.h>
#include <simgrid/s4u.hpp>

#include <string>
#include <vector>

#include "engine/platform_builder.hpp"

using namespace dcsim;
namespace sg4 = simgrid::s4u;

namespace {

// Holds argc/argv for the lifetime of the engine.
struct EngineArgs {
  std::vector<std::string> args;
  std::vector<char*> argv;
  int argc = 0;
  explicit EngineArgs(std::vector<std::string> extra) {
    args = {"test_platform_builder", "--log=root.thres:critical"};
    args.insert(args.end(), extra.begin(), extra.end());
    for (auto& a : args) argv.push_back(a.data());
    argc = static_cast<int>(argv.size());
  }
};
const std::vector<std::string> kCm02 = {"--cfg=network/model:CM02", "--cfg=network/crosstraffic:0"};

// Catalogue by hand:
//   X: 100 TFLOP/s bf16; p-states 1000 MHz / 400 W, 800 MHz / 300 W, 500 MHz / 200 W; idle 50 W.
//   n4: 4 × X, host idle 100 W, NIC 20 W, fans idle 30 W, off 10 W.
//     speeds 1e14, 8e13, 5e13 FLOP/s per core; idle = 4·50 + 100 + 20 + 30 = 350 W;
//     all cores = 350 + 4·(400−50) = 1750, 350 + 4·(300−50) = 1350, 350 + 4·(200−50) = 950 W.
//   Y: 50 TFLOP/s bf16, no p-state table, TDP 300 W, idle 40 W.
//   n2: 2 × Y, host idle 50 W, NIC 10 W, fans idle 20 W, off 5 W.
//     one state at 5e13 FLOP/s; idle = 2·40 + 80 = 160 W; all cores = 160 + 2·260 = 680 W.
// Site: 10 n4 nodes (racks 0–2) then 3 n2 nodes (rack 3); 2 racks per row; 400 Gbit/s node
// links (5e10 B/s), 600 Gbit/s leaf uplinks (7.5e10 B/s), 1 µs per link.
PlatformSpec small_platform(NetworkTopology topology = NetworkTopology::leaf_spine) {
  PlatformSpec p;
  p.name = "small";
  p.file = "platforms/sites/small.yaml";
  AcceleratorSpec x;
  x.name = "X";
  x.peak_tflops = {{"bf16", 100}};
  x.idle_power_w = 50;
  x.tdp_w = 400;
  x.pstates = {{1000, 0, 400}, {800, 0, 300}, {500, 0, 200}};
  AcceleratorSpec y;
  y.name = "Y";
  y.peak_tflops = {{"bf16", 50}};
  y.idle_power_w = 40;
  y.tdp_w = 300;
  p.accelerators = {{"X", x}, {"Y", y}};
  NodeSpec n4;
  n4.name = "n4";
  n4.accelerator = "X";
  n4.accelerators_per_node = 4;
  n4.host_idle_w = 100;
  n4.nic_w = 20;
  n4.fan_idle_w = 30;
  n4.off_power_w = 10;
  NodeSpec n2;
  n2.name = "n2";
  n2.accelerator = "Y";
  n2.accelerators_per_node = 2;
  n2.host_idle_w = 50;
  n2.nic_w = 10;
  n2.fan_idle_w = 20;
  n2.off_power_w = 5;
  p.node_types = {{"n4", n4}, {"n2", n2}};
  p.nodes = {{"n4", 10}, {"n2", 3}};
  p.network.topology = topology;
  p.network.node_link_gbps = 400;
  p.network.uplink_gbps = 600;
  p.network.link_latency_s = 1e-6;
  p.network.nodes_per_rack = 4;
  p.network.racks_per_row = 2;
  p.network.rows_per_room = 2;
  p.network.racks_per_power_domain = 1;
  p.network.racks_per_cooling_domain = 3;
  p.network.spine_switches = 2;
  return p;
}

BuiltPlatform build(const PlatformSpec& p) {
  auto topo = SiteTopology::build(p);
  return build_simgrid_platform(topo, p, host_types_from_catalogue(p));
}

std::vector<std::string> route_names(const sg4::Host* a, const sg4::Host* b, double* latency) {
  std::vector<sg4::Link*> links;
  *latency = 0;
  a->route_to(b, links, latency);
  std::vector<std::string> names;
  for (auto* l : links) names.push_back(l->get_name());
  return names;
}

// Sends `bytes` from each src[i] to dst[i], all at t = 0; returns the arrival times.
std::vector<double> transfer_times(const BuiltPlatform& bp, const std::vector<NodeId>& src,
                                   const std::vector<NodeId>& dst, double bytes) {
  static int payload = 0;
  std::vector<double> done(src.size(), -1);
  for (std::size_t i = 0; i < src.size(); ++i) {
    auto* box = sg4::Mailbox::by_name("box-" + std::to_string(i));
    sg4::Actor::create("send", bp.hosts[src[i]], [box, bytes] { box->put(&payload, static_cast<uint64_t>(bytes)); });
    sg4::Actor::create("recv", bp.hosts[dst[i]], [box, &done, i] {
      box->get<int>();
      done[i] = sg4::Engine::get_clock();
    });
  }
  sg4::Engine::get_instance()->run();
  return done;
}

}  // namespace

TEST_CASE("the platform has one host per node with one core per accelerator and a speed per p-state") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform());
  REQUIRE(bp.hosts.size() == 13);
  CHECK(e.get_host_count() == 13);
  CHECK(bp.rack_zones.size() == 4);
  CHECK(bp.zone == e.get_netzone_root());

  const sg4::Host* h0 = bp.hosts[0];
  CHECK(h0->get_name() == "node-0");
  CHECK(h0->get_core_count() == 4);
  REQUIRE(h0->get_pstate_count() == 3);
  CHECK(h0->get_pstate_speed(0) == Approx(1e14));
  CHECK(h0->get_pstate_speed(1) == Approx(8e13));
  CHECK(h0->get_pstate_speed(2) == Approx(5e13));
  CHECK(std::string(h0->get_property("wattage_per_state")) == "350:350:1750, 350:350:1350, 350:350:950");
  CHECK(std::string(h0->get_property("wattage_off")) == "10");

  const sg4::Host* h10 = bp.hosts[10];
  CHECK(h10->get_name() == "node-10");
  CHECK(h10->get_core_count() == 2);
  CHECK(h10->get_pstate_count() == 1);
  CHECK(h10->get_speed() == Approx(5e13));
  CHECK(std::string(h10->get_property("node_type")) == "n2");
  CHECK(std::string(h10->get_property("rack")) == "3");
  CHECK(std::string(h10->get_property("cooling_domain")) == "1");
  CHECK(std::string(h10->get_property("wattage_per_state")) == "160:160:680");
}

TEST_CASE("leaf-spine routes cross the NICs and the two leaf uplinks with the topology's latency") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto p = small_platform();
  auto topo = SiteTopology::build(p);
  auto bp = build_simgrid_platform(topo, p, host_types_from_catalogue(p));
  double lat = 0;
  CHECK(route_names(bp.hosts[0], bp.hosts[12], &lat) ==
        std::vector<std::string>{"node-0-nic_UP", "rack-0-uplink_UP", "rack-3-uplink_DOWN", "node-12-nic_DOWN"});
  CHECK(lat == Approx(topo.path_latency_s(topo.network_path(0, 12))));
  CHECK(lat == Approx(4e-6));
  CHECK(route_names(bp.hosts[1], bp.hosts[2], &lat) == std::vector<std::string>{"node-1-nic_UP", "node-2-nic_DOWN"});
  CHECK(lat == Approx(2e-6));
}

TEST_CASE("fat-tree routes climb to the row aggregation and the core only when they must") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform(NetworkTopology::fat_tree));
  double lat = 0;
  CHECK(route_names(bp.hosts[0], bp.hosts[12], &lat) ==
        std::vector<std::string>{"node-0-nic_UP", "rack-0-uplink_UP", "row-0-uplink_UP", "row-1-uplink_DOWN",
                                 "rack-3-uplink_DOWN", "node-12-nic_DOWN"});
  CHECK(lat == Approx(6e-6));
  CHECK(route_names(bp.hosts[0], bp.hosts[4], &lat) ==
        std::vector<std::string>{"node-0-nic_UP", "rack-0-uplink_UP", "rack-1-uplink_DOWN", "node-4-nic_DOWN"});
  // row 0 holds racks 0 and 1: 2 × 600 Gbit/s = 1.5e11 B/s to the core
  CHECK(sg4::Link::by_name("row-0-uplink_UP")->get_bandwidth() == Approx(1.5e11));
}

TEST_CASE("without a network model every host reaches every other through the two NICs only") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform(NetworkTopology::none));
  CHECK(bp.rack_zones.empty());
  double lat = 0;
  CHECK(route_names(bp.hosts[0], bp.hosts[12], &lat) == std::vector<std::string>{"node-0-nic_UP", "node-12-nic_DOWN"});
  CHECK(lat == Approx(2e-6));
}

TEST_CASE("a transfer between racks takes the path latency plus size over the bottleneck (CM02)") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform());
  // 1 GB over node-0 → leaf-0 → spine → leaf-3 → node-12: 4 µs + 1e9 B / 5e10 B/s (the NIC)
  auto t = transfer_times(bp, {0}, {12}, 1e9);
  CHECK(t[0] == Approx(4e-6 + 1e9 / 5e10).epsilon(1e-9));
}

TEST_CASE("a fat-tree transfer between rows pays six link latencies") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform(NetworkTopology::fat_tree));
  // node-0 → edge-0 → agg-0 → core → agg-1 → edge-3 → node-12: 6 µs + 1e9 B / 5e10 B/s
  auto t = transfer_times(bp, {0}, {12}, 1e9);
  CHECK(t[0] == Approx(6e-6 + 1e9 / 5e10).epsilon(1e-9));
}

TEST_CASE("two transfers leaving one rack share its leaf uplink") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform());
  // nodes 0 and 1 (rack 0) send to 10 and 11 (rack 3): the 7.5e10 B/s uplink is split in two,
  // 3.75e10 B/s each, below the 5e10 B/s NICs: 4 µs + 1e9 / 3.75e10 = 0.026670667 s
  auto t = transfer_times(bp, {0, 1}, {10, 11}, 1e9);
  CHECK(t[0] == Approx(4e-6 + 1e9 / 3.75e10).epsilon(1e-9));
  CHECK(t[1] == Approx(t[0]));
}

TEST_CASE("under SimGrid's default LV08 model the transfer time carries its latency and bandwidth factors") {
  EngineArgs a({"--cfg=network/crosstraffic:0"});
  sg4::Engine e(&a.argc, a.argv.data());
  auto bp = build(small_platform());
  // LV08 (Velho & Legrand 2009): latency × 13.01, bandwidth × 0.97
  auto t = transfer_times(bp, {0}, {12}, 1e9);
  CHECK(t[0] == Approx(13.01 * 4e-6 + 1e9 / (0.97 * 5e10)).epsilon(1e-6));
}

TEST_CASE("SimGrid's energy plugin reads the wattages the builder set per p-state and when off") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  sg_host_energy_plugin_init();  // before the platform exists
  auto bp = build(small_platform());
  sg4::Actor::create("work", bp.hosts[0], [&bp] {
    sg4::this_actor::sleep_for(10);  // idle at p-state 0: 350 W
    bp.hosts[0]->set_pstate(1);
    sg4::this_actor::execute(5 * 8e13);  // one core of 4 at 8e13 FLOP/s: 5 s at 350 + ¼·(1350−350) = 600 W
    bp.hosts[12]->turn_off();            // off from t = 15 s at 5 W
    sg4::this_actor::sleep_for(10);
  });
  e.run();
  CHECK(sg4::Engine::get_clock() == Approx(25));
  CHECK(sg_host_get_consumed_energy(bp.hosts[0]) == Approx(10 * 350 + 5 * 600 + 10 * 350));
  CHECK(sg_host_get_consumed_energy(bp.hosts[10]) == Approx(25 * 160));
  CHECK(sg_host_get_consumed_energy(bp.hosts[12]) == Approx(15 * 160 + 10 * 5));
}

TEST_CASE("a node type without host speeds is reported with its key path") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto p = small_platform();
  auto topo = SiteTopology::build(p);
  auto types = host_types_from_catalogue(p);
  types.erase("n2");
  try {
    build_simgrid_platform(topo, p, types);
    FAIL("expected InputError");
  } catch (const InputError& err) {
    REQUIRE(err.diagnostics().size() == 1);
    CHECK(err.diagnostics()[0].key_path == "nodes[1].type");
    CHECK(err.diagnostics()[0].message == "expected a node type with host speeds, got \"n2\"");
  }
  CHECK(e.get_host_count() == 0);  // nothing was created
}

TEST_CASE("an unknown accelerator in the catalogue is reported with its key path") {
  auto p = small_platform();
  p.node_types["n2"].accelerator = "Z";
  p.accelerators["X"].peak_tflops.clear();
  try {
    host_types_from_catalogue(p);
    FAIL("expected InputError");
  } catch (const InputError& err) {
    REQUIRE(err.diagnostics().size() == 2);
    CHECK(err.diagnostics()[0].key_path == "accelerators.X.peak_tflops.bf16");
    CHECK(err.diagnostics()[1].key_path == "node_types.n2.accelerator");
    CHECK(err.diagnostics()[1].message == "expected an accelerator of the catalogue, got \"Z\"");
  }
}

TEST_CASE("a 1250-node leaf-spine site builds and routes across its farthest racks") {
  EngineArgs a(kCm02);
  sg4::Engine e(&a.argc, a.argv.data());
  auto p = small_platform();
  p.nodes = {{"n4", 1250}};
  p.network.racks_per_row = 10;
  p.network.rows_per_room = 10;
  auto bp = build(p);
  CHECK(e.get_host_count() == 1250);
  CHECK(bp.rack_zones.size() == 313);  // ceil(1250 / 4)
  double lat = 0;
  CHECK(route_names(bp.hosts[0], bp.hosts[1249], &lat).size() == 4);
  CHECK(lat == Approx(4e-6));
}
