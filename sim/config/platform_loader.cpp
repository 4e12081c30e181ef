#include "config/platform_loader.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "config/yaml_reader.hpp"

namespace dcsim {

namespace fs = std::filesystem;

namespace {

const Range kNonNeg{.min = 0};
const Range kPos{.min = 0, .min_exclusive = true};
const std::vector<std::string> kPrecisions{"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"};

std::string fmt(double x) { return text::format_g(x); }  // as std::ostream's default

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

template <class M>
std::string joined_keys(const M& m) {
  std::vector<std::string> k;
  for (const auto& [name, _] : m) k.push_back(name);
  return k.empty() ? "(none)" : join(k);
}

std::string where(const YamlPos& p) { return p.file + ":" + std::to_string(p.line); }

std::unique_ptr<YamlDoc> open_doc(const std::string& path, DiagnosticSink& errors) {
  try {
    return YamlDoc::load_file(path);
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics()) errors.add(d);
    return nullptr;
  }
}

void move_errors(YamlDoc& doc, DiagnosticSink& errors) {
  for (const auto& d : doc.errors().all()) errors.add(d);
}

// PlatformCatalogue plus the positions needed to report unknown accelerators of node types.
struct CatalogueBuild {
  PlatformCatalogue cat;
  std::map<std::string, YamlPos> node_accelerator_pos;
  std::map<std::string, YamlPos> node_power_limit_pos;
};

AcceleratorSpec parse_accelerator(const std::string& name, YamlMap m) {
  AcceleratorSpec a;
  a.name = name;
  a.kind = m.choice("kind", a.kind, {"gpu", "tpu", "npu", "other"});
  if (!m.has("peak_tflops")) {
    m.accept("peak_tflops");
    m.error("missing required key 'peak_tflops' (expected a mapping of precision to dense "
            "TFLOP/s, e.g. {bf16: 989.4})");
  } else {
    YamlMap peak = m.map("peak_tflops");
    for (auto& [prec, v] : peak.entries()) {
      if (std::find(kPrecisions.begin(), kPrecisions.end(), prec) == kPrecisions.end()) {
        v.error("unknown precision '" + prec + "'; expected one of: " + join(kPrecisions));
        continue;
      }
      a.peak_tflops[prec] = v.as_number(kPos);
    }
    if (peak.present() && a.peak_tflops.empty() && peak.keys().empty())
      m.error("expected at least one precision with its dense TFLOP/s, got none", "peak_tflops");
  }
  a.memory_gb = m.required_number("memory_gb", kPos);
  a.memory_bandwidth_tbps = m.required_number("memory_bandwidth_tbps", kPos);
  a.tdp_w = m.required_number("tdp_w", kPos);
  a.idle_power_w = m.required_number("idle_power_w", kNonNeg);
  a.power_limit_min_w = m.number("power_limit_min_w", a.idle_power_w, kNonNeg);
  a.power_limit_max_w = m.number("power_limit_max_w", a.tdp_w, kPos);
  a.default_power_limit_w = m.number("default_power_limit_w", a.tdp_w, kPos);
  a.pstate_transition_s = m.number("pstate_transition_s", 0, kNonNeg);
  a.pstate_transition_j = m.number("pstate_transition_j", 0, kNonNeg);
  if (m.has("pstate_transition_j") && a.pstate_transition_j > 0 && a.pstate_transition_s <= 0)
    m.error("expected pstate_transition_s > 0 with a transition energy (the energy is drawn over the "
            "transition's latency), got " + fmt(a.pstate_transition_s),
            "pstate_transition_s");
  a.utilisation_exponent =
      m.number("utilisation_exponent", 1.0, {.min = 0, .max = 2, .min_exclusive = true});
  a.limiter_burst_weight = m.number("limiter_burst_weight", 0.0, {.min = 0, .max = 1});
  a.memory_active_w_per_tbps = m.number("memory_active_w_per_tbps", 0.0, kNonNeg);
  a.memory_power_w_per_tbps = m.number("memory_power_w_per_tbps", 0.0, kNonNeg);
  a.source = m.required_string("source");

  const bool have_idle = m.has("idle_power_w") && a.idle_power_w >= 0;
  if (have_idle && m.has("tdp_w") && a.tdp_w > 0 && a.idle_power_w >= a.tdp_w)
    m.error("expected idle_power_w < tdp_w (" + fmt(a.tdp_w) + " W), got " + fmt(a.idle_power_w),
            "idle_power_w");
  if (m.has("power_limit_min_w") && have_idle && a.power_limit_min_w < a.idle_power_w)
    m.error("expected power_limit_min_w >= idle_power_w (" + fmt(a.idle_power_w) +
                " W): a cap below idle power can never be met, got " + fmt(a.power_limit_min_w),
            "power_limit_min_w");
  if (m.has("power_limit_max_w") && have_idle && a.power_limit_max_w < a.idle_power_w)
    m.error("expected power_limit_max_w >= idle_power_w (" + fmt(a.idle_power_w) +
                " W): a cap below idle power can never be met, got " + fmt(a.power_limit_max_w),
            "power_limit_max_w");
  else if (a.power_limit_min_w > a.power_limit_max_w)
    m.error("expected power_limit_min_w <= power_limit_max_w (" + fmt(a.power_limit_max_w) +
                " W), got " + fmt(a.power_limit_min_w),
            m.has("power_limit_min_w") ? "power_limit_min_w" : "power_limit_max_w");
  else if (a.default_power_limit_w < a.power_limit_min_w || a.default_power_limit_w > a.power_limit_max_w)
    m.error("expected default_power_limit_w within the allowed range [" + fmt(a.power_limit_min_w) + ", " +
                fmt(a.power_limit_max_w) + "] W, got " + fmt(a.default_power_limit_w),
            m.has("default_power_limit_w") ? "default_power_limit_w" : "tdp_w");

  if (!m.has("pstates")) {
    m.accept("pstates");
    m.error("missing required key 'pstates' (expected a list of {freq_mhz, rel_voltage, "
            "full_power_w} in descending frequency)");
    return a;
  }
  if (auto pv = m.value("pstates"); pv && !pv->is_list()) {
    pv->error("expected a list of p-states {freq_mhz, rel_voltage, full_power_w}, got " +
              pv->describe());
    return a;
  }
  YamlList list = m.list("pstates");
  if (list.size() == 0) {
    m.error("expected at least one p-state, got an empty list", "pstates");
    return a;
  }
  const PState* prev = nullptr;
  for (const auto& item : list) {
    if (!item.is_map()) {
      item.error("expected a p-state {freq_mhz, rel_voltage, full_power_w}, got " + item.describe());
      prev = nullptr;
      continue;
    }
    YamlMap s = item.as_map();
    PState p;
    p.freq_mhz = s.required_number("freq_mhz", kPos);
    p.rel_voltage = s.number("rel_voltage", 0, {.min = 0, .max = 2});
    p.full_power_w = s.required_number("full_power_w", kNonNeg);
    if (!s.has("freq_mhz") || !s.has("full_power_w")) {
      a.pstates.push_back(p);
      prev = nullptr;
      continue;
    }
    if (prev && p.freq_mhz >= prev->freq_mhz)
      s.error("expected p-states in strictly descending frequency, got freq_mhz " +
                  fmt(p.freq_mhz) + " after " + fmt(prev->freq_mhz),
              "freq_mhz");
    if (prev && p.full_power_w > prev->full_power_w)
      s.error("expected full_power_w to fall or stay as the clock falls, got " +
                  fmt(p.full_power_w) + " W after " + fmt(prev->full_power_w) + " W",
              "full_power_w");
    if (prev && p.rel_voltage > 0 && prev->rel_voltage > 0 && p.rel_voltage > prev->rel_voltage)
      s.error("expected rel_voltage to fall or stay as the clock falls, got " +
                  fmt(p.rel_voltage) + " after " + fmt(prev->rel_voltage),
              "rel_voltage");
    if (have_idle && p.full_power_w >= 0 && p.full_power_w < a.idle_power_w)
      s.error("expected full_power_w >= idle_power_w (" + fmt(a.idle_power_w) + " W), got " +
                  fmt(p.full_power_w),
              "full_power_w");
    a.pstates.push_back(p);
    prev = &a.pstates.back();
  }
  return a;
}

NodeSpec parse_node(const std::string& name, YamlMap m, CatalogueBuild& b) {
  NodeSpec n;
  n.name = name;
  n.accelerator = m.required_string("accelerator");
  if (m.has("accelerator")) b.node_accelerator_pos[name] = m.key_pos("accelerator");
  n.accelerators_per_node =
      static_cast<int>(m.required_integer("accelerators_per_node", {.min = 1, .max = 1024}));
  n.description = m.string("description", "");
  n.host_idle_w = m.required_number("host_idle_w", kNonNeg);
  n.host_busy_w = m.required_number("host_busy_w", kNonNeg);
  n.nic_w = m.number("nic_w", 0, kNonNeg);
  n.fan_idle_w = m.number("fan_idle_w", 0, kNonNeg);
  n.fan_max_w = m.number("fan_max_w", n.fan_idle_w, kNonNeg);
  n.off_power_w = m.number("off_power_w", 0, kNonNeg);
  n.boot_s = m.number("boot_s", 0, kNonNeg);
  n.boot_power_w = m.number("boot_power_w", 0, kNonNeg);
  n.shutdown_s = m.number("shutdown_s", 0, kNonNeg);
  n.shutdown_power_w = m.number("shutdown_power_w", 0, kNonNeg);
  n.power_limit_w = m.number("power_limit_w", 0, kPos);
  if (m.has("power_limit_w")) b.node_power_limit_pos[name] = m.key_pos("power_limit_w");
  n.source = m.required_string("source");
  if (m.has("host_idle_w") && m.has("host_busy_w") && n.host_busy_w < n.host_idle_w)
    m.error("expected host_busy_w >= host_idle_w (" + fmt(n.host_idle_w) + " W), got " +
                fmt(n.host_busy_w),
            "host_busy_w");
  if (m.has("fan_max_w") && n.fan_max_w < n.fan_idle_w)
    m.error("expected fan_max_w >= fan_idle_w (" + fmt(n.fan_idle_w) + " W), got " +
                fmt(n.fan_max_w),
            "fan_max_w");
  return n;
}

// Reads the `accelerators:` and `node_types:` sections of a mapping into b.
void parse_sections(YamlMap root, CatalogueBuild& b) {
  if (root.has("accelerators")) {
    YamlMap acc = root.map("accelerators");
    for (auto& [name, v] : acc.entries()) {
      if (!v.is_map()) {
        v.error("expected a mapping of accelerator fields (platforms/README.md), got " + v.describe());
        continue;
      }
      const std::string key = "accelerator:" + name;
      AcceleratorSpec a = parse_accelerator(name, v.as_map());  // errors reported either way
      if (b.cat.defined_at.count(key)) {
        acc.error("duplicate accelerator '" + name + "': already defined at " +
                      b.cat.defined_at[key] + " (give yours another name)",
                  name);
        continue;
      }
      b.cat.defined_at[key] = where(acc.key_pos(name));
      b.cat.accelerators[name] = std::move(a);
    }
  }
  if (root.has("node_types")) {
    YamlMap nodes = root.map("node_types");
    for (auto& [name, v] : nodes.entries()) {
      if (!v.is_map()) {
        v.error("expected a mapping of node-type fields (platforms/README.md), got " + v.describe());
        continue;
      }
      const std::string key = "node:" + name;
      CatalogueBuild scratch;  // a duplicate's accelerator position must not replace the first's
      NodeSpec n = parse_node(name, v.as_map(), b.cat.defined_at.count(key) ? scratch : b);
      if (b.cat.defined_at.count(key)) {
        nodes.error("duplicate node type '" + name + "': already defined at " +
                        b.cat.defined_at[key] + " (give yours another name)",
                    name);
        continue;
      }
      b.cat.defined_at[key] = where(nodes.key_pos(name));
      b.cat.node_types[name] = std::move(n);
    }
  }
}

void load_file_into(const std::string& path, CatalogueBuild& b, DiagnosticSink& errors) {
  auto doc = open_doc(path, errors);
  b.cat.files.push_back(path);
  if (!doc) return;
  YamlMap root = doc->root_map();
  if (root.present() && !root.has("accelerators") && !root.has("node_types"))
    root.error("expected a catalogue with 'accelerators' and/or 'node_types', got neither");
  parse_sections(root, b);
  root.finish();
  move_errors(*doc, errors);
}

void check_references(const CatalogueBuild& b, DiagnosticSink& errors) {
  for (const auto& [name, n] : b.cat.node_types) {
    if (auto a = b.cat.accelerators.find(n.accelerator); a != b.cat.accelerators.end() && n.power_limit_w > 0) {
      const AcceleratorSpec& acc = a->second;
      if (n.power_limit_w < acc.power_limit_min_w || n.power_limit_w > acc.power_limit_max_w) {
        YamlPos p;
        if (auto it = b.node_power_limit_pos.find(name); it != b.node_power_limit_pos.end()) p = it->second;
        errors.add(Diagnostic{p.file, p.line, p.column, p.key_path,
                              "expected a power limit within " + n.accelerator + "'s allowed range [" +
                                  fmt(acc.power_limit_min_w) + ", " + fmt(acc.power_limit_max_w) + "] W, got " +
                                  fmt(n.power_limit_w)});
      }
    }
    if (n.accelerator.empty() || b.cat.accelerators.count(n.accelerator)) continue;
    YamlPos p;
    if (auto it = b.node_accelerator_pos.find(name); it != b.node_accelerator_pos.end()) p = it->second;
    errors.add(Diagnostic{p.file, p.line, p.column, p.key_path,
                          "unknown accelerator '" + n.accelerator + "'; expected one of: " +
                              joined_keys(b.cat.accelerators)});
  }
}

bool has_catalogue(const fs::path& d) {
  std::error_code ec;
  return fs::exists(d / "accelerators.yaml", ec) && fs::exists(d / "nodes.yaml", ec);
}

std::string search_up(fs::path start) {
  std::error_code ec;
  start = fs::absolute(start, ec).lexically_normal();
  for (fs::path d = start; !d.empty(); d = d.parent_path()) {
    if (has_catalogue(d)) return d.string();
    if (has_catalogue(d / "platforms")) return (d / "platforms").string();
    if (d == d.root_path()) break;
  }
  return "";
}

void load_builtin_into(CatalogueBuild& b, DiagnosticSink& errors, const std::string& near_path,
                       const std::string& requester) {
  const std::string dir = builtin_catalogue_dir(near_path);
  if (dir.empty()) {
    errors.add(Diagnostic{requester, 0, 0, "",
                          "cannot find the built-in catalogue (platforms/accelerators.yaml and "
                          "platforms/nodes.yaml); set DCSIM_PLATFORMS_DIR to the platforms "
                          "directory, or set use_builtin_catalogue: false"});
    return;
  }
  load_file_into((fs::path(dir) / "accelerators.yaml").string(), b, errors);
  load_file_into((fs::path(dir) / "nodes.yaml").string(), b, errors);
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

void parse_network(YamlMap m, NetworkSpec& n) {
  n.topology = m.choice("topology", n.topology);
  n.node_link_gbps = m.number("node_link_gbps", n.node_link_gbps, kPos);
  n.uplink_gbps = m.number("uplink_gbps", n.uplink_gbps, kPos);
  n.link_latency_s = m.number("link_latency_s", n.link_latency_s, kNonNeg);
  auto count = [&](const char* key, int def) {
    return static_cast<int>(m.integer(key, def, {.min = 1, .max = 1e6}));
  };
  n.nodes_per_rack = count("nodes_per_rack", n.nodes_per_rack);
  n.racks_per_row = count("racks_per_row", n.racks_per_row);
  n.rows_per_room = count("rows_per_room", n.rows_per_room);
  n.racks_per_power_domain = count("racks_per_power_domain", n.racks_per_power_domain);
  n.racks_per_cooling_domain = count("racks_per_cooling_domain", n.racks_per_cooling_domain);
  n.spine_switches = count("spine_switches", n.spine_switches);
}

}  // namespace

std::string builtin_catalogue_dir(const std::string& near_path) {
  if (const char* env = std::getenv("DCSIM_PLATFORMS_DIR"); env && *env && has_catalogue(env))
    return fs::path(env).lexically_normal().string();
  if (!near_path.empty()) {
    std::error_code ec;
    fs::path p(near_path);
    const std::string found = search_up(fs::is_directory(p, ec) ? p : p.parent_path());
    if (!found.empty()) return found;
  }
  std::error_code ec;
  const std::string found = search_up(fs::current_path(ec));
  if (!found.empty()) return found;
#ifdef DCSIM_BUILTIN_PLATFORMS_DIR
  if (has_catalogue(DCSIM_BUILTIN_PLATFORMS_DIR)) return DCSIM_BUILTIN_PLATFORMS_DIR;
#endif
  return "";
}

void load_platform_catalogue_file(const std::string& path, PlatformCatalogue& into, DiagnosticSink& errors) {
  CatalogueBuild b;
  b.cat = std::move(into);
  load_file_into(path, b, errors);
  into = std::move(b.cat);
}

void check_platform_catalogue_references(const PlatformCatalogue& c, DiagnosticSink& errors) {
  for (const auto& [name, n] : c.node_types) {
    if (n.accelerator.empty() || c.accelerators.count(n.accelerator)) continue;
    auto it = c.defined_at.find("node:" + name);
    errors.add(Diagnostic{it == c.defined_at.end() ? "" : it->second, 0, 0,
                          "node_types." + name + ".accelerator",
                          "unknown accelerator '" + n.accelerator + "'; expected one of: " +
                              joined_keys(c.accelerators)});
  }
}

PlatformCatalogue load_builtin_catalogue(DiagnosticSink& errors, const std::string& near_path) {
  CatalogueBuild b;
  load_builtin_into(b, errors, near_path, near_path);
  check_references(b, errors);
  return std::move(b.cat);
}

void validate_catalogue_file(const std::string& path, DiagnosticSink& errors) {
  load_platform(path, errors);
}

PlatformSpec load_platform(const std::string& path, DiagnosticSink& errors) {
  PlatformSpec ps;
  ps.file = path;
  ps.name = fs::path(path).stem().string();
  auto doc = open_doc(path, errors);
  if (!doc) return ps;
  YamlMap root = doc->root_map();
  CatalogueBuild b;

  const bool catalogue_only = root.present() && !root.has("nodes") && !root.has("network") &&
                              !root.has("catalogue") &&
                              (root.has("accelerators") || root.has("node_types"));
  if (catalogue_only) {
    // A catalogue file on its own: validated together with the built-in catalogue it may
    // extend (duplicates and references are checked across both). The entries returned are
    // this file's own.
    const std::string dir = builtin_catalogue_dir(path);
    const bool is_builtin =
        !dir.empty() && (same_file(path, (fs::path(dir) / "accelerators.yaml").string()) ||
                         same_file(path, (fs::path(dir) / "nodes.yaml").string()));
    CatalogueBuild all;
    load_builtin_into(all, errors, path, path);
    if (!is_builtin) load_file_into(path, all, errors);
    check_references(all, errors);
    auto defined_here = [&](const std::string& key) {
      const std::string& at = all.cat.defined_at[key];
      return same_file(at.substr(0, at.rfind(':')), path);
    };
    for (const auto& [k, v] : all.cat.accelerators)
      if (defined_here("accelerator:" + k)) ps.accelerators[k] = v;
    for (const auto& [k, v] : all.cat.node_types)
      if (defined_here("node:" + k)) ps.node_types[k] = v;
    return ps;
  }

  ps.name = root.string("name", ps.name);
  root.string("description", "");
  if (root.boolean("use_builtin_catalogue", true)) load_builtin_into(b, errors, path, path);
  for (const auto& item : root.list("catalogue")) {
    if (!item.is_scalar() || item.scalar().empty()) {
      item.error("expected a catalogue file path, got " + item.describe());
      continue;
    }
    fs::path p(item.scalar());
    if (p.is_relative()) p = fs::path(doc->dir()) / p;
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      item.error("expected an existing catalogue file, got " + item.describe() +
                 " (not found: " + p.string() + ")");
      continue;
    }
    load_file_into(p.string(), b, errors);
  }
  parse_sections(root, b);  // inline entries
  check_references(b, errors);
  ps.catalogue_accelerators = b.cat.accelerators;
  ps.catalogue_node_types = b.cat.node_types;

