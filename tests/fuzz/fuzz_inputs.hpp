#pragma once
// One function per parser of user files, running that parser on one input exactly as its
// libFuzzer target does (tests/fuzz/fuzz_<parser>.cpp) and as the regression test replays the
// inputs that once crashed (tests/unit/config/test_fuzz_regressions.cpp).
//
// Contract of every parser: an input either loads or throws dcsim::InputError. Anything else —
// another exception, a crash, a sanitizer report, a hang — is a bug. The functions therefore
// catch InputError only and let everything else escape (libFuzzer reports an escaping exception
// as a crash via std::terminate).
//
// DCSIM_FUZZ_VERBOSE=1 in the environment prints each InputError (to see why a seed is refused).
//
// Inputs:
//   scenario, platform, sweep   the file's text. It is written to <tmp>/a/b/input.yaml, where
//                               <tmp> mirrors the source tree's top-level directories
//                               (platforms, scenarios, tests, workloads: symbolic links), so the
//                               seeds' relative paths "../../platforms/…" resolve.
//   catalogue                   the workload profile catalogue text (load_catalogue_string).
//   trace                       byte 0 chooses the fault rules and alignment (bits below), the
//                               rest is the trace file text (load_table_from_text, then
//                               align_to_run of every column and a walk over its change points).
//   swf, alibaba, helios, azure, jobcsv   the job log text, imported with the by-gpus rule
//                               against workloads/profiles.yaml.
//   serving                     the text of a scenario's `serving` section as a document of its
//                               own (written to <tmp>/a/b/serving.yaml, so trace paths
//                               "../../scenarios/data/…" resolve), read by read_serving against
//                               platforms/sites/quickstart-h200.yaml over one year from 2024.
//   serving_trace               an azure-llm request trace, read by serving::load_azure_trace.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "config/platform_loader.hpp"
#include "config/scenario.hpp"
#include "config/scenario_loader.hpp"
#include "config/serving_loader.hpp"
#include "config/workload_loader.hpp"
#include "core/calendar.hpp"
#include "core/error.hpp"
#include "policy/registry.hpp"
#include "serving/traffic.hpp"
#include "traces/align.hpp"
#include "traces/loaders.hpp"
#include "workload/importers.hpp"
#if __has_include("config/sweep.hpp")
#include "config/sweep.hpp"
#define DCSIM_FUZZ_HAS_SWEEP 1
#endif

#ifndef DCSIM_SOURCE_DIR
#error "DCSIM_SOURCE_DIR must be defined (the source tree, for the built-in catalogues)"
#endif

namespace dcsim::fuzz {

enum class Outcome { loaded, input_error };

namespace detail {

// A private directory mirroring the source tree's top level, removed at exit.
class Sandbox {
 public:
  Sandbox() {
    namespace fs = std::filesystem;
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/dcsim-fuzz-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("fuzz: cannot create " + templ);
    root_ = templ;
    for (const char* d : {"platforms", "scenarios", "tests", "workloads"})
      fs::create_directory_symlink(fs::path(DCSIM_SOURCE_DIR) / d, root_ / d);
    fs::create_directories(root_ / "a" / "b");
  }
  ~Sandbox() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);  // removes the links, not what they point to
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Writes `text` to <root>/a/b/<name> and returns that path.
  std::string write(std::string_view text, const std::string& name = "input.yaml") const {
    const std::filesystem::path p = root_ / "a" / "b" / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return p.string();
  }

 private:
  std::filesystem::path root_;
};

inline const Sandbox& sandbox() {
  static const Sandbox s;
  return s;
}

inline PolicyValidator policy_validator() {
  return [](const PolicyConfig& cfg, DiagnosticSink& sink) { validate_policy(cfg, sink); };
}

inline const Catalogue& profiles() {
  static const Catalogue c = load_catalogue_file(std::string(DCSIM_SOURCE_DIR) + "/workloads/profiles.yaml");
  return c;
}

template <class F>
Outcome guarded(F&& f) {
  try {
    f();
    return Outcome::loaded;
  } catch (const InputError& e) {
    if (std::getenv("DCSIM_FUZZ_VERBOSE")) std::fprintf(stderr, "InputError: %s\n", e.what());
    return Outcome::input_error;
  }
}

}  // namespace detail

inline Outcome run_scenario(std::string_view text) {
  const std::string path = detail::sandbox().write(text);
  return detail::guarded([&] {
    LoadOptions o;
    o.validate_policy = detail::policy_validator();
    (void)load_scenario(path, o);
  });
}

inline Outcome run_platform(std::string_view text) {
  const std::string path = detail::sandbox().write(text);
  return detail::guarded([&] {
    DiagnosticSink errs;
    (void)load_platform(path, errs);
    errs.throw_if_any();
  });
}

inline Outcome run_catalogue(std::string_view text) {
  return detail::guarded([&] { (void)load_catalogue_string(std::string(text), "fuzz-profiles.yaml"); });
}

#ifdef DCSIM_FUZZ_HAS_SWEEP
inline Outcome run_sweep(std::string_view text) {
  const std::string path = detail::sandbox().write(text, "sweep.yaml");
  return detail::guarded([&] {
    SweepLoadOptions o;
    o.validate_policy = detail::policy_validator();
    (void)load_sweep(path, o);
  });
}
#endif

