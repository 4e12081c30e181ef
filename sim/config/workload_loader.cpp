#include "config/workload_loader.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "config/yaml_reader.hpp"
#include "physics/accelerator_power.hpp"

namespace dcsim {

namespace {

std::string fmt(double v) { return text::format_g(v); }

const Range kUnit{0.0, 1.0};
const Range kPositive{0.0, std::numeric_limits<double>::infinity(), true};
const Range kNonNegative{0.0};

JobKind parse_kind(YamlMap& m) {
  const std::string k = m.choice("kind", "training", {"training", "fine_tuning", "evaluation", "inference"});
  if (k == "fine_tuning") return JobKind::fine_tuning;
  if (k == "evaluation") return JobKind::evaluation;
  if (k == "inference") return JobKind::inference;
  return JobKind::training;
}

void read_sources(YamlMap& m) {
  YamlMap s = m.map("sources");
  if (!s.present()) return;
  for (auto& [key, v] : s.entries()) {
    if (!v.is_scalar()) v.error("expected a text naming the source, got " + v.describe());
  }
}

ReferencePlatform read_reference(YamlMap r) {
  ReferencePlatform ref;
  AcceleratorSpec& a = ref.accelerator;
  a.name = r.required_string("accelerator");
  YamlMap peaks = r.map("peak_tflops");
  for (auto& [prec, v] : peaks.entries()) a.peak_tflops[prec] = v.as_number(kPositive);
  if (!peaks.present() || a.peak_tflops.empty()) r.error("expected a peak_tflops mapping (precision: TFLOP/s)", "peak_tflops");
  a.idle_power_w = r.required_number("idle_power_w", kNonNegative);
  // HBM bandwidth of the reference (TB/s): the memory part of a step scales with it on other
  // accelerators (roofline_transfer); 0 = scale it with the peak.
  a.memory_bandwidth_tbps = r.number("memory_bandwidth_tbps", 0.0, kNonNegative);
  // Memory power law of the reference (physics/accelerator_power.hpp): splits a profile's
  // measured power into a clock-independent memory part and a clock-scaled compute part.
  a.memory_active_w_per_tbps = r.number("memory_active_w_per_tbps", 0.0, kNonNegative);
  a.memory_power_w_per_tbps = r.number("memory_power_w_per_tbps", 0.0, kNonNegative);
  const Watts full = r.required_number("full_power_w", kPositive);
  if (full <= a.idle_power_w) {
    r.error("expected full_power_w > idle_power_w (" + fmt(a.idle_power_w) + "), got " + fmt(full), "full_power_w");
  }
  a.pstates = {PState{r.number("max_freq_mhz", 0, kNonNegative), 1.0, full}};
  a.tdp_w = r.number("tdp_w", full, kPositive);
  a.utilisation_exponent = r.number("utilisation_exponent", 1.0, {0.0, 5.0, true});
  ref.power_limit_w = r.number("power_limit_w", a.tdp_w, kPositive);
  a.power_limit_max_w = std::max(a.tdp_w, ref.power_limit_w);
  ref.gpus_per_node = static_cast<int>(r.integer("gpus_per_node", 8, {1, 1024}));
  ref.host_idle_w = r.number("host_idle_w", 800, kNonNegative);
  ref.host_busy_w = r.number("host_busy_w", 2400, kNonNegative);
  ref.nic_w = r.number("nic_w", 0, kNonNegative);
  ref.fan_idle_w = r.number("fan_idle_w", 0, kNonNegative);
  ref.fan_max_w = r.number("fan_max_w", ref.fan_idle_w, kNonNegative);
  if (ref.host_busy_w < ref.host_idle_w) {
    r.error("expected host_busy_w >= host_idle_w (" + fmt(ref.host_idle_w) + "), got " + fmt(ref.host_busy_w), "host_busy_w");
  }
  if (ref.fan_max_w < ref.fan_idle_w) {
    r.error("expected fan_max_w >= fan_idle_w (" + fmt(ref.fan_idle_w) + "), got " + fmt(ref.fan_max_w), "fan_max_w");
  }
  ref.pue = r.number("pue", 1.0, {1.0, 5.0});
  ref.note = r.string("note", "");
  return ref;
}

ProfileSpec read_profile(const std::string& name, YamlMap m, const ReferencePlatform& ref) {
  ProfileSpec p;
  p.name = name;
  p.description = m.string("description", "");
  p.workload_class = m.string("class", "");
  p.kind = parse_kind(m);
  p.precision = m.choice("precision", "bf16", {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8"});
  if (ref.accelerator.peak_flops(p.precision) <= 0) {
    m.error("expected a precision with a peak_tflops entry in the reference, got \"" + p.precision + "\"", "precision");
  }
  p.mfu = m.required_number("mfu", {0.0, 1.0, true});
  YamlMap sh = m.map("shares");
  if (!sh.present()) {
    m.error("missing required key", "shares");
  } else {
    p.compute_share = sh.required_number("compute", kUnit);
    p.memory_share = sh.required_number("memory", kUnit);
    p.io_share = sh.required_number("io", kUnit);
    const double sum = p.compute_share + p.memory_share + p.io_share;
    if (std::abs(sum - 1.0) > 1e-6) sh.error("expected compute + memory + io = 1, got " + fmt(sum));
  }
  YamlMap pw = m.map("power");
  if (!pw.present()) {
    m.error("missing required key", "power");
  } else {
    p.utilisation = pw.required_number("utilisation", kUnit);
    const auto watts = pw.optional_number("reference_power_w", kNonNegative);
    const auto inten = pw.optional_number("intensity", kUnit);
    p.memory_traffic_tbps = pw.number("memory_traffic_tbps", 0.0, kNonNegative);
    if (pw.has("memory_traffic_tbps") && ref.accelerator.memory_power_w_per_tbps <= 0 &&
        ref.accelerator.memory_active_w_per_tbps <= 0)
      pw.error("expected the reference to give memory_power_w_per_tbps for a measured memory traffic, got none",
               "memory_traffic_tbps");
    if (watts && inten) {
      pw.error("expected either reference_power_w or intensity, got both", "intensity");
    } else if (watts) {
      const Watts idle = ref.accelerator.idle_power_w;
      const Watts full = ref.accelerator.pstates.front().full_power_w;
      if (*watts < idle || *watts > full) {
        pw.error("expected a power between the reference's idle (" + fmt(idle) + " W) and full (" + fmt(full) +
                     " W) power, got " + fmt(*watts),
                 "reference_power_w");
      } else if (p.utilisation <= 0 && *watts > idle) {
        pw.error("expected utilisation > 0 for a power above idle, got 0", "utilisation");
      } else {
        p.reference_power_w = *watts;
        p.intensity = intensity_for_power(ref, *watts, p.utilisation);
      }
    } else if (inten) {
      p.intensity = *inten;
    } else if (p.memory_traffic_tbps > 0) {
      // A pure memory-bound kernel: its power is the memory law at the measured traffic.
      const AcceleratorSpec& a = ref.accelerator;
      const Watts range = a.pstates.empty() ? 0.0 : a.pstates.front().full_power_w - a.idle_power_w;
      const double sum = p.compute_share + p.memory_share + p.io_share;
      const PowerSplit law = split_burst_power(a, 1e12, sum > 0 ? p.memory_share / sum : 0.0, p.memory_traffic_tbps);
      p.intensity = range > 0 ? std::min(1.0, law.memory_power_w / range) : 0.0;
    } else {
      pw.error("expected reference_power_w, intensity or memory_traffic_tbps, got none");
    }
  }
  YamlMap acc = m.map("accelerators");
  for (auto& [aname, v] : acc.entries()) {
    if (!v.is_map()) {
      v.error("expected a mapping {power_w | utilisation, intensity, throughput_ratio | mfu}, got " + v.describe());
      continue;
    }
    YamlMap am = v.as_map();
    PowerOnAccelerator po;
    // Measured power (utilisation and intensity, together) and/or measured throughput
    // (reference step time / step time on this accelerator; physics/dvfs.hpp roofline_transfer).
    po.has_power = am.has("utilisation") || am.has("intensity");
    if (po.has_power) {
      po.utilisation = am.required_number("utilisation", kUnit);
      po.intensity = am.required_number("intensity", kUnit);
    }
    // Measured mean device watts on this accelerator (nvidia-smi, DCGM): the model's
    // compute/memory split is kept and scaled to them (workload/catalogue.cpp).
    po.power_w = am.number("power_w", 0.0, {0.0, 1e5, true});
    if (am.has("power_w") && po.has_power)
      am.error("expected one measured power (power_w, or utilisation and intensity), got both", "power_w");
    po.throughput_ratio = am.number("throughput_ratio", 0.0, {0.0, 1000.0, true});
    po.mfu = am.number("mfu", 0.0, {0.0, 1.0, true});
    if (am.has("throughput_ratio") && am.has("mfu"))
      am.error("expected one measured speed (throughput_ratio or mfu), got both", "mfu");
    if (!po.has_power && !am.has("power_w") && !am.has("throughput_ratio") && !am.has("mfu"))
      v.error("expected power_w or utilisation and intensity (measured power), throughput_ratio or mfu (measured speed), got none");
    p.accelerators[aname] = po;
  }
  p.host_load = m.number("host_load", 0.3, kUnit);
  YamlMap sc = m.map("scaling");
  p.scaling.per_doubling_in_node = sc.number("per_doubling_in_node", 0.97, {0.0, 1.0, true});
  p.scaling.per_doubling_across_nodes = sc.number("per_doubling_across_nodes", 0.92, {0.0, 1.0, true});
  p.scaling.gpus_per_node = ref.gpus_per_node;
  YamlMap g = m.map("gpus");
  if (!g.present()) {
    m.error("missing required key", "gpus");
  } else {
    double total = 0;
    for (auto& [k, v] : g.entries()) {
      const auto n = parse_yaml_number(k);
      if (!n || *n < 0 || *n != std::floor(*n) || *n > 1e6) {
        v.error("expected a GPU count (integer >= 0) as key, got \"" + k + "\"");
        continue;
      }
      const double prob = v.as_number(kUnit);
      p.gpus.emplace_back(static_cast<int>(*n), prob);
      total += prob;
    }
    if (p.gpus.empty()) g.error("expected at least one GPU count: probability entry");
    else if (std::abs(total - 1.0) > 1e-6) g.error("expected probabilities summing to 1, got " + fmt(total));
    std::sort(p.gpus.begin(), p.gpus.end());
  }
  YamlMap d = m.map("duration");
  if (!d.present()) {
    m.error("missing required key", "duration");
  } else {
    p.duration_median_h = d.required_number("median_h", kPositive);
    p.duration_sigma = d.number("sigma", 0.0, {0.0, 5.0});
    p.duration_max_h = d.number("max_h", 0.0, kNonNegative);
  }
  p.comm_bytes_per_gpu_per_s = m.number("comm_bytes_per_gpu_per_s", 0.0, kNonNegative);
  YamlMap ck = m.map("checkpoint");
  p.checkpoint_interval_s = ck.duration("interval", 0.0, kNonNegative);
  p.checkpoint_bytes_per_param = ck.number("bytes_per_param", 16.0, kNonNegative);
  p.checkpoint_write_bytes_per_s = ck.number("write_bytes_per_s", 2e9, kPositive);
  p.model_params = m.number("model_params", 0.0, kNonNegative);
  p.year_elasticity = m.number("year_elasticity", 1.0, {0.0, 3.0});
  p.optimisation_potential = m.number("optimisation_potential", 0.0, {0.0, 0.95});
  p.prefill_tokens_per_s = m.number("prefill_tokens_per_s", 0.0, kNonNegative);
  p.decode_tokens_per_s = m.number("decode_tokens_per_s", 0.0, kNonNegative);
  p.seed_energy_kwh = m.optional_number("seed_energy_kwh", kPositive);
  read_sources(m);
  return p;
}

ModelGrowth read_growth(YamlMap m) {
  ModelGrowth g;
  g.profile = m.string("profile", "generative_modelling");
  g.reference_year = static_cast<int>(m.integer("reference_year", 2020, {1950, 2200}));
  YamlList anchors = m.list("anchors");
  for (const YamlValue& v : anchors) {
    if (!v.is_map()) {
      v.error("expected a mapping {year, params, work_flops, gpus}, got " + v.describe());
      continue;
    }
    YamlMap a = v.as_map();
    YearAnchor y;
    y.year = static_cast<int>(a.required_integer("year", {1950, 2200}));
    y.params = a.required_number("params", kPositive);
    y.work_flops = a.required_number("work_flops", kPositive);
    y.gpus = static_cast<int>(a.integer("gpus", 1, {1, 1e7}));
    y.seed_energy_kwh = a.optional_number("seed_energy_kwh", kPositive);
    if (!g.anchors.empty() && y.year <= g.anchors.back().year) {
      a.error("expected years in increasing order, got " + std::to_string(y.year) + " after " +
                  std::to_string(g.anchors.back().year),
              "year");
      continue;
    }
    g.anchors.push_back(y);
  }
  if (g.anchors.empty()) m.error("expected at least one anchor {year, params, work_flops, gpus}", "anchors");
  return g;
}

void read_optimisations(YamlMap m, std::map<std::string, OptimisationSpec>& into) {
  for (auto& [name, v] : m.entries()) {
    if (!v.is_map()) {
      v.error("expected a mapping of factors, got " + v.describe());
      continue;
    }
    YamlMap o = v.as_map();
    auto it = into.find(name);
    OptimisationSpec s = it != into.end() ? it->second : OptimisationSpec{};
    s.name = name;
    const Range factor{0.0, 10.0, true};
    s.compute_factor = o.number("compute_factor", s.compute_factor, factor);
    s.memory_factor = o.number("memory_factor", s.memory_factor, factor);
    s.mfu_factor = o.number("mfu_factor", s.mfu_factor, factor);
    s.utilisation_factor = o.number("utilisation_factor", s.utilisation_factor, factor);
    s.intensity_factor = o.number("intensity_factor", s.intensity_factor, factor);
    s.quality_cost = o.number("quality_cost", s.quality_cost, kNonNegative);
    s.class_default = o.boolean("class_default", s.class_default);
    s.source = o.string("source", s.source);
    into[name] = s;
  }
}

}  // namespace

namespace {

void read_doc(YamlDoc& ydoc, const std::string& file, Catalogue& cat, DiagnosticSink& errors) {
  YamlDoc* doc = &ydoc;
  YamlMap root = doc->root_map();
  root.integer("version", 1, {1, 1});
  if (cat.optimisations.empty()) cat.optimisations = default_optimisations();
  if (root.has("reference")) {
    cat.reference = read_reference(root.map("reference"));
  } else if (cat.files.empty()) {
    root.error("missing required key", "reference");
  }
  // Without a usable reference (absent, or a caller's empty Catalogue) keep reading the
  // profiles against the documented default so that every other problem is still reported.
  if (cat.reference.accelerator.pstates.empty()) cat.reference = default_reference_platform();
  YamlMap profiles = root.map("profiles");
  for (auto& [name, v] : profiles.entries()) {
    if (!v.is_map()) {
      v.error("expected a profile mapping, got " + v.describe());
      continue;
    }
    cat.profiles[name] = read_profile(name, v.as_map(), cat.reference);
  }
  if (root.has("growth")) cat.growth = read_growth(root.map("growth"));
  read_optimisations(root.map("optimisations"), cat.optimisations);
  if (root.has("default_mix")) {
    cat.default_mix.clear();
    for (auto& [name, v] : root.map("default_mix").entries()) cat.default_mix[name] = v.as_number(kNonNegative);
  }
  if (root.has("trace_gpu_rule")) {
    cat.trace_gpu_rule.clear();
    YamlMap tr = root.map("trace_gpu_rule");
    for (auto& [k, v] : tr.entries()) {
      const auto n = parse_yaml_number(k);
      if (!n || *n < 0 || *n != std::floor(*n)) {
        v.error("expected a minimum GPU count (integer >= 0) as key, got \"" + k + "\"");
        continue;
      }
      cat.trace_gpu_rule[static_cast<int>(*n)] = v.as_string();
    }
  }
  root.finish();
  // Cross-references, reported at the key that names the missing profile.
  auto check = [&](const std::string& name, const std::string& key_path) {
    if (!cat.find(name)) {
      errors.add(Diagnostic{file, 0, 0, key_path, "expected a profile of the catalogue, got \"" + name + "\""});
    }
  };
  if (!cat.growth.anchors.empty()) check(cat.growth.profile, "growth.profile");
  for (const auto& [name, share] : cat.default_mix) check(name, "default_mix." + name);
  for (const auto& [g, name] : cat.trace_gpu_rule) check(name, "trace_gpu_rule." + std::to_string(g));
  for (const auto& d : doc->errors().all()) errors.add(d);
  cat.files.push_back(file);
}

}  // namespace

void load_catalogue_into(const std::string& file, Catalogue& cat, DiagnosticSink& errors) {
  std::unique_ptr<YamlDoc> doc;
  try {
    doc = YamlDoc::load_file(file);
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics()) errors.add(d);
    return;
  }
  read_doc(*doc, file, cat, errors);
}

Catalogue load_catalogue(const std::vector<std::string>& files) {
  Catalogue cat;
  cat.reference = default_reference_platform();
  cat.optimisations = default_optimisations();
  DiagnosticSink errors;
  for (const auto& f : files) load_catalogue_into(f, cat, errors);
  errors.throw_if_any();
  return cat;
}

Catalogue load_catalogue_file(const std::string& file) { return load_catalogue({file}); }

Catalogue load_catalogue_string(const std::string& text, const std::string& name) {
  Catalogue cat;
  cat.reference = default_reference_platform();
  cat.optimisations = default_optimisations();
  DiagnosticSink errors;
  auto doc = YamlDoc::load_string(text, name);
  read_doc(*doc, name, cat, errors);
  errors.throw_if_any();
  return cat;
}

}  // namespace dcsim