  if (!root.has("nodes")) {
    root.accept("nodes");
    root.error("missing required key 'nodes' (expected a list of {type, count})");
  }
  YamlList groups = root.list("nodes");
  if (root.has("nodes") && groups.size() == 0)
    root.error("expected at least one node group {type, count}, got an empty list", "nodes");
  for (const auto& item : groups) {
    if (!item.is_map()) {
      item.error("expected a node group {type: <node type>, count: <nodes>}, got " + item.describe());
      continue;
    }
    YamlMap g = item.as_map();
    NodeGroup ng;
    ng.node_type = g.required_string("type");
    ng.count = static_cast<int>(g.required_integer("count", {.min = 1, .max = 1e7}));
    if (!ng.node_type.empty()) {
      auto it = b.cat.node_types.find(ng.node_type);
      if (it == b.cat.node_types.end()) {
        g.error("unknown node type '" + ng.node_type + "'; expected one of: " +
                    joined_keys(b.cat.node_types),
                "type");
      } else {
        ps.node_types[it->first] = it->second;
        auto acc = b.cat.accelerators.find(it->second.accelerator);
        if (acc != b.cat.accelerators.end()) ps.accelerators[acc->first] = acc->second;
      }
    }
    ps.nodes.push_back(ng);
  }
  parse_network(root.map("network"), ps.network);
  root.finish();
  move_errors(*doc, errors);
  return ps;
}

}  // namespace dcsim
