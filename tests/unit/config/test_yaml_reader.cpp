// Specification of the strict YAML layer: every kind of bad input gives one diagnostic naming
// the file, line, column and key path, with "expected …, got …".
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config/yaml_reader.hpp"

using namespace dcsim;

namespace {

// Reads `text` as a document named "t.yaml" with `read` and returns the diagnostics it gives.
template <class F>
std::vector<Diagnostic> diags_of(const std::string& text, F read) {
  try {
    auto doc = YamlDoc::load_string(text, "t.yaml");
    YamlMap root = doc->root_map();
    read(root);
    root.finish();
    return doc->errors().all();
  } catch (const InputError& e) {
    return e.diagnostics();
  }
}

std::vector<Diagnostic> diags_of(const std::string& text) {
  return diags_of(text, [](YamlMap&) {});
}

void require_one(const std::vector<Diagnostic>& d, int line, int col, const std::string& key,
                 const std::string& fragment) {
  INFO((d.empty() ? std::string("no diagnostic") : d.front().to_string()));
  REQUIRE(d.size() == 1);
  CHECK(d[0].file == "t.yaml");
  CHECK(d[0].line == line);
  CHECK(d[0].column == col);
  CHECK(d[0].key_path == key);
  CHECK(d[0].message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("a well-formed mapping is read with its values and defaults", "[yaml]") {
  auto doc = YamlDoc::load_string(
      "name: test\ncount: 8\npue: 1.25\non: true\nstep: 15min\n"
      "site: {racks: 3}\nlist: [1, 2.5]\n",
      "t.yaml");
  YamlMap root = doc->root_map();
  CHECK(root.string("name", "") == "test");
  CHECK(root.integer("count", 0, {.min = 1}) == 8);
  CHECK(root.number("pue", 1.5, {.min = 1.0, .max = 5.0}) == 1.25);
  CHECK(root.boolean("on", false));
  CHECK(root.duration("step", 0) == 900.0);
  CHECK(root.number("absent", 7.5) == 7.5);
  YamlMap site = root.map("site");
  CHECK(site.present());
  CHECK(site.integer("racks", 0) == 3);
  CHECK(root.numbers("list") == std::vector<double>{1.0, 2.5});
  CHECK_FALSE(root.map("nothing").present());
  root.finish();
  CHECK(doc->errors().empty());
}

TEST_CASE("an alias reads as a copy of its anchor's value, and a null value sits at its key", "[yaml]") {
  auto doc = YamlDoc::load_string(
      "base: &b {racks: 3, list: [1, 2.5]}\ncopy: *b\nname: &n lab\nother: *n\n",
      "t.yaml");
  YamlMap root = doc->root_map();
  YamlMap base = root.map("base"), copy = root.map("copy");
  CHECK(base.integer("racks", 0) == 3);
  CHECK(copy.integer("racks", 0) == 3);
  CHECK(copy.numbers("list") == std::vector<double>{1.0, 2.5});
  CHECK(base.numbers("list") == copy.numbers("list"));
  CHECK(root.string("name", "") == "lab");
  CHECK(root.string("other", "") == "lab");
  root.finish();
  CHECK(doc->errors().empty());
  // A key without a value is a null at the key's position, not an absent key.
  require_one(diags_of("a: 1\nempty:\n", [](YamlMap& m) { (void)m.integer("a", 0); (void)m.string("empty", "x"); }), 2, 1,
              "empty", "got nothing");
}

TEST_CASE("every kind of bad input is reported at its file, line, column and key", "[yaml]") {
  SECTION("syntax error: an unclosed flow list") {
    auto d = diags_of("a: 1\nb: [1, 2\nc: 3\n");
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == "t.yaml");
    CHECK(d[0].line >= 2);
    CHECK(d[0].message.find("syntax error") != std::string::npos);
  }
  SECTION("tab used for indentation") {
    require_one(diags_of("site:\n\tpue: 1.2\n"), 2, 1, "", "got a tab");
  }
  SECTION("empty document") {
    require_one(diags_of("# just a comment\n\n"), 1, 1, "", "empty document");
  }
  SECTION("NUL byte (binary data)") {
    require_one(diags_of(std::string("a: 1\nb: x\0y\n", 12)), 2, 5, "", "control byte 0x00");
  }
  SECTION("invalid UTF-8") {
    require_one(diags_of("a: 1\nname: caf\xe9\n"), 2, 10, "", "invalid byte 0xe9");
  }
  SECTION("a top level that is a list") {
    require_one(diags_of("- 1\n- 2\n"), 1, 1, "", "expected a mapping of keys at the top level");
  }
  SECTION("unknown key, listing the accepted keys and a suggestion") {
    auto d = diags_of("site:\n  pue: 1.2\n  colling: x\n",
                      [](YamlMap& r) {
                        YamlMap s = r.map("site");
                        s.number("pue", 1.2);
                        s.string("cooling", "");
                      });
    require_one(d, 3, 3, "site.colling", "unknown key 'colling'");
    CHECK(d[0].message.find("expected one of: pue, cooling") != std::string::npos);
    CHECK(d[0].message.find("did you mean 'cooling'") != std::string::npos);
  }
  SECTION("duplicate key") {
    auto d = diags_of("a: 1\nsite:\n  pue: 1.2\n  pue: 1.4\n", [](YamlMap& r) {
      r.integer("a", 0);
      CHECK(r.map("site").number("pue", 0) == 1.2);  // the first occurrence wins
    });
    require_one(d, 4, 3, "site.pue", "duplicate key 'pue' (first given at line 3)");
  }
  SECTION("wrong type: a mapping where a number is expected") {
    require_one(diags_of("site:\n  pue: {a: 1}\n",
                         [](YamlMap& r) { r.map("site").number("pue", 1.2); }),
                2, 8, "site.pue", "expected a number, got a mapping");
  }
  SECTION("wrong type: a word where a number is expected") {
    require_one(diags_of("count: eight\n", [](YamlMap& r) { r.integer("count", 1); }), 1, 8,
                "count", "expected an integer, got eight");
  }
  SECTION("wrong type: a quoted number is a string") {
    require_one(diags_of("count: \"8\"\n", [](YamlMap& r) { r.integer("count", 1); }), 1, 8,
                "count", "got the string \"8\"");
  }
  SECTION("wrong type: a list where a mapping is expected") {
    require_one(diags_of("site: [1]\n", [](YamlMap& r) { r.map("site"); }), 1, 7, "site",
                "expected a mapping, got a list");
  }
  SECTION("wrong type: yes is not a boolean") {
    require_one(diags_of("per_node: yes\n", [](YamlMap& r) { r.boolean("per_node", false); }),
                1, 11, "per_node", "expected true or false, got yes");
  }
  SECTION("negative number out of range") {
    require_one(diags_of("node:\n  gpus: -8\n",
                         [](YamlMap& r) { r.map("node").integer("gpus", 8, {.min = 1}); }),
                2, 9, "node.gpus", "expected an integer >= 1, got -8");
  }
  SECTION("number above its maximum") {
    require_one(diags_of("share: 1.5\n",
                         [](YamlMap& r) { r.number("share", 0, {.min = 0, .max = 1}); }),
                1, 8, "share", "expected a number in [0, 1], got 1.5");
  }
  SECTION("exclusive minimum") {
    require_one(diags_of("rate: 0\n",
                         [](YamlMap& r) { r.number("rate", 1, {.min = 0, .min_exclusive = true}); }),
                1, 7, "rate", "expected a number > 0, got 0");
  }
  SECTION("NaN") {
    require_one(diags_of("pue: .nan\n", [](YamlMap& r) { r.number("pue", 1.2); }), 1, 6, "pue",
                "expected a finite number, got .nan");
  }
  SECTION("infinity") {
    require_one(diags_of("pue: .inf\n", [](YamlMap& r) { r.number("pue", 1.2); }), 1, 6, "pue",
                "expected a finite number, got .inf");
  }
  SECTION("a number beyond the range of a double") {
    require_one(diags_of("pue: 1e999\n", [](YamlMap& r) { r.number("pue", 1.2); }), 1, 6, "pue",
                "beyond the range of a double");
  }
  SECTION("an integer that overflows 64 bits") {
    require_one(diags_of("jobs: 99999999999999999999999\n",
                         [](YamlMap& r) { r.integer("jobs", 1); }),
                1, 7, "jobs", "too large for a 64-bit integer");
  }
  SECTION("a fraction where an integer is expected") {
    require_one(diags_of("jobs: 2.5\n", [](YamlMap& r) { r.integer("jobs", 1); }), 1, 7, "jobs",
                "expected an integer, got 2.5");
  }
  SECTION("a bad duration") {
    require_one(diags_of("time:\n  sample: 15 minutes\n",
                         [](YamlMap& r) { r.map("time").duration("sample", 900); }),
                2, 11, "time.sample", "expected a duration");
  }
  SECTION("a value not among the choices") {
    require_one(diags_of("model: chiler\n",
                         [](YamlMap& r) { r.choice("model", "x", {"chiller", "liquid"}); }),
                1, 8, "model", "expected one of chiller, liquid, got chiler (did you mean 'chiller'?)");
  }
  SECTION("a missing required key is reported at its mapping") {
    require_one(diags_of("a: 1\nsite:\n  pue: 1.2\n",
                         [](YamlMap& r) {
                           r.integer("a", 0);
                           YamlMap s = r.map("site");
                           s.number("pue", 1);
                           s.required_string("platform");
                         }),
                3, 3, "site.platform", "missing required key 'platform'");
  }
  SECTION("a missing referenced file is an error at its key") {
    require_one(diags_of("platform: no-such-file.yaml\n",
                         [](YamlMap& r) { r.path("platform"); }),
                1, 11, "platform", "expected an existing file");
  }
  SECTION("more than one document") {
    require_one(diags_of("a: 1\n---\nb: 2\n"), 2, 1, "", "expected one YAML document, got more than one");
  }
  SECTION("a stray comma at document level (yaml-cpp 0.7 looped forever on it)") {
    require_one(diags_of("- a\n, b\n"), 2, 1, "", "expected a key, a list item or the end of the file, got ','");
  }
}

TEST_CASE("all errors of a document are collected before failing", "[yaml]") {
  auto d = diags_of("a: x\nb: -1\nc: 3\nc: 4\nzz: 1\n", [](YamlMap& r) {
    r.number("a", 0);
    r.number("b", 0, {.min = 0});
    r.integer("c", 0);
  });
  REQUIRE(d.size() == 4);  // duplicate c (at load), a, b, zz
}

TEST_CASE("an alias bomb is refused instead of exhausting memory", "[yaml]") {
  std::string t = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    t += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) t += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    t += "]\n";
  }
  auto d = diags_of(t);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("at most 1,000,000 nodes") != std::string::npos);
}

