#pragma once
// A thin, strict layer over yaml-cpp 0.7 for every file a user writes (scenario, platform,
// workload, sweep). yaml-cpp reports syntax errors with a position but accepts duplicate keys
// silently and gives type errors without a key; this layer:
//   - reports `file:line:col: key.path: expected …, got …` for every problem,
//   - rejects unknown keys (each mapping declares the keys it accepts) and duplicate keys,
//   - collects every error before throwing them together as an InputError.
// Usage:
//   YamlDoc doc = YamlDoc::load_file(path);          // throws InputError on syntax errors
//   DiagnosticSink& errs = doc.errors();
//   YamlMap root = doc.root_map();                   // error if the document is not a mapping
//   double pue = root.number("pue", 1.5, {.min = 1.0, .max = 5.0});   // optional with default
//   int n = root.required_int("count", {.min = 1});
//   YamlMap site = root.map("site");                 // optional mapping (empty if absent)
//   root.finish();                                   // reports keys that were never asked for
//   doc.errors().throw_if_any();
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"

namespace YAML { class Node; }

namespace dcsim {

struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // true: value must be > min
};

class YamlDoc;

// A position in a file plus the key path that led there.
struct YamlPos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key_path;
};

class YamlValue;
class YamlList;

// A mapping node. Every key read through it is marked as known; finish() reports the rest.
class YamlMap {
 public:
  YamlMap() = default;
  bool present() const;                 // false if the key was absent (empty mapping)
  bool has(const std::string& key) const;
  const YamlPos& pos() const { return pos_; }

  // Scalars with defaults (absent → default; present but invalid → error, returns default).
  double number(const std::string& key, double def, Range r = {});
  std::int64_t integer(const std::string& key, std::int64_t def, Range r = {});
  bool boolean(const std::string& key, bool def);
  std::string string(const std::string& key, const std::string& def);
  // One of the allowed values.
  std::string choice(const std::string& key, const std::string& def,
                     const std::vector<std::string>& allowed);
  // A duration: "15min", "1h", a number of seconds.
  Seconds duration(const std::string& key, Seconds def, Range r = {});
  // A file path resolved relative to the directory of the file that names it; checked to exist.
  std::string path(const std::string& key, const std::string& def = "");

  // Required variants: report "missing required key" if absent.
  double required_number(const std::string& key, Range r = {});
  std::int64_t required_integer(const std::string& key, Range r = {});
  std::string required_string(const std::string& key);
  std::string required_path(const std::string& key);

  std::optional<double> optional_number(const std::string& key, Range r = {});

  YamlMap map(const std::string& key);        // absent → !present()
  YamlList list(const std::string& key);      // absent → empty list
  std::vector<double> numbers(const std::string& key, Range r = {});
  std::vector<std::string> strings(const std::string& key);
  // All keys of this mapping in file order (marks none as known).
  std::vector<std::string> keys() const;
  // Accept any key (for free-form maps such as a profile mix); marks all as known.
  std::vector<std::pair<std::string, YamlValue>> entries();

  // Report an error at this mapping (or at one of its keys if given).
  void error(const std::string& message, const std::string& key = "") const;
  // Report every key not read so far as unknown, with the list of accepted keys.
  void finish();

 private:
  friend class YamlDoc;
  friend class YamlValue;
  friend class YamlList;
  struct Impl;
  std::shared_ptr<Impl> impl_;
  YamlPos pos_;
};

class YamlValue {
 public:
  const YamlPos& pos() const { return pos_; }
  bool is_map() const;
  bool is_list() const;
  bool is_scalar() const;
  std::string scalar() const;   // raw scalar text
  double as_number(Range r = {}) const;
  std::string as_string() const;
  YamlMap as_map() const;
  YamlList as_list() const;
  void error(const std::string& message) const;

 private:
  friend class YamlMap;
  friend class YamlList;
  friend class YamlDoc;
  std::shared_ptr<YAML::Node> node_;
  std::shared_ptr<void> doc_;  // keeps the document alive
  YamlDoc* owner_ = nullptr;
  YamlPos pos_;
};

class YamlList {
 public:
  std::size_t size() const { return items_.size(); }
  const YamlValue& operator[](std::size_t i) const { return items_[i]; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  const YamlPos& pos() const { return pos_; }

 private:
  friend class YamlMap;
  friend class YamlValue;
  std::vector<YamlValue> items_;
  YamlPos pos_;
};

class YamlDoc {
 public:
  // Throws InputError (file:line:col) on unreadable files, syntax errors, tabs used for
  // indentation, empty documents and binary garbage.
  static std::unique_ptr<YamlDoc> load_file(const std::string& path);
  static std::unique_ptr<YamlDoc> load_string(const std::string& text, const std::string& name);
  YamlMap root_map();
  DiagnosticSink& errors() { return errors_; }
  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  std::string dir() const;  // directory of the file, for relative paths

 private:
  std::string file_;
  std::string text_;
  std::shared_ptr<YAML::Node> root_;
  DiagnosticSink errors_;
};

}  // namespace dcsim
