// SiteTopology → SimGrid zones, hosts and links (see platform_builder.hpp for the mapping and the
// timing model of transfers).
#include "engine/platform_builder.hpp"

#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>

#include <charconv>
#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "physics/dvfs.hpp"

namespace sg4 = simgrid::s4u;

namespace dcsim {

namespace {

std::string fmt_double(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// "idle:epsilon:all_cores, …" as SimGrid's host energy plugin parses it.
std::string wattage_per_state(const std::vector<HostPowerState>& states) {
  std::string s;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (i) s += ", ";
    s += fmt_double(states[i].idle_w) + ":" + fmt_double(states[i].epsilon_w) + ":" +
         fmt_double(states[i].all_cores_w);
  }
  return s;
}

constexpr double bytes_per_s(double gbps) { return gbps * 1e9 / 8.0; }

}  // namespace

HostTypeTable host_types_from_catalogue(const PlatformSpec& spec, const std::string& precision) {
  DiagnosticSink sink;
  HostTypeTable table;
  for (std::size_t g = 0; g < spec.nodes.size(); ++g) {
    const std::string& type = spec.nodes[g].node_type;
    if (table.count(type)) continue;
    auto nt = spec.node_types.find(type);
    if (nt == spec.node_types.end()) {
      sink.add({spec.file, 0, 0, "nodes[" + std::to_string(g) + "].type",
                "expected a node type of the catalogue, got \"" + type + "\""});
      continue;
    }
    const NodeSpec& node = nt->second;
    auto ac = spec.accelerators.find(node.accelerator);
    if (ac == spec.accelerators.end()) {
      sink.add({spec.file, 0, 0, "node_types." + type + ".accelerator",
                "expected an accelerator of the catalogue, got \"" + node.accelerator + "\""});
      continue;
    }
    const AcceleratorSpec& acc = ac->second;
    // The documented precision fallbacks (physics/dvfs.hpp): a V100 (fp16 only) runs bf16 as fp16.
    double peak = 0;
    try {
      peak = effective_peak_flops(acc, precision);
    } catch (const std::invalid_argument&) {
      peak = 0;
    }
    if (!(peak > 0)) {
      sink.add({spec.file, 0, 0, "accelerators." + acc.name + ".peak_tflops." + precision,
                "expected a peak throughput > 0 for the precision the engine uses, got none"});
      continue;
    }
    if (node.accelerators_per_node < 1) {
      sink.add({spec.file, 0, 0, "node_types." + type + ".accelerators_per_node",
                "expected an integer >= 1, got " + std::to_string(node.accelerators_per_node)});
      continue;
    }
    HostTypeSpec h;
    h.cores = node.accelerators_per_node;
    const double n = h.cores;
    const Watts idle_w = n * acc.idle_power_w + node.host_idle_w + node.nic_w + node.fan_idle_w;
    std::vector<PState> states = acc.pstates;
    if (states.empty()) states.push_back(PState{1, 0, acc.tdp_w});  // no DVFS table: one state at peak
    const double f_max = states.front().freq_mhz;
    for (const PState& p : states) {
      h.speed_per_pstate.push_back(peak * p.freq_mhz / f_max);
      h.watts_per_pstate.push_back({idle_w, idle_w, idle_w + n * (p.full_power_w - acc.idle_power_w)});
    }
    h.off_w = node.off_power_w;
    table.emplace(type, std::move(h));
  }
  sink.throw_if_any();
  return table;
}

BuiltPlatform build_simgrid_platform(const SiteTopology& topo, const PlatformSpec& spec,
                                     const HostTypeTable& host_types) {
  // Every node type needs its SimGrid description, checked before anything is created.
  std::vector<const HostTypeSpec*> type_spec;
  std::vector<std::string> wattages;
  {
    DiagnosticSink sink;
    for (const std::string& name : topo.node_type_names()) {
      auto it = host_types.find(name);
      if (it == host_types.end()) {
        std::size_t g = 0;
        while (g < spec.nodes.size() && spec.nodes[g].node_type != name) ++g;
        sink.add({spec.file, 0, 0, "nodes[" + std::to_string(g) + "].type",
                  "expected a node type with host speeds, got \"" + name + "\""});
        continue;
      }
      const HostTypeSpec& h = it->second;
      if (h.speed_per_pstate.empty() || h.cores < 1)
        throw InvariantError("host type " + name + " has no p-state speeds or no cores");
      if (!h.watts_per_pstate.empty() && h.watts_per_pstate.size() != h.speed_per_pstate.size())
        throw InvariantError("host type " + name + ": " + std::to_string(h.watts_per_pstate.size()) +
                             " power states for " + std::to_string(h.speed_per_pstate.size()) + " p-states");
      type_spec.push_back(&h);
      wattages.push_back(wattage_per_state(h.watts_per_pstate));
    }
    sink.throw_if_any();
  }

  const NetworkSpec& net = topo.network();
  const double latency_s = net.link_latency_s;
  auto* engine = sg4::Engine::get_instance();
  const sg4::NetZone* root = engine->get_netzone_root();

  BuiltPlatform out;
  out.hosts.resize(topo.node_count(), nullptr);
  out.zone = sg4::create_star_zone("site");
  if (root) out.zone->set_parent(root);

  using Dir = sg4::LinkInRoute::Direction;
  const NetworkTopology kind = net.topology;
  const bool racks = kind == NetworkTopology::leaf_spine || kind == NetworkTopology::fat_tree;

  // All links first, in the site zone: SimGrid 3.32 checks every new name against every zone
  // created so far, so links made before the rack zones exist cost O(1) zones each instead of
  // O(racks). A link may be used in the routes of any zone.
  auto make_link = [&](const std::string& name, double gbps) {
    sg4::Link* l = out.zone->create_split_duplex_link(name, bytes_per_s(gbps));
    l->set_latency(latency_s)->seal();
    return l;
  };
  std::vector<sg4::Link*> nic(topo.node_count()), rack_up, row_up;
  for (NodeId n = 0; n < topo.node_count(); ++n) nic[n] = make_link("node-" + std::to_string(n) + "-nic", net.node_link_gbps);
  if (racks)
    for (RackId r = 0; r < topo.rack_count(); ++r)
      rack_up.push_back(make_link("rack-" + std::to_string(r) + "-uplink", net.uplink_gbps));
  if (kind == NetworkTopology::fat_tree) {
    std::vector<std::uint32_t> racks_in_row(topo.row_count(), 0);
    for (RackId r = 0; r < topo.rack_count(); ++r) ++racks_in_row[topo.row_of_rack(r)];
    for (std::uint32_t w = 0; w < topo.row_count(); ++w)
      row_up.push_back(make_link("row-" + std::to_string(w) + "-uplink", net.uplink_gbps * racks_in_row[w]));
  }

  // A node's host and its route to the centre of `zone` through its NIC.
  auto add_host = [&](sg4::NetZone* zone, NodeId n) {
    const std::uint16_t type = topo.node_type_index(n);
    const HostTypeSpec& h = *type_spec[type];
    sg4::Host* host = zone->create_host("node-" + std::to_string(n), h.speed_per_pstate);
    host->set_core_count(h.cores);
    // Properties before seal: SimGrid's energy plugin reads them when the host is sealed.
    if (!h.watts_per_pstate.empty()) {
      host->set_property("wattage_per_state", wattages[type]);
      host->set_property("wattage_off", fmt_double(h.off_w));
    }
    host->set_property("node_type", topo.node_type(n));
    host->set_property("rack", std::to_string(topo.rack_of(n)));
    host->set_property("power_domain", std::to_string(topo.power_domain_of(n)));
    host->set_property("cooling_domain", std::to_string(topo.cooling_domain_of(n)));
    host->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(nic[n], Dir::UP)}, true);
    out.hosts[n] = host;
  };

  // A rack zone under `parent`: leaf/edge router, hosts, and its uplink route in `parent`.
  auto add_rack = [&](sg4::NetZone* parent, RackId r, const char* leaf_prefix) {
    sg4::NetZone* rz = sg4::create_star_zone("rack-" + std::to_string(r));
    rz->set_parent(parent);
    auto* leaf = rz->create_router(leaf_prefix + std::to_string(r));
    for (NodeId n : topo.nodes_of_rack(r)) add_host(rz, n);
    rz->seal();
    parent->add_route(rz->get_netpoint(), nullptr, leaf, nullptr, {sg4::LinkInRoute(rack_up[r], Dir::UP)}, true);
    out.rack_zones[r] = rz;
  };

  if (kind == NetworkTopology::leaf_spine) {
    out.rack_zones.resize(topo.rack_count(), nullptr);
    for (RackId r = 0; r < topo.rack_count(); ++r) add_rack(out.zone, r, "leaf-");
  } else if (kind == NetworkTopology::fat_tree) {
    out.rack_zones.resize(topo.rack_count(), nullptr);
    RackId r = 0;  // racks are numbered row by row
    for (std::uint32_t w = 0; w < topo.row_count(); ++w) {
      sg4::NetZone* wz = sg4::create_star_zone("row-" + std::to_string(w));
      wz->set_parent(out.zone);
      // SimGrid 3.32 resolves a route to a gateway that sits directly in an ancestor of the
      // source's zone in the wrong zone (find_common_ancestors stops one level too high), so the
      // aggregation router lives in its own zone, at the same depth as the rack zones.
      sg4::NetZone* az = sg4::create_star_zone("row-" + std::to_string(w) + "-agg");
      az->set_parent(wz);
      auto* agg = az->create_router("agg-" + std::to_string(w));
      az->seal();
      wz->add_route(az->get_netpoint(), nullptr, agg, nullptr, {}, true);
      for (; r < topo.rack_count() && topo.row_of_rack(r) == w; ++r) add_rack(wz, r, "edge-");
      wz->seal();
      out.zone->add_route(wz->get_netpoint(), nullptr, agg, nullptr, {sg4::LinkInRoute(row_up[w], Dir::UP)}, true);
    }
  } else {  // "none" (SiteTopology::build rejects anything else)
    for (NodeId n = 0; n < topo.node_count(); ++n) add_host(out.zone, n);
  }
  out.zone->seal();
  return out;
}

}  // namespace dcsim
