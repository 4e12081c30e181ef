// Issue 18 item 2: big inputs. The error report is capped per file (at most 50 diagnostics
// printed, then one "and N more" line) while every diagnostic is still collected (the exit code
// reflects them all); and key lookups in big mappings stay correct through the lazy index of
// the YAML layer (appends, erase, --set overrides, extends merging).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "config/yaml_reader.hpp"
#include "core/diagnostics.hpp"

using namespace dcsim;

namespace {

std::string many_keys(int n, const std::string& prefix = "k") {
  std::string t;
  for (int i = 0; i < n; ++i) t += prefix + std::to_string(i) + ": " + std::to_string(i) + "\n";
  return t;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("print_diagnostics shows at most 50 errors per file, then how many more", "[yaml][cap]") {
  auto doc = YamlDoc::load_string(many_keys(120), "t.yaml");
  YamlMap root = doc->root_map();
  root.number("pue", 1.2);
  root.finish();
  std::vector<Diagnostic> all = doc->errors().all();
  REQUIRE(all.size() == 120);  // every unknown key is collected
  for (int i = 0; i < 3; ++i) all.push_back(Diagnostic{"b.yaml", i + 1, 1, "x", "expected a number, got y"});

  std::ostringstream out;
  const std::size_t left = print_diagnostics(out, all);
  const std::string s = out.str();
  CHECK(left == 70);
  CHECK(count(s, "error: t.yaml:") == 51);  // 50 errors and the "and 70 more" line
  CHECK(count(s, "error: b.yaml:") == 3);
  CHECK(count(s, "\n") == 54);
  CHECK(s.find("error: t.yaml: and 70 more errors (120 in all; the first 50 are shown)\n") != std::string::npos);
  // the first 50 in file order: k0 … k49 are shown, k50 is not
  CHECK(s.find("unknown key 'k49'") != std::string::npos);
  CHECK(s.find("unknown key 'k50'") == std::string::npos);

  // InputError::what() is capped the same way; diagnostics() keeps all of them
  const InputError e(all);
  CHECK(e.diagnostics().size() == 123);
  CHECK(count(e.what(), "t.yaml:") == 51);
  CHECK(std::string(e.what()).find("t.yaml: and 70 more errors") != std::string::npos);

  std::ostringstream small;
  CHECK(print_diagnostics(small, std::vector<Diagnostic>(all.begin(), all.begin() + 50)) == 0);
  CHECK(small.str().find("more error") == std::string::npos);
}

TEST_CASE("unknown keys in a big mapping name the accepted keys, with a suggestion for the first ones",
          "[yaml][cap]") {
  auto doc = YamlDoc::load_string("pue_: 1\n" + many_keys(5000), "t.yaml");
  YamlMap root = doc->root_map();
  root.number("pue", 1.2);
  root.finish();
  const auto& d = doc->errors().all();
  REQUIRE(d.size() == 5001);
  CHECK(d[0].message.find("did you mean 'pue'") != std::string::npos);
  CHECK(d[0].line == 1);
  CHECK(d[4000].message.find("unknown key 'k3999'; expected one of: pue") != std::string::npos);
  CHECK(d[4000].line == 4001);
}

TEST_CASE("key lookups in a big mapping survive erase, --set and extends", "[yaml][cap]") {
  auto doc = YamlDoc::load_string(many_keys(20000), "t.yaml");
  {
    YamlMap root = doc->root_map();
    CHECK(root.has("k0"));
    CHECK(root.has("k19999"));
    CHECK_FALSE(root.has("k20000"));
    CHECK(root.integer("k12345", -1) == 12345);
    CHECK(root.key_pos("k12345").line == 12346);
  }
  CHECK(doc->erase_root_key("k5"));
  CHECK_FALSE(doc->erase_root_key("k5"));
  doc->apply_override("k20000=7");
  doc->apply_override("k6=60");
  auto base = YamlDoc::load_string(many_keys(30, "b") + "k7: 700\n", "base.yaml");
  doc->merge_base(*base);
  YamlMap root = doc->root_map();
  CHECK_FALSE(root.has("k5"));
  CHECK(root.integer("k4", -1) == 4);
  CHECK(root.integer("k6", -1) == 60);
  CHECK(root.integer("k7", -1) == 7);  // the document's value over its base's
  CHECK(root.integer("k20000", -1) == 7);
  CHECK(root.integer("b29", -1) == 29);
  CHECK(root.keys().size() == 20000 - 1 + 1 + 30);
  const auto entries = root.entries();
  CHECK(entries.size() == 20030);
  CHECK(doc->errors().empty());
}