// Byte 0 of a trace input:
//   bits 0-1  empty_cells and missing_steps rule: interpolate, hold, error (3 = interpolate)
//   bits 2-3  duplicates: keep_first, keep_last, error (3 = keep_first)
//   bit  4    unordered: sort / error
//   bits 5-6  beyond: wrap, hold, error (3 = wrap)
//   bit  7    calendar mode: typical_year / absolute
// The run spans two years from 2024-01-01 (a leap year).
inline Outcome run_trace(std::string_view data) {
  using namespace traces;
  if (data.empty()) return Outcome::input_error;
  const auto cfg = static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  static constexpr GapRule gap[] = {GapRule::interpolate, GapRule::hold, GapRule::error, GapRule::interpolate};
  static constexpr DuplicateRule dup[] = {DuplicateRule::keep_first, DuplicateRule::keep_last,
                                          DuplicateRule::error, DuplicateRule::keep_first};
  static constexpr BeyondSpanRule beyond[] = {BeyondSpanRule::wrap, BeyondSpanRule::hold,
                                              BeyondSpanRule::error, BeyondSpanRule::wrap};
  traces::LoadOptions lo;
  lo.rules.empty_cells = lo.rules.missing_steps = gap[cfg & 3u];
  lo.rules.duplicates = dup[(cfg >> 2) & 3u];
  lo.rules.unordered = (cfg & 16u) ? OrderRule::error : OrderRule::sort;
  AlignOptions ao;
  ao.beyond = beyond[(cfg >> 5) & 3u];
  ao.mode = (cfg & 128u) ? CalendarMode::absolute : CalendarMode::typical_year;
  return detail::guarded([&] {
    const TraceTable t = load_table_from_text(data, "fuzz.csv", lo);
    const Calendar cal(CivilTime{2024, 1, 1});
    const Seconds span = cal.span_of_years(2);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i].size() == 0) continue;
      TraceReport rep = t.reports[i];
      const TimeSeries a = align_to_run(t.columns[i], t.meta, cal, span, ao, rep);
      (void)rep.summary();
      // Walk the change points as the engine does (bounded), and integrate each step.
      Seconds at = 0;
      for (int k = 0; k < 2000 && at < span; ++k) {
        const Seconds next = a.next_change_after(at);
        if (!(next > at)) break;
        (void)a.mean_over(at, next);
        at = next;
      }
    }
  });
}

namespace detail {
inline TraceImportSpec import_spec(const char* format) {
  TraceImportSpec s;
  s.format = parse_name<JobTraceFormat>(format).value();
  s.file = "fuzz-jobs";
  return s;
}
template <class F>
Outcome import_with(std::string_view text, F&& f) {
  return guarded([&] {
    std::istringstream in{std::string(text)};
    (void)f(in);
  });
}
}  // namespace detail

inline Outcome run_swf(std::string_view text) {
  return detail::import_with(text, [](std::istream& in) {
    return import_swf(in, "fuzz.swf", detail::import_spec("swf"), detail::profiles(), 1);
  });
}
inline Outcome run_alibaba(std::string_view text) {
  return detail::import_with(text, [](std::istream& in) {
    return import_alibaba_gpu_2023(in, "fuzz.csv", detail::import_spec("alibaba-gpu-2023"), detail::profiles(), 1);
  });
}
inline Outcome run_helios(std::string_view text) {
  return detail::import_with(text, [](std::istream& in) {
    return import_helios(in, "fuzz.csv", detail::import_spec("helios"), detail::profiles(), 1);
  });
}
inline Outcome run_azure(std::string_view text) {
  return detail::import_with(text, [](std::istream& in) {
    return import_azure_llm(in, "fuzz.csv", detail::import_spec("azure-llm"), detail::profiles());
  });
}
inline Outcome run_jobcsv(std::string_view text) {
  return detail::import_with(text, [](std::istream& in) {
    return import_dcsim_csv(in, "fuzz.csv", detail::import_spec("dcsim-csv"), detail::profiles());
  });
}

namespace detail {
inline const PlatformSpec& serving_platform() {
  static const PlatformSpec p = [] {
    DiagnosticSink errs;
    PlatformSpec spec = load_platform(std::string(DCSIM_SOURCE_DIR) + "/platforms/sites/quickstart-h200.yaml", errs);
    errs.throw_if_any();
    return spec;
  }();
  return p;
}
}  // namespace detail

inline Outcome run_serving(std::string_view text) {
  const std::string path = detail::sandbox().write(text, "serving.yaml");
  return detail::guarded([&] {
    auto doc = YamlDoc::load_file(path);
    TimeSpec time;
    time.start = CivilTime{2024, 1, 1};
    time.years = 1;
    time.duration_s = Calendar(time.start).span_of_years(1);
    time.sample_s = 900;
    ServingSpec out;
    YamlMap root = doc->root_map();
    read_serving(root, time, detail::serving_platform(), true, out);
    root.finish();
    doc->errors().throw_if_any();
  });
}

inline Outcome run_serving_trace(std::string_view text) {
  const std::string path = detail::sandbox().write(text, "requests.csv");
  return detail::guarded([&] { (void)serving::load_azure_trace(path); });
}

}  // namespace dcsim::fuzz