TEST_CASE("paths resolve relative to the file that names them", "[yaml]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "dcsim-yaml-reader-test";
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "data.csv") << "x\n1\n";
  std::ofstream(dir / "sub" / "s.yaml") << "trace: data.csv\n";
  auto doc = YamlDoc::load_file((dir / "sub" / "s.yaml").string());
  YamlMap root = doc->root_map();
  CHECK(root.path("trace") == (dir / "sub" / "data.csv").string());
  root.finish();
  CHECK(doc->errors().empty());
  CHECK(doc->referenced_paths().size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("a missing file is reported with its name", "[yaml]") {
  try {
    YamlDoc::load_file("/nonexistent/dir/x.yaml");
    FAIL("no error");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].file == "/nonexistent/dir/x.yaml");
  }
}

TEST_CASE("a base document merges under its child: mappings deep, lists replaced", "[yaml]") {
  auto base = YamlDoc::load_string("a: 1\nsite: {pue: 1.2, racks: 4}\nl: [1, 2]\n", "base.yaml");
  auto child = YamlDoc::load_string("site: {pue: x}\nl: [3]\n", "child.yaml");
  child->merge_base(*base);
  YamlMap root = child->root_map();
  CHECK(root.integer("a", 0) == 1);
  YamlMap site = root.map("site");
  CHECK(site.integer("racks", 0) == 4);
  site.number("pue", 0);  // bad value: reported in the child file, where it was written
  CHECK(root.numbers("l") == std::vector<double>{3});
  root.finish();
  REQUIRE(child->errors().size() == 1);
  CHECK(child->errors().all()[0].file == "child.yaml");
  CHECK(child->errors().all()[0].line == 1);
  CHECK(child->errors().all()[0].key_path == "site.pue");
}

