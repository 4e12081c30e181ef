#include "config/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/rng.hpp"
#include "output/provenance.hpp"

namespace fs = std::filesystem;

namespace dcsim {

namespace {

constexpr double kMaxRuns = 1e6;

// A scalar that reads back as itself when it appears unquoted in a flow value of `--set`.
bool plain_safe(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (std::string("!&*|>'\"%@`-?").find(s.front()) != std::string::npos &&
      !parse_yaml_number(s))
    return false;
  for (char c : s)
    if (std::string(",[]{}:#\n\r\"'").find(c) != std::string::npos) return false;
  return true;
}

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

// The value as YAML text for a `--set key=value` argument (flow style for lists and mappings).
std::string yaml_text(const YamlValue& v) {
  if (v.is_null()) return "~";
  if (v.is_scalar()) {
    const std::string s = v.scalar();
    return (v.is_quoted() || !plain_safe(s)) ? quote(s) : s;
  }
  if (v.is_list()) {
    std::string o = "[";
    bool first = true;
    for (const auto& item : v.as_list()) {
      o += (first ? "" : ", ") + yaml_text(item);
      first = false;
    }
    return o + "]";
  }
  std::string o = "{";
  bool first = true;
  for (const auto& [k, item] : v.as_map().entries()) {
    o += (first ? "" : ", ") + (plain_safe(k) ? k : quote(k)) + ": " + yaml_text(item);
    first = false;
  }
  return o + "}";
}

SweepParamValue param_value(const YamlValue& v) {
  if (v.is_scalar() && !v.is_quoted())
    if (auto n = parse_yaml_number(v.scalar())) return *n;
  if (v.is_scalar()) return v.scalar();
  return yaml_text(v);
}

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> segs;
  std::size_t s = 0;
  while (true) {
    auto d = key.find('.', s);
    segs.push_back(key.substr(s, d == std::string::npos ? std::string::npos : d - s));
    if (d == std::string::npos) break;
    s = d + 1;
  }
  return segs;
}

bool numeric(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The last `words` non-numeric segments of the key (and the numeric ones between them).
std::string short_name(const std::string& key, int words) {
  const auto segs = split_path(key);
  std::size_t i = segs.size();
  int taken = 0;
  while (i > 0 && taken < words) {
    --i;
    if (!numeric(segs[i])) ++taken;
  }
  std::string o;
  for (std::size_t j = i; j < segs.size(); ++j) o += (o.empty() ? "" : ".") + segs[j];
  return o;
}

void name_parameters(std::vector<SweepAxis*>& axes) {
  std::vector<int> words(axes.size(), 2);
  for (int round = 0; round < 64; ++round) {
    std::map<std::string, std::vector<std::size_t>> by_name;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      axes[i]->parameter = axes[i]->key == "seed" ? "seed" : short_name(axes[i]->key, words[i]);
      by_name[axes[i]->parameter].push_back(i);
    }
    by_name["seed"].push_back(axes.size());  // the implicit seed parameter
    bool clash = false;
    for (const auto& [n, idx] : by_name)
      if (idx.size() > 1)
        for (std::size_t i : idx)
          if (i < axes.size() && axes[i]->key != "seed") {
            ++words[i];
            clash = true;
          }
    if (!clash) return;
  }
}

// Reads `grid` or `zip`: a mapping of key path → non-empty list of values.
std::vector<SweepAxis> read_axes(YamlMap parent, const std::string& what) {
  std::vector<SweepAxis> axes;
  YamlMap m = parent.map(what);
  if (!m.present()) return axes;
  for (auto& [key, v] : m.entries()) {
    SweepAxis a;
    a.key = key;
    a.key_pos = m.key_pos(key);
    if (!v.is_list()) {
      v.error("expected a list of values for " + key + ", got " + v.describe());
      continue;
    }
    const YamlList list = v.as_list();
    if (list.size() == 0) {
      v.error("expected at least one value for " + key + ", got an empty list");
      continue;
    }
    for (const auto& item : list) {
      a.texts.push_back(yaml_text(item));
      a.values.push_back(param_value(item));
      a.value_pos.push_back(item.pos());
    }
    axes.push_back(std::move(a));
  }
  return axes;
}

// Where in the sweep file an override (key path + position of its value) was written.
struct OverrideOrigin {
  std::string key;
  YamlPos key_pos;
  YamlPos value_pos;
};

// Moves diagnostics about `--set` overrides to the sweep file position that wrote them.
std::vector<Diagnostic> relocate(const std::vector<Diagnostic>& diags, const std::vector<OverrideOrigin>& origins,
                                 const std::string& sweep_file) {
  std::vector<Diagnostic> out;
  for (Diagnostic d : diags) {
    if (d.file == "--set") {
      const OverrideOrigin* best = nullptr;
      for (const auto& o : origins) {
        const bool below = d.key_path == o.key || d.key_path.rfind(o.key + ".", 0) == 0;
        const bool above = o.key.rfind(d.key_path + ".", 0) == 0;
        if ((below || above) && (!best || o.key.size() > best->key.size())) best = &o;
      }
      if (best) {
        const bool at_key = d.message.rfind("unknown key", 0) == 0 || d.message.find("key path") != std::string::npos ||
                            d.key_path != best->key;
        const YamlPos& p = at_key && d.key_path.size() <= best->key.size() ? best->key_pos : best->value_pos;
        d.file = sweep_file;
        d.line = p.line;
        d.column = p.column;
      }
    }
    if (std::none_of(out.begin(), out.end(), [&](const Diagnostic& e) {
          return e.file == d.file && e.line == d.line && e.column == d.column && e.key_path == d.key_path &&
                 e.message == d.message;
        }))
      out.push_back(std::move(d));
  }
  return out;
}

std::string number_text(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // the shortest text that reads back as the same double
  for (int p = 1; p <= 17; ++p) {
    char b2[64];
    std::snprintf(b2, sizeof b2, "%.*g", p, v);
    if (std::strtod(b2, nullptr) == v) return b2;
  }
  return buf;
}


// Reads `sample`: method, n, seed and the inputs' distributions. Values are filled in later.
SweepSample read_sample(YamlMap root) {
  SweepSample smp;
  YamlMap m = root.map("sample");
  if (!m.present()) return smp;
  smp.present = true;
  smp.method = m.required_string("method");
  if (m.has("method") && smp.method != "latin_hypercube")
    m.error("expected method latin_hypercube (the only sampling method), got " + smp.method, "method");
  smp.n = m.required_integer("n", {.min = 2, .max = kMaxRuns});
  smp.seed = static_cast<std::uint64_t>(m.required_integer("seed", {.min = 0, .max = 9.0e15}));
  YamlMap inputs = m.map("inputs");
  if (!inputs.present()) {
    m.error("missing required key inputs (key path → {uniform: [lo, hi]} | {normal: [mean, sd]} | "
            "{triangular: [lo, mode, hi]})",
            "inputs");
    return smp;
  }
  const std::vector<std::string> kinds = {"uniform", "normal", "triangular"};
  for (auto& [key, v] : inputs.entries()) {
    SweepAxis a;
    a.key = key;
    a.key_pos = inputs.key_pos(key);
    if (key == "seed") {
      v.error("expected a scenario key other than seed to sample (replicates vary the seed), got seed");
      continue;
    }
    if (!v.is_map()) {
      v.error("expected a distribution for " + key +
              " ({uniform: [lo, hi]}, {normal: [mean, sd]} or {triangular: [lo, mode, hi]}), got " + v.describe());
      continue;
    }
    YamlMap dm = v.as_map();
    std::vector<std::string> given;
    for (const auto& k : dm.keys())
      if (std::find(kinds.begin(), kinds.end(), k) != kinds.end()) given.push_back(k);
    if (given.size() != 1) {
      v.error("expected exactly one distribution (uniform, normal or triangular) for " + key + ", got " +
              (given.empty() ? std::string("none") : std::to_string(given.size())));
      continue;
    }
    const std::string kind = given.front();
    const std::vector<double> p = dm.numbers(kind);
    const std::size_t want = kind == "triangular" ? 3 : 2;
    auto bad = [&](const std::string& what) {
      dm.error("expected " + what + " for " + kind + ", got [" + [&] {
                 std::string o;
                 for (double x : p) o += (o.empty() ? "" : ", ") + number_text(x);
                 return o;
               }() + "]",
               kind);
    };
    if (p.size() != want) {
      if (!p.empty() || dm.value(kind)->is_list())
        bad(kind == "uniform" ? "[lo, hi]" : kind == "normal" ? "[mean, sd]" : "[lo, mode, hi]");
      continue;
    }
    if (kind == "uniform" && !(p[0] < p[1])) {
      bad("[lo, hi] with lo < hi");
      continue;
    }
    if (kind == "normal" && !(p[1] > 0)) {
      bad("[mean, sd] with sd > 0");
      continue;
    }
    if (kind == "triangular" && !(p[0] < p[2] && p[0] <= p[1] && p[1] <= p[2])) {
      bad("[lo, mode, hi] with lo <= mode <= hi and lo < hi");
      continue;
    }
    std::string d = kind + "(";
    for (std::size_t i = 0; i < p.size(); ++i) d += (i ? ", " : "") + number_text(p[i]);
    a.distribution = d + ")";
    a.values.assign(p.begin(), p.end());  // parameters for now; replaced by the sample below
    smp.inputs.push_back(std::move(a));
  }
  return smp;
}

// Inverse CDF of a sampled input's distribution ("uniform(...)" etc., parameters in values).
double sample_value(const SweepAxis& a, const std::vector<SweepParamValue>& params, double u) {
  auto p = [&](std::size_t i) { return std::get<double>(params[i]); };
  if (a.distribution.rfind("uniform", 0) == 0) return p(0) + u * (p(1) - p(0));
  if (a.distribution.rfind("normal", 0) == 0) return p(0) + p(1) * normal_quantile(u);
  const double lo = p(0), mode = p(1), hi = p(2);
  const double fc = (mode - lo) / (hi - lo);
  return u < fc ? lo + std::sqrt(u * (hi - lo) * (mode - lo)) : hi - std::sqrt((1 - u) * (hi - lo) * (hi - mode));
}

}  // namespace

