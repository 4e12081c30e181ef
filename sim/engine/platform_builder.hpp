#pragma once
// Builds the SimGrid platform of a site from its SiteTopology through the S4U API. Included only
// by engine code (it names SimGrid types, forward-declared).
//
// What SimGrid gets:
//   - one host per node ("node-<id>"), one core per accelerator; the speed of p-state i is the
//     per-accelerator effective FLOP/s at that state's frequency, so Host::set_pstate gives DVFS
//     timing for compute-bound work. Host properties (wattage_per_state, wattage_off, and the
//     node type, rack, power and cooling domains) are set before the host is sealed: SimGrid
//     ignores properties set later.
//   - the network as nested star zones, so routing memory is O(nodes), not O(nodes²):
//       leaf-spine: site zone (its centre is the non-blocking spine layer) ⊃ one zone per rack
//                   (centre = leaf, router "leaf-<r>"). Links: "node-<n>-nic" (node_link_gbps)
//                   and "rack-<r>-uplink" (uplink_gbps, the leaf's total capacity to all spines,
//                   ECMP folded into one link).
//       fat-tree:   site zone (core layer) ⊃ one zone per row (link "row-<w>-uplink" =
//                   uplink_gbps × racks in the row; its gateway, router "agg-<w>", sits in a
//                   zone "row-<w>-agg" of its own to dodge a SimGrid 3.32 routing bug) ⊃ one zone
//                   per rack (router "edge-<r>", link "rack-<r>-uplink" = uplink_gbps) ⊃ hosts.
//       none:       one star zone holding every host; only the NICs constrain traffic (an ideal
//                   crossbar).
//     All links are split-duplex (each direction has the full bandwidth) with latency
//     link_latency_s, so a path has the same hop count and latency as SiteTopology::network_path.
//     Bandwidths are converted from Gbit/s to SimGrid's bytes/s (× 1e9 / 8).
//   - Timing of a transfer of S bytes over a path of k links, in SimGrid's CM02 model with
//     network/crosstraffic:0: t = k·latency + S / min(bandwidth); the default LV08 model
//     multiplies the latency by 13.01 and the bandwidth by 0.97 (Velho & Legrand 2009), and
//     TCP-gamma caps the rate at gamma / (2·path latency) (4 MiB / 8 µs ≈ 524 GB/s for 4 hops:
//     not binding at these bandwidths).
#include <map>
#include <string>
#include <vector>

#include <simgrid/forward.h>

#include "core/units.hpp"
#include "model/specs.hpp"
#include "topology/site_graph.hpp"

namespace dcsim {

// SimGrid's host-energy power range of one p-state (plugin host_energy): idle when no core
// works, otherwise epsilon + load·(all_cores − epsilon) with load the busy fraction of cores.
struct HostPowerState {
  Watts idle_w = 0;
  Watts epsilon_w = 0;
  Watts all_cores_w = 0;
};

// What SimGrid needs per node type.
struct HostTypeSpec {
  int cores = 1;                                 // accelerators per node
  std::vector<FlopsPerSecond> speed_per_pstate;  // per core, fastest first
  std::vector<HostPowerState> watts_per_pstate;  // empty: no energy properties are set
  Watts off_w = 0;
};
using HostTypeTable = std::map<std::string, HostTypeSpec>;  // by node type name

// Host types from the catalogue entries of the platform: speed of p-state i = peak dense FLOP/s
// of the accelerator at `precision` × f_i / f_max (compute-bound scaling; memory-bound slowdown
// is physics' business, docs/ARCHITECTURE.md "DVFS run-time model"). Power is the linear,
// intensity-1 approximation where our accounting and SimGrid's plugin must agree:
//   idle_w      = n·accel_idle_w + host_idle_w + nic_w + fan_idle_w
//   all_cores_w = idle_w + n·(full_power_w(i) − accel_idle_w),   epsilon_w = idle_w
//   off_w       = node off_power_w
// Throws InputError (key paths node_types.<t>… / accelerators.<a>…) for unknown node types or
// accelerators and accelerators without a peak for `precision`.
HostTypeTable host_types_from_catalogue(const PlatformSpec& spec, const std::string& precision = "bf16");

struct BuiltPlatform {
  simgrid::s4u::NetZone* zone = nullptr;         // the site zone
  std::vector<simgrid::s4u::Host*> hosts;        // indexed by NodeId
  std::vector<simgrid::s4u::NetZone*> rack_zones;  // indexed by RackId (empty for topology none)
};

// Creates zones, hosts, routers and links in the running s4u::Engine (which must exist; the
// site zone becomes the root zone, or a child of it if a root already exists) and seals them.
// Throws InputError if a node type of the topology has no entry in `host_types`.
BuiltPlatform build_simgrid_platform(const SiteTopology& topology, const PlatformSpec& spec,
                                     const HostTypeTable& host_types);

}  // namespace dcsim