TEST_CASE("overrides set values, create mappings, index lists and report bad paths", "[yaml]") {
  auto doc = YamlDoc::load_string("site: {pue: 1.2}\nenergy: [{after: 10}]\n", "t.yaml");
  doc->apply_override("site.pue=1.4");
  doc->apply_override("site.solar.peak_mw=20");
  doc->apply_override("energy.0.after=30min");
  doc->apply_override("energy.3.after=1");
  doc->apply_override("novalue");
  doc->apply_override("site..pue=1");
  REQUIRE(doc->errors().size() == 3);
  CHECK(doc->errors().all()[0].key_path == "energy.3");
  CHECK(doc->errors().all()[0].file == "--set");
  CHECK(doc->errors().all()[1].message.find("expected key.path=value") != std::string::npos);
  YamlMap root = doc->root_map();
  YamlMap site = root.map("site");
  CHECK(site.number("pue", 0) == 1.4);
  CHECK(site.map("solar").number("peak_mw", 0) == 20);
  auto energy = root.list("energy");
  CHECK(energy[0].as_map().duration("after", 0) == 1800);
  root.finish();
  CHECK(doc->errors().size() == 3);
  std::string y = doc->emit();
  CHECK(y.find("peak_mw: 20") != std::string::npos);
}

TEST_CASE("an override of an unknown key is reported as unknown, at --set", "[yaml]") {
  auto doc = YamlDoc::load_string("site: {pue: 1.2}\n", "t.yaml");
  doc->apply_override("site.peu=1.4");
  YamlMap root = doc->root_map();
  root.map("site").number("pue", 0);
  root.finish();
  REQUIRE(doc->errors().size() == 1);
  CHECK(doc->errors().all()[0].file == "--set");
  CHECK(doc->errors().all()[0].key_path == "site.peu");
  CHECK(doc->errors().all()[0].message.find("did you mean 'pue'") != std::string::npos);
}