std::vector<std::vector<double>> latin_hypercube(std::size_t n, std::size_t dims, std::uint64_t seed) {
  RngStream rng(seed, "latin-hypercube");
  std::vector<std::vector<double>> u(n, std::vector<double>(dims));
  std::vector<std::size_t> perm(n);
  for (std::size_t j = 0; j < dims; ++j) {
    for (std::size_t i = 0; i < n; ++i) perm[i] = i;
    for (std::size_t i = n; i-- > 1;)  // Fisher–Yates
      std::swap(perm[i], perm[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)))]);
    for (std::size_t i = 0; i < n; ++i) u[i][j] = (static_cast<double>(perm[i]) + rng.uniform()) / static_cast<double>(n);
  }
  return u;
}

// Acklam's algorithm (P. J. Acklam, "An algorithm for computing the inverse normal cumulative
// distribution function", 2003): rational approximations in the centre and the tails, then
// one Halley refinement step.
double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  p = std::clamp(p, 1e-300, 1.0 - 1e-16);
  constexpr double plow = 0.02425, phigh = 1 - plow;
  double x;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > phigh) {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // One Halley step on Φ(x) − p (Acklam's refinement): full double precision.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * 3.141592653589793) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::string format_parameter_value(const SweepParamValue& v) {
  if (const double* d = std::get_if<double>(&v)) return number_text(*d);
  return std::get<std::string>(v);
}

