#pragma once
// A thin, strict layer over libyaml's event parser for every file a user writes (scenario,
// platform, workload, sweep). A YAML parser reports syntax errors with a position but has no
// notion of keys a file may use, types or ranges; this layer:
//   - reports `file:line:col: key.path: expected …, got …` for every problem,
//   - rejects unknown keys (each mapping declares the keys it accepts) and duplicate keys,
//   - collects every error before throwing them together as an InputError.
// Usage:
//   auto doc = YamlDoc::load_file(path);             // throws InputError on syntax errors
//   DiagnosticSink& errs = doc->errors();
//   YamlMap root = doc->root_map();                  // error if the document is not a mapping
//   double pue = root.number("pue", 1.5, {.min = 1.0, .max = 5.0});   // optional with default
//   auto n = root.required_integer("count", {.min = 1});
//   YamlMap site = root.map("site");                 // optional mapping (empty if absent)
//   root.finish();                                   // reports keys never asked for, in this
//                                                    // mapping and every mapping read below it
//   doc->errors().throw_if_any();
//
// The accepted keys of a mapping are the keys the code asked for (present or not), so the
// "unknown key" message can list them without a separate schema. finish() must come last.
//
// What is rejected before any key is read (load_file/load_string throw InputError): unreadable
// files, files over 16 MiB, NUL bytes and other control characters, invalid UTF-8, tab
// characters in indentation, YAML syntax errors (with the parser's position), empty documents,
// more than one document, and documents that expand past 1,000,000 nodes (alias bombs).
// Duplicate keys and non-scalar keys are collected into errors() (the first occurrence wins).
//
// Big files (issue 18): loading is linear in the file (10^5 top-level keys: ~0.14 s CPU; a
// catalogue at ~15 MB/s; tests/bench/bm_parsers.cpp). Lookups in mappings of 16 keys or
// more go through a hash index; "did you mean" is computed for the first 200 unknown keys of a
// document only. The trees of the last 8 documents parsed (up to 4 MiB of text each) are kept by
// name and exact text, so loading the same file again (a sweep's base scenario once per run,
// `dcsim validate` telling a file's kind before loading it) costs a copy, not a parse.
//
// Positions are kept per node, with the file the node came from: after `extends` merging
// (merge_base) and `--set` overrides (apply_override) an error still points into the file —
// or at the `--set` argument — that wrote the offending value.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

namespace dcsim {

namespace yaml_detail {
struct YNode;  // our own tree (built from the parser's events), with a file and position on every node
}

// A YAML plain scalar read as a finite decimal number (1, -2.5, 1e6); nullopt for anything else
// (words, .nan, .inf, 1e999, hex). The same rule the typed readers use.
std::optional<double> parse_yaml_number(const std::string& text);

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
  // One of a closed choice's names (core/enum_names.hpp), as its enum.
  template <class E>
  E choice(const std::string& key, E def) {
    return parse_name<E>(choice(key, std::string(name_of(def)), all_names<E>())).value_or(def);
  }
  // A duration: "15min", "1h", a number of seconds.
  Seconds duration(const std::string& key, Seconds def, Range r = {});
  // A file path resolved relative to the directory of the file that names it; checked to exist.
  // A null value (`key: ~`, e.g. to remove a base's path) reads as absent.
  std::string path(const std::string& key, const std::string& def = "");

  // Required variants: report "missing required key" if absent, at the mapping's position
  // with the key's own path (e.g. `site.platform`).
  double required_number(const std::string& key, Range r = {});
  std::int64_t required_integer(const std::string& key, Range r = {});
  std::string required_string(const std::string& key);
  std::string required_path(const std::string& key);

  // Absent or null (`key: ~`) → nullopt.
  std::optional<double> optional_number(const std::string& key, Range r = {});

  YamlMap map(const std::string& key);        // absent (or null) → !present()
  YamlList list(const std::string& key);      // absent → empty list
  std::vector<double> numbers(const std::string& key, Range r = {});
  std::vector<std::string> strings(const std::string& key);
  // The value at a key (marks it as known); nullopt if absent.
  std::optional<YamlValue> value(const std::string& key);
  // All keys of this mapping in file order (marks none as known).
  std::vector<std::string> keys() const;
  // Accept any key (for free-form maps such as a profile mix); marks all as known.
  std::vector<std::pair<std::string, YamlValue>> entries();
  // Mark a key as known and accepted without reading it (e.g. `extends`).
  void accept(const std::string& key);
  // Position of a key (the key itself) or of the mapping if the key is absent.
  YamlPos key_pos(const std::string& key) const;