TEST_CASE("the emitted document reads back to the same values", "[yaml]") {
  auto doc = YamlDoc::load_string(
      "name: \"x: y\"\ncount: 3\nempty: {}\nl: []\nn: ~\ns: '8'\nnested: {a: [1, {b: 2}]}\n",
      "t.yaml");
  auto again = YamlDoc::load_string(doc->emit(), "again.yaml");
  CHECK(again->emit() == doc->emit());
  YamlMap r = again->root_map();
  CHECK(r.string("name", "") == "x: y");
  CHECK(r.string("s", "") == "8");
  CHECK(r.integer("count", 0) == 3);
}

// The emitter writes plain only what reads back as the same plain scalar, quotes the rest
// (issue 18: our own emitter instead of yaml-cpp's, whose quoting dominated sweep expansion).
TEST_CASE("the emitter quotes what would not read back and keeps the tree", "[yaml]") {
  const char* text =
      "\"key: with colon\": a\n"
      "\"#hash\": b\n"
      "\"\": empty key\n"
      "\"---\": marker\n"
      "plain: 2025-01-01T00:00:00Z\n"
      "comment: \"a #b\"\n"
      "colon: \"a: b\"\n"
      "dash: -5\n"
      "dashword: \"- x\"\n"
      "star: \"*ref\"\n"
      "ctl: \"tab\\there\\nline\\x01\"\n"
      "quote: \"say \\\"hi\\\" \\\\ back\"\n"
      "utf8: \"\xC3\xA9t\xC3\xA9\"\n"
      "flowy: \"[1, 2]\"\n"
      "trail: \"ends: \"\n"
      "nested: [[1, 2], [], {a: [x, {b: ~}]}, {}]\n"
      "maps: [{a: 1, b: {c: 2}}, {d: [3]}]\n"
      "quoted_number: '8'\n";
  auto doc = YamlDoc::load_string(text, "q.yaml");
  const std::string once = doc->emit();
  auto again = YamlDoc::load_string(once, "again.yaml");
  REQUIRE(again->errors().size() == 0);
  CHECK(again->emit() == once);
  YamlMap r = again->root_map();
  CHECK(r.string("key: with colon", "") == "a");
  CHECK(r.string("#hash", "") == "b");
  CHECK(r.string("", "") == "empty key");
  CHECK(r.string("---", "") == "marker");
  CHECK(r.string("comment", "") == "a #b");
  CHECK(r.string("colon", "") == "a: b");
  CHECK(r.number("dash", 0) == -5);
  CHECK(r.string("dashword", "") == "- x");
  CHECK(r.string("star", "") == "*ref");
  CHECK(r.string("ctl", "") == "tab\there\nline\x01");
  CHECK(r.string("quote", "") == "say \"hi\" \\ back");
  CHECK(r.string("utf8", "") == "\xC3\xA9t\xC3\xA9");
  CHECK(r.string("flowy", "") == "[1, 2]");
  CHECK(r.string("trail", "") == "ends: ");
  CHECK(r.string("quoted_number", "") == "8");
  auto nested = r.list("nested");
  REQUIRE(nested.size() == 4);
  CHECK(nested[0].as_list().size() == 2);
  CHECK(nested[1].as_list().size() == 0);
  CHECK(nested[2].as_map().list("a").size() == 2);
  auto maps = r.list("maps");
  REQUIRE(maps.size() == 2);
  CHECK(maps[0].as_map().map("b").number("c", 0) == 2);
  CHECK(maps[1].as_map().list("d")[0].as_number() == 3);
  // the two plain scalars stay plain: a timestamp and a negative number
  CHECK(once.find("plain: 2025-01-01T00:00:00Z\n") != std::string::npos);
  CHECK(once.find("dash: -5\n") != std::string::npos);
  CHECK(once.find("quoted_number: \"8\"\n") != std::string::npos);
}

TEST_CASE("every YAML file of the repository emits a document that reads back to itself", "[yaml]") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const char* dir : {"scenarios", "platforms", "workloads", "tests/fixtures"}) {
    for (const auto& f : fs::recursive_directory_iterator(std::string(DCSIM_SOURCE_DIR) + "/" + dir)) {
      if (f.path().extension() != ".yaml") continue;
      std::unique_ptr<YamlDoc> doc;
      try {
        doc = YamlDoc::load_file(f.path().string());
      } catch (...) {
        continue;  // the fixtures include files that are broken on purpose
      }
      if (doc->errors().size() != 0) continue;
      const std::string once = doc->emit();
      auto again = YamlDoc::load_string(once, "again.yaml");
      INFO(f.path().string());
      CHECK(again->errors().size() == 0);
      CHECK(again->emit() == once);
      ++files;
    }
  }
  CHECK(files > 50);
}