std::string sweep_run_id(const std::string& resolved_yaml) { return sha256_hex(resolved_yaml).substr(0, 12); }

std::string describe_parameters(const SweepRun& run) {
  std::string o;
  for (const auto& [k, v] : run.parameters) o += (o.empty() ? "" : " ") + k + "=" + format_parameter_value(v);
  return o;
}

Sweep load_sweep(const std::string& path, const SweepLoadOptions& options) {
  auto doc = YamlDoc::load_file(path);
  DiagnosticSink& errs = doc->errors();
  YamlMap root = doc->root_map();
  Sweep sw;
  sw.file = path;
  sw.name = root.string("name", fs::path(path).stem().string());
  root.string("description", "");
  sw.base = root.required_path("base");
  sw.output_dir = root.string("output_dir", "results/" + sw.name);
  if (sw.output_dir.empty()) root.error("expected a directory, got an empty string", "output_dir");
  std::vector<OverrideOrigin> fixed_origins;
  {
    YamlMap set = root.map("set");
    if (set.present())
      for (auto& [key, v] : set.entries()) {
        sw.fixed_overrides.push_back(key + "=" + yaml_text(v));
        fixed_origins.push_back({key, set.key_pos(key), v.pos()});
      }
  }
  sw.grid = read_axes(root, "grid");
  sw.zip = read_axes(root, "zip");
  sw.sample = read_sample(root);
  const bool has_replicates = root.has("replicates");
  sw.replicates = root.integer("replicates", 1, {.min = 1, .max = kMaxRuns});
  const YamlPos replicates_pos = root.key_pos("replicates");
  root.finish();

  // Keys swept twice; zip lists of unequal length.
  {
    std::map<std::string, YamlPos> seen;
    for (const auto& o : fixed_origins) seen.emplace(o.key, o.key_pos);
    for (auto* axes : {&sw.grid, &sw.zip, &sw.sample.inputs})
      for (const auto& a : *axes) {
        auto [it, fresh] = seen.emplace(a.key, a.key_pos);
        if (!fresh)
          errs.add(Diagnostic{a.key_pos.file, a.key_pos.line, a.key_pos.column, a.key,
                              "expected each key once in set, grid, zip and sample.inputs, got " + a.key +
                                  " again (first at line " +
                                  std::to_string(it->second.line) + ")"});
      }
    for (const auto& a : sw.zip)
      if (a.values.size() != sw.zip.front().values.size())
        errs.add(Diagnostic{a.key_pos.file, a.key_pos.line, a.key_pos.column, "zip." + a.key,
                            "expected " + std::to_string(sw.zip.front().values.size()) + " values like " +
                                sw.zip.front().key + " (zipped lists vary together), got " +
                                std::to_string(a.values.size())});
  }
  bool seed_swept = false;
  for (auto* axes : {&sw.grid, &sw.zip})
    for (const auto& a : *axes) seed_swept = seed_swept || a.key == "seed";
  if (seed_swept && has_replicates && sw.replicates > 1)
    errs.add(Diagnostic{replicates_pos.file, replicates_pos.line, replicates_pos.column, "replicates",
                        "expected no replicates when seed is swept, got " + std::to_string(sw.replicates)});
  double total = static_cast<double>(sw.replicates);
  for (const auto& a : sw.grid) total *= static_cast<double>(a.values.size());
  if (!sw.zip.empty()) total *= static_cast<double>(sw.zip.front().values.size());
  if (sw.sample.present) total *= static_cast<double>(sw.sample.n);
  if (total > kMaxRuns)
    errs.add(Diagnostic{path, root.key_pos("grid").line, root.key_pos("grid").column, "grid", "expected at most 1e6 runs, got " + number_text(total)});
  errs.throw_if_any();

  // The sample: n values per input, each text at the input's key (for relocated errors).
  if (sw.sample.present) {
    const auto n = static_cast<std::size_t>(sw.sample.n);
    const auto u = latin_hypercube(n, sw.sample.inputs.size(), sw.sample.seed);
    for (std::size_t j = 0; j < sw.sample.inputs.size(); ++j) {
      SweepAxis& a = sw.sample.inputs[j];
      const std::vector<SweepParamValue> params = a.values;
      a.values.clear();
      for (std::size_t i = 0; i < n; ++i) {
        const double x = sample_value(a, params, u[i][j]);
        a.values.emplace_back(x);
        a.texts.push_back(number_text(x));
        a.value_pos.push_back(a.key_pos);
      }
    }
  }

  std::vector<SweepAxis*> all_axes;
  for (auto& a : sw.grid) all_axes.push_back(&a);
  for (auto& a : sw.zip) all_axes.push_back(&a);
  for (auto& a : sw.sample.inputs) all_axes.push_back(&a);
  name_parameters(all_axes);

  LoadOptions lo;
  lo.validate_policy = options.validate_policy;
  lo.load_platform = false;  // checked to exist; the platform itself is the base's, loaded by each run

  // The base seed: the base scenario with the fixed overrides.
  {
    lo.set_overrides = sw.fixed_overrides;
    try {
      sw.base_seed = load_scenario(sw.base, lo).seed;
    } catch (const InputError& e) {
      throw InputError(relocate(e.diagnostics(), fixed_origins, path));
    }
  }

  // Expansion: an odometer over the grid (last key fastest), then zip rows, then replicates.
  const std::size_t zip_rows = sw.zip.empty() ? 1 : sw.zip.front().values.size();
  std::vector<std::size_t> digit(sw.grid.size(), 0);
  std::vector<Diagnostic> problems;
  std::map<std::string, std::size_t> by_id;
  const auto n_runs = static_cast<std::size_t>(total);
  sw.runs.reserve(n_runs);
  for (std::size_t index = 0; index < n_runs; ++index) {
    // digits of index: replicate fastest, then zip row, then grid (last key fastest)
    std::size_t rest = index;
    const auto rep = static_cast<std::uint64_t>(rest % static_cast<std::size_t>(sw.replicates));
    rest /= static_cast<std::size_t>(sw.replicates);
    const std::size_t n_samples = sw.sample.present ? static_cast<std::size_t>(sw.sample.n) : 1;
    const std::size_t smp = rest % n_samples;
    rest /= n_samples;
    const std::size_t point = rest;
    const std::size_t row = rest % zip_rows;
    rest /= zip_rows;
    for (std::size_t g = sw.grid.size(); g-- > 0;) {
      digit[g] = rest % sw.grid[g].values.size();
      rest /= sw.grid[g].values.size();
    }
    SweepRun run;
    run.index = index;
    run.point = point;
    run.sample = sw.sample.present ? static_cast<std::int64_t>(smp) : -1;
    run.replicate = rep;
    run.realization = static_cast<std::uint64_t>(smp) * static_cast<std::uint64_t>(sw.replicates) + rep;
    std::vector<OverrideOrigin> origins = fixed_origins;
    run.overrides = sw.fixed_overrides;
    auto add_axis = [&](const SweepAxis& a, std::size_t i) {
      run.overrides.push_back(a.key + "=" + a.texts[i]);
      run.parameters[a.parameter] = a.values[i];
      origins.push_back({a.key, a.key_pos, a.value_pos[i]});
    };
    for (std::size_t g = 0; g < sw.grid.size(); ++g) add_axis(sw.grid[g], digit[g]);
    for (const auto& a : sw.zip) add_axis(a, row);
    for (const auto& a : sw.sample.inputs) add_axis(a, smp);
    if (!seed_swept) {
      run.seed = sw.base_seed + rep;
      run.overrides.push_back("seed=" + std::to_string(run.seed));
      run.parameters["seed"] = static_cast<double>(run.seed);
    }
    lo.set_overrides = run.overrides;
    try {
      Scenario sc = load_scenario(sw.base, lo);
      run.seed = sc.seed;
      run.resolved_yaml = std::move(sc.resolved_yaml);
    } catch (const InputError& e) {
      for (auto& d : relocate(e.diagnostics(), origins, path)) problems.push_back(std::move(d));
      continue;
    }
    run.id = sweep_run_id(run.resolved_yaml);
    if (auto [it, fresh] = by_id.emplace(run.id, sw.runs.size()); !fresh) {
      const SweepRun& other = sw.runs[it->second];
      problems.push_back(Diagnostic{path, 0, 0, "",
                                    "expected every run to be a different scenario, got runs " +
                                        std::to_string(other.index) + " (" + describe_parameters(other) +
                                        ") and " + std::to_string(index) + " (" + describe_parameters(run) +
                                        ") resolving to the same scenario " + run.id});
    }
    sw.runs.push_back(std::move(run));
  }
  if (!problems.empty()) throw InputError(relocate(problems, {}, path));
  return sw;
}

void validate_sweep_file(const std::string& path, DiagnosticSink& sink, const SweepLoadOptions& options) {
  try {
    load_sweep(path, options);
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics()) sink.add(d);
  }
}

}  // namespace dcsim