  // Report an error at this mapping (or at one of its keys if given).
  void error(const std::string& message, const std::string& key = "") const;
  // Report every key not read so far as unknown, with the list of accepted keys; then the same
  // for every mapping below this one that was read through this layer.
  void finish();

  struct Impl;

 private:
  friend class YamlDoc;
  friend class YamlValue;
  friend class YamlList;
  std::shared_ptr<Impl> impl_;
  YamlPos pos_;
};

class YamlValue {
 public:
  const YamlPos& pos() const { return pos_; }
  bool is_map() const;
  bool is_list() const;
  bool is_scalar() const;
  bool is_null() const;
  bool is_quoted() const;        // a quoted scalar ("8" is a string, 8 a number)
  std::string scalar() const;   // raw scalar text
  double as_number(Range r = {}) const;
  std::int64_t as_integer(Range r = {}) const;
  bool as_bool() const;
  std::string as_string() const;
  YamlMap as_map() const;
  YamlList as_list() const;
  // "8", "\"8\"", "a mapping", "a list", "nothing": how the value reads in an error message.
  std::string describe() const;
  void error(const std::string& message) const;

 private:
  friend class YamlMap;
  friend class YamlList;
  friend class YamlDoc;
  std::shared_ptr<yaml_detail::YNode> node_;
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
  ~YamlDoc();
  YamlMap root_map();
  DiagnosticSink& errors() { return errors_; }
  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  std::string dir() const;  // directory of the file, for relative paths

  // ---- composition (used by the scenario loader for `extends` and `--set`) ----
  // The composition rule, the same for `extends` (merge_base) and `--set` (apply_override):
  //   - a mapping laid over a mapping merges key by key (recursively), except at a key path
  //     declared whole (set_whole_paths: e.g. `workload.mix`, a value that must be complete),
  //     where the new mapping replaces the old one;
  //   - a scalar or a list replaces the old value;
  //   - null (`key: ~`) removes the key (an inherited or earlier value); a null for a key that
  //     was not there stays as written (so a misspelt key is still reported as unknown).
  // Whole paths are dot-separated key paths; a segment `*` matches any one key or list index.
  void set_whole_paths(std::vector<std::string> paths) { whole_ = std::move(paths); }
  // Deep merge: this document's root is laid over `base`'s root by the rule above. Nodes keep
  // the file and position they came from. base's errors are copied into ours.
  void merge_base(const YamlDoc& base);
  // Removes a top-level key (e.g. `extends` once it has been followed). True if it was there.
  bool erase_root_key(const std::string& key);
  // Applies one `key.path=value` override; the value is parsed as YAML (a scalar, or a flow
  // list/mapping). Missing intermediate mappings are created; list items are addressed by
  // index (`policies.energy.0.after=1h`). Malformed assignments are reported in errors() with
  // file "--set"; unknown key paths are reported by finish() like any unknown key.
  void apply_override(const std::string& assignment);
  // The (merged, overridden) document as YAML text, keys in order. Deterministic.
  std::string emit() const;
  // Every path resolved by YamlMap::path/required_path so far (existing files), in order.
  const std::vector<std::string>& referenced_paths() const { return referenced_; }
  // Top-level keys in order (empty if the root is not a mapping).
  std::vector<std::string> root_keys() const;
  // Where the value at a dot-separated key path (list items by index) was written: the
  // position of its key, or of the nearest enclosing key that exists; nullopt if not even the
  // first segment exists. For placing diagnostics found after loading (e.g. catalogue names).
  std::optional<YamlPos> locate(const std::string& key_path) const;

 private:
  friend class YamlMap;
  friend class YamlValue;
  YamlDoc() = default;
  std::shared_ptr<YamlMap::Impl> impl_for(const std::shared_ptr<yaml_detail::YNode>& node,
                                          const YamlPos& pos);
  std::string file_;
  std::string text_;
  std::shared_ptr<yaml_detail::YNode> root_;
  DiagnosticSink errors_;
  std::map<const yaml_detail::YNode*, std::shared_ptr<YamlMap::Impl>> impls_;
  std::vector<std::string> referenced_;
  std::vector<std::string> whole_;
  std::set<std::string> referenced_set_;  // the same, for a lookup per path
  std::size_t suggestions_ = 0;           // "did you mean" suggestions computed so far
};

}  // namespace dcsim
