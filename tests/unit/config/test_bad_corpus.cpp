// Table-driven test over the corpus of bad input files in tests/fixtures/bad/: each row of
// EXPECTED.tsv names an input (and optional --set overrides) and the diagnostic it must give —
// file, line, column, key path and a fragment of "expected …, got …". A file added to the
// directory without a row fails the test.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/scenario_loader.hpp"
#include "policy/registry.hpp"

using namespace dcsim;
namespace fs = std::filesystem;

namespace {

const std::string kBad = std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/bad/";

struct Row {
  int manifest_line = 0;
  std::string input, expected_file, key_path, fragment;
  std::vector<std::string> overrides;
  int line = -1, column = -1;  // -1: not checked
  bool check_key = true;
};

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + sep.size();
  }
  return out;
}

std::vector<Row> read_manifest() {
  std::ifstream in(kBad + "EXPECTED.tsv");
  REQUIRE(in.good());
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, "\t");
    INFO("EXPECTED.tsv line " << n << ": " << line);
    REQUIRE(f.size() == 7);
    Row r;
    r.manifest_line = n;
    r.input = f[0];
    if (f[1] != "-") r.overrides = split(f[1], " ; ");
    r.expected_file = f[2];
    r.line = f[3] == "-" ? -1 : std::stoi(f[3]);
    r.column = f[4] == "-" ? -1 : std::stoi(f[4]);
    r.check_key = f[5] != "*";
    r.key_path = f[5] == "-" || f[5] == "*" ? "" : f[5];
    r.fragment = f[6];
    rows.push_back(r);
  }
  return rows;
}

std::vector<Diagnostic> diagnostics_of(const Row& r) {
  const std::string path = kBad + r.input;
  if (r.overrides.empty()) {
    ValidateOptions o;
    o.load_platform = false;  // the corpus is about the scenario layer
    o.validate_policy = validate_policy;  // the policy registry, as `dcsim validate` installs it
    return validate_file(path, o);
  }
  LoadOptions o;
  o.load_platform = false;
  o.validate_policy = validate_policy;
  o.set_overrides = r.overrides;
  try {
    load_scenario(path, o);
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

bool matches(const Row& r, const Diagnostic& d) {
  std::string want_file = r.expected_file == "--set" ? "--set"
                                                     : fs::path(kBad + r.expected_file).lexically_normal().string();
  std::string got_file = d.file == "--set" ? "--set" : fs::path(d.file).lexically_normal().string();
  return got_file == want_file && (r.line < 0 || d.line == r.line) &&
         (r.column < 0 || d.column == r.column) && (!r.check_key || d.key_path == r.key_path) &&
         d.message.find(r.fragment) != std::string::npos;
}

}  // namespace

TEST_CASE("every bad input file gives its expected diagnostic", "[corpus]") {
  auto rows = read_manifest();
  REQUIRE(rows.size() >= 30);
  for (const auto& r : rows) {
    auto diags = diagnostics_of(r);
    std::string all;
    for (const auto& d : diags) all += "\n    " + d.to_string();
    INFO("EXPECTED.tsv line " << r.manifest_line << ": " << r.input
                              << (r.overrides.empty() ? "" : " --set " + r.overrides.front())
                              << "\n  got:" << (all.empty() ? " nothing" : all));
    CHECK(std::any_of(diags.begin(), diags.end(), [&](const Diagnostic& d) { return matches(r, d); }));
    // Each diagnostic reads "expected …, got …" or names a missing key.
    for (const auto& d : diags) {
      bool shaped = d.message.find("expected") != std::string::npos;
      CHECK(shaped);
    }
  }
}

TEST_CASE("every file of the bad corpus has a row in the manifest", "[corpus]") {
  auto rows = read_manifest();
  std::set<std::string> named;
  for (const auto& r : rows) {
    named.insert(r.input);
    named.insert(r.expected_file);
  }
  for (const auto& e : fs::directory_iterator(kBad)) {
    std::string name = e.path().filename().string();
    if (name == "EXPECTED.tsv" || name == "README.md") continue;
    INFO(name);
    CHECK(named.count(name) == 1);
  }
}

TEST_CASE("a bad file's errors are all reported, without a cascade after a failed extends", "[corpus]") {
  ValidateOptions o;
  o.load_platform = false;
  auto d = validate_file(kBad + "missing-extends-file.yaml", o);
  REQUIRE(d.size() == 1);  // not also "missing site" from the base that could not be read
  CHECK(d[0].key_path == "extends");
}
