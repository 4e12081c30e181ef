// The strict YAML layer (see yaml_reader.hpp for what it accepts and rejects).
//
// libyaml (0.2, Debian's libyaml-dev) parses the text into events; we build our own tree (YNode)
// from them, which carries the file and the 1-based line/column of every key and value. Our tree
// is what the typed readers walk, what `extends` merges and what `--set` overrides edit, so every
// error can name the file that wrote the offending value. Duplicate keys are found while
// building (a YAML parser passes every pair on; a loader would keep one of them silently).
// Until 2026-12-04 the events came from yaml-cpp 0.7, whose scanner was 85 % of loading a big
// file (a catalogue parsed at 5.8 MB/s, now ~15 MB/s; tests/bench/README.md "Parsers") and which
// needed workarounds (a stray ',' made it loop; an unclosed quote swallowed the rest of the file).
#include "config/yaml_reader.hpp"

#include <yaml.h>  // libyaml: the event parser

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>
#include <sstream>

#include "core/text.hpp"
#include "core/calendar.hpp"
#include "core/suggest.hpp"

namespace dcsim {

namespace yaml_detail {

struct YEntry {
  std::string key;
  std::string file;
  int line = 0;
  int col = 0;
  std::shared_ptr<YNode> value;
};

struct YNode {
  enum class Kind { Null, Scalar, Map, List };
  Kind kind = Kind::Null;
  std::string text;     // scalar text
  bool quoted = false;  // quoted (or block) scalar: always a string
  std::vector<YEntry> entries;
  std::vector<std::shared_ptr<YNode>> items;
  std::string file;
  int line = 0;
  int col = 0;

  // Lookup by key. Small mappings are searched in order; larger ones through an index built
  // lazily over `entries` (keys are unique: the builder drops duplicates). Entries appended
  // since the last lookup are indexed on the next one; whoever erases or reorders entries calls
  // reindex(). Without the index, reading every key of a mapping of n keys costs n^2 (10^5
  // top-level keys took minutes).
  const YEntry* find(const std::string& k) const {
    if (entries.size() < kIndexFrom) {
      for (const auto& e : entries)
        if (e.key == k) return &e;
      return nullptr;
    }
    if (indexed_ > entries.size()) reindex();
    for (; indexed_ < entries.size(); ++indexed_) index_.try_emplace(entries[indexed_].key, indexed_);
    const auto it = index_.find(k);
    if (it == index_.end()) return nullptr;
    const YEntry& e = entries[it->second];
    if (e.key != k) {  // entries were changed in place without reindex(): rebuild once
      reindex();
      return find(k);
    }
    return &e;
  }
  YEntry* find(const std::string& k) { return const_cast<YEntry*>(std::as_const(*this).find(k)); }
  void reindex() const {
    index_.clear();
    indexed_ = 0;
  }

 private:
  static constexpr std::size_t kIndexFrom = 16;
  mutable std::unordered_map<std::string, std::size_t> index_;
  mutable std::size_t indexed_ = 0;
};

}  // namespace yaml_detail

using yaml_detail::YEntry;
using yaml_detail::YNode;
using NodePtr = std::shared_ptr<YNode>;

namespace {

constexpr std::size_t kMaxFileBytes = 16u << 20;
constexpr std::size_t kMaxNodes = 1'000'000;
constexpr const char* kOverrideFile = "--set";
constexpr std::size_t kMaxSuggestions = 200;  // "did you mean" for this many unknown keys per document

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "." + b;
}

// A short printable rendering of user text for messages.
std::string shorten(const std::string& s, std::size_t max = 60) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
    if (out.size() >= max) {
      out += "…";
      break;
    }
  }
  return out;
}

std::string fmt_num(double v) { return text::format_shortest(v); }

std::string range_text(const char* what, const Range& r) {
  bool lo = std::isfinite(r.min), hi = std::isfinite(r.max);
  std::string s = what;
  if (lo && hi) {
    s += std::string(" in ") + (r.min_exclusive ? "(" : "[") + fmt_num(r.min) + ", " +
         fmt_num(r.max) + "]";
  } else if (lo) {
    s += (r.min_exclusive ? " > " : " >= ") + fmt_num(r.min);
  } else if (hi) {
    s += " <= " + fmt_num(r.max);
  }
  return s;
}

bool in_range(double v, const Range& r) {
  if (r.min_exclusive ? !(v > r.min) : !(v >= r.min)) return false;
  return v <= r.max;
}

std::string describe_node(const YNode* n) {
  if (!n) return "nothing";
  switch (n->kind) {
    case YNode::Kind::Null: return "nothing (null)";
    case YNode::Kind::Map: return "a mapping";
    case YNode::Kind::List: return "a list";
    case YNode::Kind::Scalar:
      if (n->quoted) return "the string \"" + shorten(n->text) + "\"";
      return shorten(n->text);
  }
  return "?";
}

// "Did you mean" suggestions: the rule of core/suggest.hpp, shared with catalogue and policy names.
std::string suggestion(const std::string& key, const std::vector<std::string>& accepted) {
  return did_you_mean(key, accepted);
}

// ---- pre-parse checks ------------------------------------------------------------------------

Diagnostic at(const std::string& file, int line, int col, std::string msg) {
  return Diagnostic{file, line, col, "", std::move(msg)};
}

// NUL bytes, control characters and invalid UTF-8: the file is not YAML text.
void check_text(const std::string& text, const std::string& file) {
  int line = 1, col = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      col = 1;
      ++i;
      continue;
    }
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
        char buf[80];
        std::snprintf(buf, sizeof buf,
                      "expected UTF-8 text, got the control byte 0x%02x (binary data?)", c);
        throw InputError(at(file, line, col, buf));
      }
      ++i;
      ++col;
      continue;
    }
    std::size_t len = (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
                      : (c >= 0xf0 && c <= 0xf4)  ? 4
                                                  : 0;
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (ok && len == 3) {  // overlongs and surrogates
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) ok = false;
    }
    if (ok && len == 4) {
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)) ok = false;
    }
    if (!ok) {
      char buf[80];
      std::snprintf(buf, sizeof buf, "expected UTF-8 text, got the invalid byte 0x%02x", c);
      throw InputError(at(file, line, col, buf));
    }
    i += len;
    ++col;
  }
}

// YAML forbids tabs in indentation; parsers differ in what they make of them (yaml-cpp took some).
void check_tabs(const std::string& text, const std::string& file) {
  std::vector<Diagnostic> d;
  int line = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t eol = text.find('\n', i);
    if (eol == std::string::npos) eol = text.size();
    std::size_t j = i;
    while (j < eol && (text[j] == ' ' || text[j] == '\t')) ++j;
    bool blank = j == eol || text[j] == '\r' || text[j] == '#';
    if (!blank) {
      // only the indentation [i, j) is searched (a find to the end of the text per line made
      // this quadratic: 6 s for 10^5 lines)
      std::size_t tab = i;
      while (tab < j && text[tab] != '\t') ++tab;
      if (tab < j) {
        d.push_back(at(file, line, static_cast<int>(tab - i) + 1,
                       "expected spaces for indentation, got a tab character"));
        if (d.size() >= 10) break;
      }
    }
    i = eol + 1;
    ++line;
  }
  if (!d.empty()) throw InputError(std::move(d));
}

// ---- libyaml events → YNode ------------------------------------------------------------------------

// A position in the text as the parser reports it (0-based line and column; -1: none), an
// anchor's number (0: none) and a syntax error.
struct Mark {
  int line = -1;
  int column = -1;
};
using anchor_t = std::size_t;
struct SyntaxError {
  Mark mark;
  std::string msg;
};

// Builds our tree straight from the parser's events (one pass over the text; no library node
// tree in between). Node for node what a YAML 1.2 loader gives: scalars
// with their tag ("!" = quoted or block scalar), nulls at the position of the key (or list) that
// holds them, aliases expanded (copies, counted against kMaxNodes), every pair of a mapping in
// order with duplicates and non-scalar keys reported to `errors` and left out.
class TreeBuilder final {
 public:
  TreeBuilder(std::string file, DiagnosticSink& errors, int line, int col, std::string key_path)
      : file_(std::move(file)), errors_(errors), root_line_(line), root_col_(col), root_path_(std::move(key_path)) {}

  NodePtr root() const { return root_; }

  void OnDocumentStart(const Mark&) {}
  void OnDocumentEnd() {}
  void OnNull(const Mark& m, anchor_t anchor) {
    if (skipping()) return;
    Slot s = slot(m);
    if (s.drop) return;
    auto n = make(s);
    n->kind = YNode::Kind::Null;
    n->line = s.line;  // a null has no text: it sits where its key (or list) is
    n->col = s.col;
    place(s, n, anchor);
  }
  void OnAlias(const Mark& m, anchor_t anchor) {
    if (skipping()) return;
    const auto it = anchors_.find(anchor);
    Slot s = slot(m);
    if (s.drop) return;
    if (it == anchors_.end()) {  // the driver rejects unknown aliases; keep a null
      auto n = make(s);
      n->line = s.line;
      n->col = s.col;
      place(s, n, 0);
      return;
    }
    place(s, copy(it->second, s), 0);
  }
  void OnScalar(const Mark& m, const std::string& tag, anchor_t anchor,
                const std::string& value) {
    if (skipping()) return;
    Slot s = slot(m);
    if (s.drop) return;
    auto n = make(s);
    n->kind = YNode::Kind::Scalar;
    n->text = value;
    n->quoted = tag == "!";
    n->line = pos_line(m, s.line);
    n->col = pos_col(m, s.col);
    place(s, n, anchor);
  }
  void OnSequenceStart(const Mark& m, anchor_t anchor) {
    open(m, YNode::Kind::List, anchor);
  }
  void OnSequenceEnd() { close(); }
  void OnMapStart(const Mark& m, anchor_t anchor) {
    open(m, YNode::Kind::Map, anchor);
  }
  void OnMapEnd() { close(); }

 private:
  // An open mapping or list; in a mapping, the key read last (its value comes next).
  struct Frame {
    NodePtr node;
    std::string path;
    bool have_key = false;
    bool drop_value = false;  // the key was bad or a duplicate: its value is parsed and left out
    std::string key;
    int key_line = 0, key_col = 0;
    std::unordered_map<std::string, int> seen;  // keys of this mapping: line first given
  };
  // Where the next node goes, with its fallback position and key path.
  struct Slot {
    enum class Role { Root, Item, Key, Value } role = Role::Root;
    int line = 0, col = 0;
    std::string path;
    bool drop = false;
  };

  static int pos_line(const Mark& m, int fallback) { return m.line >= 0 ? m.line + 1 : fallback; }
  static int pos_col(const Mark& m, int fallback) { return m.column >= 0 ? m.column + 1 : fallback; }

  bool skipping() const { return skip_depth_ > 0; }

  Slot slot(const Mark& m) {
    Slot s;
    if (stack_.empty()) {
      s.line = root_line_;
      s.col = root_col_;
      s.path = root_path_;
      return s;
    }
    Frame& f = stack_.back();
    if (f.node->kind == YNode::Kind::List) {
      s.role = Slot::Role::Item;
      s.line = f.node->line;
      s.col = f.node->col;
      s.path = join_path(f.path, std::to_string(f.node->items.size()));
      return s;
    }
    if (!f.have_key) {
      s.role = Slot::Role::Key;
      s.line = pos_line(m, f.node->line);
      s.col = pos_col(m, f.node->col);
      s.path = f.path;
      return s;
    }
    s.role = Slot::Role::Value;
    s.line = f.key_line;
    s.col = f.key_col;
    s.path = join_path(f.path, f.key);
    s.drop = f.drop_value;
    if (s.drop) f.have_key = false;  // a dropped scalar or null value ends the pair here
    return s;
  }

  NodePtr make(const Slot& s) {
    if (++count_ > kMaxNodes)
      throw InputError(Diagnostic{file_, s.line, s.col, s.path,
                                  "expected at most 1,000,000 nodes (keys, values and list items), got more (aliases expanding, or a file that big)"});
    auto n = std::make_shared<YNode>();
    n->file = file_;
    return n;
  }

  NodePtr copy(const NodePtr& from, const Slot& s) {
    NodePtr c = make(s);
    c->kind = from->kind;
    c->text = from->text;
    c->quoted = from->quoted;
    c->line = from->line;
    c->col = from->col;
    c->entries.reserve(from->entries.size());
    for (const YEntry& e : from->entries) {
      YEntry ce = e;
      ce.value = copy(e.value, s);
      c->entries.push_back(std::move(ce));
    }
    c->items.reserve(from->items.size());
    for (const NodePtr& i : from->items) c->items.push_back(copy(i, s));
    return c;
  }

  // A scalar or null key is read as text; a mapping or list as a key is an error (its value is
  // parsed and left out).
  void place(const Slot& s, const NodePtr& n, anchor_t anchor) {
    if (anchor) anchors_[anchor] = n;
    switch (s.role) {
      case Slot::Role::Root: root_ = n; break;
      case Slot::Role::Item: stack_.back().node->items.push_back(n); break;
      case Slot::Role::Key: {
        Frame& f = stack_.back();
        f.have_key = true;
        f.drop_value = false;
        f.key_line = s.line;
        f.key_col = s.col;
        if (n->kind != YNode::Kind::Scalar) {
          errors_.add(Diagnostic{file_, s.line, s.col, f.path,
                                 "expected a plain key (a name), got " +
                                     std::string(n->kind == YNode::Kind::Map    ? "a mapping"
                                                 : n->kind == YNode::Kind::List ? "a list"
                                                                                : "nothing") +
                                     " as a key"});
          f.drop_value = true;
          break;
        }
        f.key = n->text;
        if (const auto [it, fresh] = f.seen.try_emplace(f.key, s.line); !fresh) {
          errors_.add(Diagnostic{file_, s.line, s.col, join_path(f.path, f.key),
                                 "duplicate key '" + shorten(f.key) + "' (first given at line " +
                                     std::to_string(it->second) + "); expected each key once"});
          f.drop_value = true;
        }
        break;
      }
      case Slot::Role::Value: {
        Frame& f = stack_.back();
        YEntry e;
        e.key = f.key;
        e.file = file_;
        e.line = f.key_line;
        e.col = f.key_col;
        e.value = n;
        f.node->entries.push_back(std::move(e));
        f.have_key = false;
        break;
      }
    }
  }

  void open(const Mark& m, YNode::Kind kind, anchor_t anchor) {
    if (skipping()) {
      ++skip_depth_;
      return;
    }
    Slot s = slot(m);
    if (s.drop) {  // the value of a bad or duplicate key: parse it, keep nothing
      skip_depth_ = 1;
      return;
    }
    if (s.role == Slot::Role::Key) {  // a mapping or list as a key: report, skip it and its value
      auto n = std::make_shared<YNode>();
      n->kind = kind;
      place(s, n, 0);  // reports and marks the value dropped
      skip_depth_ = 1;
      return;
    }
    auto n = make(s);
    n->kind = kind;
    n->line = pos_line(m, s.line);
    n->col = pos_col(m, s.col);
    place(s, n, anchor);
    Frame f;
    f.node = n;
    f.path = s.path;
    stack_.push_back(std::move(f));
  }

  // The end of a skipped subtree needs no bookkeeping: a skipped key left its pair waiting for
  // the (dropped) value; a dropped value already ended its pair in slot().
  void close() {
    if (skipping()) {
      --skip_depth_;
      return;
    }
    stack_.pop_back();
  }

  std::string file_;
  DiagnosticSink& errors_;
  int root_line_, root_col_;
  std::string root_path_;
  NodePtr root_;
  std::vector<Frame> stack_;
  std::map<anchor_t, NodePtr> anchors_;
  std::size_t count_ = 0;
  int skip_depth_ = 0;
};

NodePtr deep_copy(const NodePtr& n) {
  auto c = std::make_shared<YNode>(*n);
  for (auto& e : c->entries) e.value = deep_copy(e.value);
  for (auto& i : c->items) i = deep_copy(i);
  return c;
}

std::vector<std::string> split_path(const std::string& kp) {
  std::vector<std::string> segs;
  std::size_t s = 0;
  while (true) {
    auto d = kp.find('.', s);
    segs.push_back(kp.substr(s, d == std::string::npos ? std::string::npos : d - s));
    if (d == std::string::npos) break;
    s = d + 1;
  }
  return segs;
}

// True if the key path is declared whole (its value replaces instead of merging).
bool is_whole(const std::string& kp, const std::vector<std::string>& whole) {
  const auto segs = split_path(kp);
  for (const auto& w : whole) {
    const auto ws = split_path(w);
    if (ws.size() != segs.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < ws.size() && ok; ++i) ok = ws[i] == "*" || ws[i] == segs[i];
    if (ok) return true;
  }
  return false;
}

// The composition rule (YamlDoc::set_whole_paths): `over` laid over `base` at key path kp.
NodePtr merge(const NodePtr& base, const NodePtr& over, const std::string& kp,
              const std::vector<std::string>& whole) {
  if (base->kind != YNode::Kind::Map || over->kind != YNode::Kind::Map) return over;
  if (!kp.empty() && is_whole(kp, whole)) return over;
  auto out = std::make_shared<YNode>(*over);
  out->entries.clear();
  out->reindex();
  for (const auto& be : base->entries) out->entries.push_back(be);
  for (const auto& oe : over->entries) {
    if (YEntry* e = out->find(oe.key)) {
      if (oe.value->kind == YNode::Kind::Null) {  // `key: ~` removes the inherited value
        out->entries.erase(out->entries.begin() + (e - out->entries.data()));
        continue;
      }
      NodePtr v = merge(e->value, oe.value, join_path(kp, oe.key), whole);
      *e = oe;
      e->value = v;
    } else {
      out->entries.push_back(oe);
    }
  }
  return out;
}

// Our own block-style emitter (the resolved scenario is emitted once per sweep run, and its
// SHA-256 is the run id: yaml-cpp's Emitter spent 64 % of a sweep's expansion deciding how to
// quote). A scalar is written plain when its text is certainly a plain scalar in block context
// and was plain in the source (so it reads back with the same meaning); otherwise double-quoted
// with escapes. Quoted scalars stay quoted (they are strings whatever they look like). Empty
// mappings and sequences are `{}` and `[]`; null is `~`. The output parses back to the same
// tree (tests/unit/config/test_yaml_reader.cpp).
bool plain_safe(const std::string& t) {
  if (t.empty()) return false;
  const unsigned char first = static_cast<unsigned char>(t.front());
  if (first == ' ' || t.back() == ' ' || t.back() == ':') return false;
  if (t.rfind("---", 0) == 0 || t.rfind("...", 0) == 0) return false;  // document markers
  if (std::strchr("-?:,[]{}#&*!|>'\"%@`", first) && !(first == '-' && t.size() > 1 && t[1] != ' '))
    return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(t[i]);
    if (c >= 0x80 || std::isalnum(c)) continue;
    switch (c) {
      case '.': case '_': case '-': case '+': case '/': case '(': case ')': case '=': case '%':
      case '@': case '^': case '$': case ';': case '<': case '>': case '~': case '\'': case '*':
      case '&': case '!': case '?':
        continue;
      case ' ':
        if (i + 1 < t.size() && t[i + 1] == '#') return false;
        continue;
      case ':':
        if (i + 1 < t.size() && t[i + 1] == ' ') return false;
        continue;
      default: return false;  // ',', '[', ']', '{', '}', '#', '"', '`', '\\', '|', control chars
    }
  }
  return true;
}

void emit_quoted(std::string& out, const std::string& t) {
  out += '"';
  for (const char ch : t) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void emit_scalar(std::string& out, const std::string& t, bool quoted) {
  if (!quoted && plain_safe(t)) out += t;
  else emit_quoted(out, t);
}

bool inline_node(const YNode& n) {
  return n.kind == YNode::Kind::Null || n.kind == YNode::Kind::Scalar ||
         (n.kind == YNode::Kind::Map && n.entries.empty()) || (n.kind == YNode::Kind::List && n.items.empty());
}

void emit_inline(std::string& out, const YNode& n) {
  switch (n.kind) {
    case YNode::Kind::Null: out += '~'; break;
    case YNode::Kind::Scalar: emit_scalar(out, n.text, n.quoted); break;
    case YNode::Kind::Map: out += "{}"; break;
    case YNode::Kind::List: out += "[]"; break;
  }
}

// Writes a non-inline node as a block at `indent` spaces; the first line's indentation is
// already written when `first_done` (after "- ").
void emit_block(std::string& out, const YNode& n, std::size_t indent, bool first_done) {
  bool first = true;
  auto lead = [&] {
    if (!(first && first_done)) out.append(indent, ' ');
    first = false;
  };
  if (n.kind == YNode::Kind::Map) {
    for (const auto& e : n.entries) {
      lead();
      emit_scalar(out, e.key, false);
      out += ':';
      if (inline_node(*e.value)) {
        out += ' ';
        emit_inline(out, *e.value);
        out += '\n';
      } else {
        out += '\n';
        emit_block(out, *e.value, indent + 2, false);
      }
    }
  } else {
    for (const auto& i : n.items) {
      lead();
      out += '-';
      if (inline_node(*i)) {
        out += ' ';
        emit_inline(out, *i);
        out += '\n';
      } else {
        out += ' ';
        emit_block(out, *i, indent + 2, true);
      }
    }
  }
}

std::string dir_of_file(const std::string& file) {
  if (file == kOverrideFile) return "";
  return std::filesystem::path(file).parent_path().string();
}

// Number parsing. YAML 1.2 core schema decimal forms; .inf/.nan are refused (a simulation
// parameter is always finite).
enum class NumStatus { Ok, NotNumber, NonFinite, OutOfRange };

NumStatus parse_double(const std::string& s, double& out) {
  std::string t = s;
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  std::string low;
  for (char c : t) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (low == ".inf" || low == "-.inf" || low == ".nan" || low == "inf" || low == "-inf" ||
      low == "nan" || low == "-nan" || low == "infinity" || low == "-infinity")
    return NumStatus::NonFinite;
  if (t.empty()) return NumStatus::NotNumber;
  // Only digits, sign, dot, exponent: no hex, no "inf" spelled inside.
  for (char c : t)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E'))
      return NumStatus::NotNumber;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  auto res = std::from_chars(b, e, out);
  if (res.ec == std::errc::result_out_of_range) return NumStatus::OutOfRange;
  if (res.ec != std::errc() || res.ptr != e) return NumStatus::NotNumber;
  if (!std::isfinite(out)) return NumStatus::OutOfRange;
  return NumStatus::Ok;
}

struct Parsed {
  NodePtr root;          // nullptr: no document at all
  bool second = false;   // a second document follows
  Mark second_start;     // where it starts
};

// The byte offset of a (0-based) line and column counted in characters, as libyaml counts them.
std::size_t byte_at(const std::string& text, int line, int column) {
  std::size_t off = 0;
  for (int l = 0; l < line && off < text.size(); ++l) {
    off = text.find('\n', off);
    off = off == std::string::npos ? text.size() : off + 1;
  }
  for (int c = 0; c < column && off < text.size(); ++c) {
    ++off;
    while (off < text.size() && (static_cast<unsigned char>(text[off]) & 0xC0) == 0x80) ++off;  // UTF-8 continuation
  }
  return off;
}

// The message for a second document or a stray ',' at document level.
std::string second_document_message(const std::string& text, const Mark& m) {
  const std::size_t off = m.line >= 0 ? byte_at(text, m.line, m.column) : std::string::npos;
  if (off < text.size() && text[off] == ',') return "expected a key, a list item or the end of the file, got ','";
  return "expected one YAML document, got more than one";
}

// libyaml's parser, freed on every path.
struct Parser {
  yaml_parser_t p;
  yaml_event_t ev;
  bool have_event = false;
  const std::string& text;
  explicit Parser(const std::string& t) : text(t) {
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(t.data()), t.size());
  }
  ~Parser() {
    if (have_event) yaml_event_delete(&ev);
    yaml_parser_delete(&p);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  static Mark mark(const yaml_mark_t& m) { return Mark{static_cast<int>(m.line), static_cast<int>(m.column)}; }
  // The next event; a syntax error throws SyntaxError at the problem's position, with the
  // parser's words (a quoted string left open is named as such, at its opening quote).
  const yaml_event_t& next() {
    if (have_event) yaml_event_delete(&ev);
    have_event = false;
    if (!yaml_parser_parse(&p, &ev)) {
      const std::string problem = p.problem ? p.problem : "unreadable input";
      const std::string context = p.context ? p.context : "";
      if (context == "while scanning a quoted scalar" && problem == "found unexpected end of stream")
        throw SyntaxError{mark(p.context_mark), "a quoted string is never closed (it runs to the end of the file)"};
      // A line without ':' in a block mapping is found at the next line: name the line itself.
      const Mark at = mark(problem == "could not find expected ':'" ? p.context_mark : p.problem_mark);
      const std::size_t off = byte_at(text, at.line, at.column);
      if (off < text.size() && text[off] == ',' && context.find("flow") == std::string::npos)
        throw SyntaxError{at, "expected a key, a list item or the end of the file, got ','"};
      std::string msg = problem;
      if (!context.empty()) {
        msg += " (" + context;
        if (p.context_mark.line != p.problem_mark.line || p.context_mark.column != p.problem_mark.column)
          msg += " that starts at line " + std::to_string(p.context_mark.line + 1) + ", column " +
                 std::to_string(p.context_mark.column + 1);
        msg += ")";
      }
      throw SyntaxError{at, msg};
    }
    have_event = true;
    return ev;
  }
};

// The YAML 1.2 core schema's null spellings, for an untagged plain scalar.
bool null_text(const char* v, std::size_t n) {
  const std::string_view t(v, n);
  return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL";
}

// Parses the first document of `text` into our tree, in one pass over libyaml's events, then
// reads one more event to know whether a second document follows.
Parsed parse_document(const std::string& text, const std::string& file, DiagnosticSink& errors, int line,
                      int col, const std::string& key_path) {
  Parser parser(text);
  TreeBuilder b(file, errors, line, col, key_path);
  Parsed out;
  std::unordered_map<std::string, anchor_t> anchors;  // name → number of its latest definition
  anchor_t next_anchor = 0;
  auto define = [&](const yaml_char_t* name) -> anchor_t {
    if (!name) return 0;
    const anchor_t id = ++next_anchor;
    anchors[reinterpret_cast<const char*>(name)] = id;
    return id;
  };
  bool in_doc = false, done = false;
  while (!done) {
    const yaml_event_t& e = parser.next();
    const Mark m = Parser::mark(e.start_mark);
    switch (e.type) {
      case YAML_STREAM_START_EVENT: break;
      case YAML_STREAM_END_EVENT: done = true; break;
      case YAML_DOCUMENT_START_EVENT: in_doc = true; break;
      case YAML_DOCUMENT_END_EVENT: done = true; break;
      case YAML_ALIAS_EVENT: {
        const auto it = anchors.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (it == anchors.end())
          throw SyntaxError{m, "the alias *" + std::string(reinterpret_cast<const char*>(e.data.alias.anchor)) +
                                   " names no anchor defined before it"};
        b.OnAlias(m, it->second);
        break;
      }
      case YAML_SCALAR_EVENT: {
        const auto& sc = e.data.scalar;
        const char* v = reinterpret_cast<const char*>(sc.value);
        const bool plain = sc.style == YAML_PLAIN_SCALAR_STYLE;
        const std::string tag = sc.tag ? reinterpret_cast<const char*>(sc.tag) : (plain ? "?" : "!");
        const anchor_t a = define(sc.anchor);
        if (tag == "?" && null_text(v, sc.length)) b.OnNull(m, a);
        else b.OnScalar(m, tag, a, std::string(v, sc.length));
        break;
      }
      case YAML_SEQUENCE_START_EVENT: b.OnSequenceStart(m, define(e.data.sequence_start.anchor)); break;
      case YAML_SEQUENCE_END_EVENT: b.OnSequenceEnd(); break;
      case YAML_MAPPING_START_EVENT: b.OnMapStart(m, define(e.data.mapping_start.anchor)); break;
      case YAML_MAPPING_END_EVENT: b.OnMapEnd(); break;
      case YAML_NO_EVENT: done = true; break;
    }
  }
  if (!in_doc) return out;  // no document at all
  out.root = b.root();
  if (!out.root) {  // a document with nothing in it
    out.root = std::make_shared<YNode>();
    out.root->file = file;
    out.root->line = line;
    out.root->col = col;
  }
  try {
    const yaml_event_t& e = parser.next();
    if (e.type == YAML_DOCUMENT_START_EVENT) {
      out.second = true;
      out.second_start = Parser::mark(e.start_mark);
    }
  } catch (const SyntaxError& se) {  // garbage after the document: a second one that does not parse
    out.second = true;
    out.second_start = se.mark;
  }
  return out;
}

}  // namespace

std::optional<double> parse_yaml_number(const std::string& text) {
  double v = 0;
  if (parse_double(text, v) == NumStatus::Ok) return v;
  return std::nullopt;
}

// ---- YamlMap::Impl ---------------------------------------------------------------------------

struct YamlMap::Impl {
  YamlDoc* doc = nullptr;
  NodePtr node;                    // a Map node, or null when the mapping is absent
  std::vector<std::string> asked;  // accepted keys, in the order the code asked for them
  std::set<std::string> read;      // the same keys, indexed once there are kIndexAsked of them
  YamlPos pos;                     // where the mapping is, with its key path
  bool finished = false;

  // Most mappings are asked for a handful of keys: a linear search over `asked` costs less
  // than a std::set node per key (a sweep validates every run's scenario: issue 18).
  static constexpr std::size_t kIndexAsked = 24;
  void ask(const std::string& k) {
    if (asked.size() < kIndexAsked) {
      if (std::find(asked.begin(), asked.end(), k) != asked.end()) return;
      asked.push_back(k);
      if (asked.size() == kIndexAsked) read.insert(asked.begin(), asked.end());
    } else if (read.insert(k).second) {
      asked.push_back(k);
    }
  }
  bool was_asked(const std::string& k) const {
    if (asked.size() < kIndexAsked) return std::find(asked.begin(), asked.end(), k) != asked.end();
    return read.count(k) != 0;
  }
};

namespace {

Diagnostic diag(const YamlPos& p, std::string msg) {
  return Diagnostic{p.file, p.line, p.column, p.key_path, std::move(msg)};
}

}  // namespace

// ---- YamlValue -------------------------------------------------------------------------------

bool YamlValue::is_map() const { return node_ && node_->kind == YNode::Kind::Map; }
bool YamlValue::is_list() const { return node_ && node_->kind == YNode::Kind::List; }
bool YamlValue::is_scalar() const { return node_ && node_->kind == YNode::Kind::Scalar; }
bool YamlValue::is_null() const { return !node_ || node_->kind == YNode::Kind::Null; }
bool YamlValue::is_quoted() const { return is_scalar() && node_->quoted; }
std::string YamlValue::scalar() const { return is_scalar() ? node_->text : std::string(); }
std::string YamlValue::describe() const { return describe_node(node_.get()); }

void YamlValue::error(const std::string& message) const {
  if (owner_) owner_->errors_.add(diag(pos_, message));
}

double YamlValue::as_number(Range r) const {
  const char* what = "a number";
  if (!is_scalar() || node_->quoted) {
    error("expected " + range_text(what, r) + ", got " + describe());
    return std::isfinite(r.min) ? r.min : 0.0;
  }
  double v = 0;
  switch (parse_double(node_->text, v)) {
    case NumStatus::Ok: break;
    case NumStatus::NotNumber:
      error("expected " + range_text(what, r) + ", got " + describe());
      return std::isfinite(r.min) ? r.min : 0.0;
    case NumStatus::NonFinite:
      error("expected a finite number, got " + describe());
      return std::isfinite(r.min) ? r.min : 0.0;
    case NumStatus::OutOfRange:
      error("expected " + range_text("a finite number", r) + ", got " + describe() +
            " (beyond the range of a double)");
      return std::isfinite(r.min) ? r.min : 0.0;
  }
  if (!in_range(v, r)) {
    error("expected " + range_text(what, r) + ", got " + describe());
    return std::clamp(v, std::isfinite(r.min) ? r.min : v, std::isfinite(r.max) ? r.max : v);
  }
  return v;
}

std::int64_t YamlValue::as_integer(Range r) const {
  const char* what = "an integer";
  auto fallback = [&]() -> std::int64_t {
    return std::isfinite(r.min) ? static_cast<std::int64_t>(r.min) : 0;
  };
  if (!is_scalar() || node_->quoted) {
    error("expected " + range_text(what, r) + ", got " + describe());
    return fallback();
  }
  std::string t = node_->text;
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  bool digits = !t.empty();
  for (std::size_t i = 0; i < t.size(); ++i)
    if (!(std::isdigit(static_cast<unsigned char>(t[i])) || (i == 0 && t[i] == '-' && t.size() > 1)))
      digits = false;
  std::int64_t v = 0;
  if (digits) {
    auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    if (res.ec == std::errc::result_out_of_range) {
      error("expected " + range_text(what, r) + ", got " + describe() +
            " (too large for a 64-bit integer)");
      return fallback();
    }
    if (res.ec != std::errc() || res.ptr != t.data() + t.size()) {
      error("expected " + range_text(what, r) + ", got " + describe());
      return fallback();
    }
  } else {
    // 1e6 is an integer written in scientific notation; 2.5 is not.
    double d = 0;
    NumStatus st = parse_double(node_->text, d);
    if (st == NumStatus::NonFinite) {
      error("expected " + range_text("a finite integer", r) + ", got " + describe());
      return fallback();
    }
    if (st == NumStatus::OutOfRange || (st == NumStatus::Ok && std::fabs(d) >= 9.2e18)) {
      error("expected " + range_text(what, r) + ", got " + describe() +
            " (too large for a 64-bit integer)");
      return fallback();
    }
    if (st != NumStatus::Ok || d != std::floor(d)) {
      error("expected " + range_text(what, r) + ", got " + describe());
      return fallback();
    }
    v = static_cast<std::int64_t>(d);
  }
  if (!in_range(static_cast<double>(v), r)) {
    error("expected " + range_text(what, r) + ", got " + describe());
    return fallback();
  }
  return v;
}

bool YamlValue::as_bool() const {
  if (is_scalar() && !node_->quoted) {
    const std::string& t = node_->text;
    if (t == "true" || t == "True" || t == "TRUE") return true;
    if (t == "false" || t == "False" || t == "FALSE") return false;
  }
  error("expected true or false, got " + describe());
  return false;
}

std::string YamlValue::as_string() const {
  if (!is_scalar()) {
    error("expected a string, got " + describe());
    return "";
  }
  return node_->text;
}

YamlMap YamlValue::as_map() const {
  YamlMap m;
  m.pos_ = pos_;
  if (!owner_) return m;
  if (is_map()) {
    m.impl_ = owner_->impl_for(node_, pos_);
  } else {
    if (!is_null()) error("expected a mapping, got " + describe());
    m.impl_ = std::make_shared<YamlMap::Impl>();
    m.impl_->doc = owner_;
  }
  return m;
}

YamlList YamlValue::as_list() const {
  YamlList l;
  l.pos_ = pos_;
  if (is_null()) return l;
  if (!is_list()) {
    error("expected a list, got " + describe());
    return l;
  }
  for (std::size_t i = 0; i < node_->items.size(); ++i) {
    const NodePtr& item = node_->items[i];
    YamlValue v;
    v.node_ = item;
    v.owner_ = owner_;
    v.pos_ = YamlPos{item->file, item->line, item->col, join_path(pos_.key_path, std::to_string(i))};
    l.items_.push_back(std::move(v));
  }
  return l;
}

// ---- YamlMap ---------------------------------------------------------------------------------

bool YamlMap::present() const { return impl_ && impl_->node != nullptr; }

bool YamlMap::has(const std::string& key) const {
  return present() && impl_->node->find(key) != nullptr;
}

YamlPos YamlMap::key_pos(const std::string& key) const {
  if (present())
    if (const YEntry* e = impl_->node->find(key))
      return YamlPos{e->file, e->line, e->col, join_path(pos_.key_path, key)};
  return YamlPos{pos_.file, pos_.line, pos_.column, join_path(pos_.key_path, key)};
}

std::optional<YamlValue> YamlMap::value(const std::string& key) {
  if (!impl_) return std::nullopt;
  impl_->ask(key);
  if (!present()) return std::nullopt;
  const YEntry* e = impl_->node->find(key);
  if (!e) return std::nullopt;
  YamlValue v;
  v.node_ = e->value;
  v.owner_ = impl_->doc;
  v.pos_ = YamlPos{e->value->file, e->value->line, e->value->col, join_path(pos_.key_path, key)};
  return v;
}

void YamlMap::accept(const std::string& key) {
  if (impl_) impl_->ask(key);
}

void YamlMap::error(const std::string& message, const std::string& key) const {
  if (!impl_ || !impl_->doc) return;
  impl_->doc->errors_.add(diag(key.empty() ? pos_ : key_pos(key), message));
}

double YamlMap::number(const std::string& key, double def, Range r) {
  auto v = value(key);
  return v ? v->as_number(r) : def;
}

std::int64_t YamlMap::integer(const std::string& key, std::int64_t def, Range r) {
  auto v = value(key);
  return v ? v->as_integer(r) : def;
}

bool YamlMap::boolean(const std::string& key, bool def) {
  auto v = value(key);
  return v ? v->as_bool() : def;
}

std::string YamlMap::string(const std::string& key, const std::string& def) {
  auto v = value(key);
  return v ? v->as_string() : def;
}

std::string YamlMap::choice(const std::string& key, const std::string& def,
                            const std::vector<std::string>& allowed) {
  auto v = value(key);
  if (!v) return def;
  if (!v->is_scalar()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    v->error("expected one of " + list + ", got " + v->describe());
    return def;
  }
  std::string s = v->scalar();
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  v->error("expected one of " + list + ", got " + v->describe() + suggestion(s, allowed));
  return def;
}

Seconds YamlMap::duration(const std::string& key, Seconds def, Range r) {
  auto v = value(key);
  if (!v) return def;
  const char* what = "a duration (seconds, or e.g. 15min, 1h, 2d, 1w)";
  if (!v->is_scalar()) {
    v->error(std::string("expected ") + what + ", got " + v->describe());
    return def;
  }
  double d = 0;
  NumStatus st = parse_double(v->scalar(), d);
  if (st == NumStatus::NonFinite || st == NumStatus::OutOfRange) {
    v->error("expected a finite duration, got " + v->describe());
    return def;
  }
  if (st != NumStatus::Ok) {
    auto p = parse_duration(v->scalar());
    if (!p || !std::isfinite(*p)) {
      v->error(std::string("expected ") + what + ", got " + v->describe());
      return def;
    }
    d = *p;
  }
  if (!in_range(d, r)) {
    Range rs = r;
    v->error("expected " + range_text("a duration (s)", rs) + ", got " + v->describe() +
             (st == NumStatus::Ok ? "" : " = " + fmt_num(d) + " s"));
    return def;
  }
  return d;
}

std::string YamlMap::path(const std::string& key, const std::string& def) {
  auto v = value(key);
  if (!v || v->is_null()) return def;  // `key: ~` removes an inherited path
  if (!v->is_scalar() || v->scalar().empty()) {
    v->error("expected a file path, got " + v->describe());
    return def;
  }
  namespace fs = std::filesystem;
  fs::path p(v->scalar());
  if (p.is_relative()) p = fs::path(dir_of_file(v->pos().file)) / p;
  p = p.lexically_normal();
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    v->error("expected an existing file, got " + v->describe() + " (not found: " + p.string() +
             ")");
    return p.string();
  }
  YamlDoc& d = *impl_->doc;
  if (d.referenced_set_.insert(p.string()).second) d.referenced_.push_back(p.string());
  return p.string();
}

namespace {
// A missing key is reported at its mapping's position, with the key's own path.
void missing(YamlMap& m, const std::string& key, const std::string& what) {
  m.error("missing required key '" + key + "' (expected " + what + ")", key);
}
}  // namespace

double YamlMap::required_number(const std::string& key, Range r) {
  if (!has(key)) {
    accept(key);
    missing(*this, key, range_text("a number", r));
    return std::isfinite(r.min) ? r.min : 0.0;
  }
  return number(key, 0.0, r);
}

std::int64_t YamlMap::required_integer(const std::string& key, Range r) {
  if (!has(key)) {
    accept(key);
    missing(*this, key, range_text("an integer", r));
    return std::isfinite(r.min) ? static_cast<std::int64_t>(r.min) : 0;
  }
  return integer(key, 0, r);
}

std::string YamlMap::required_string(const std::string& key) {
  if (!has(key)) {
    accept(key);
    missing(*this, key, "a string");
    return "";
  }
  return string(key, "");
}

std::string YamlMap::required_path(const std::string& key) {
  if (!has(key)) {
    accept(key);
    missing(*this, key, "a file path");
    return "";
  }
  return path(key, "");
}

std::optional<double> YamlMap::optional_number(const std::string& key, Range r) {
  auto v = value(key);
  if (!v || v->is_null()) return std::nullopt;  // `key: ~` removes an inherited value
  return v->as_number(r);
}

YamlMap YamlMap::map(const std::string& key) {
  auto v = value(key);
  YamlMap m;
  m.pos_ = key_pos(key);
  if (!v || v->is_null()) {
    m.impl_ = std::make_shared<Impl>();
    if (impl_) m.impl_->doc = impl_->doc;
    return m;
  }
  m = v->as_map();
  return m;
}

YamlList YamlMap::list(const std::string& key) {
  auto v = value(key);
  if (!v) {
    YamlList l;
    l.pos_ = key_pos(key);
    return l;
  }
  return v->as_list();
}

std::vector<double> YamlMap::numbers(const std::string& key, Range r) {
  std::vector<double> out;
  for (const auto& item : list(key)) out.push_back(item.as_number(r));
  return out;
}

std::vector<std::string> YamlMap::strings(const std::string& key) {
  std::vector<std::string> out;
  for (const auto& item : list(key)) out.push_back(item.as_string());
  return out;
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> out;
  if (present())
    for (const auto& e : impl_->node->entries) out.push_back(e.key);
  return out;
}

std::vector<std::pair<std::string, YamlValue>> YamlMap::entries() {
  std::vector<std::pair<std::string, YamlValue>> out;
  for (const auto& k : keys()) out.emplace_back(k, *value(k));
  return out;
}

void YamlMap::finish() {
  if (!impl_ || !impl_->doc) return;
  YamlDoc* doc = impl_->doc;
  auto finish_one = [&](Impl& im, const YamlPos& p) {
    if (im.finished || !im.node) return;
    im.finished = true;
    std::string accepted;
    bool accepted_built = false;
    for (const auto& e : im.node->entries) {
      if (im.was_asked(e.key)) continue;
      if (!accepted_built) {
        for (const auto& a : im.asked) accepted += (accepted.empty() ? "" : ", ") + a;
        accepted_built = true;
      }
      std::string msg = "unknown key '" + shorten(e.key) + "'";
      // "did you mean" costs an edit distance per accepted key: only for the first unknown keys
      // of a document (more are never printed: print_diagnostics shows 50 per file).
      const bool suggest = doc->suggestions_ < kMaxSuggestions;
      if (suggest && !accepted.empty()) ++doc->suggestions_;
      msg += accepted.empty() ? " (expected no keys here)"
                              : "; expected one of: " + accepted + (suggest ? suggestion(e.key, im.asked) : "");
      doc->errors_.add(Diagnostic{e.file, e.line, e.col, join_path(p.key_path, e.key), msg});
    }
  };
  finish_one(*impl_, pos_);
  // Every mapping below this one that was read through this layer.
  std::vector<const YNode*> stack;
  if (impl_->node) stack.push_back(impl_->node.get());
  while (!stack.empty()) {
    const YNode* n = stack.back();
    stack.pop_back();
    for (const auto& e : n->entries) stack.push_back(e.value.get());
    for (const auto& i : n->items) stack.push_back(i.get());
    if (n == impl_->node.get()) continue;
    auto it = doc->impls_.find(n);
    if (it != doc->impls_.end()) finish_one(*it->second, it->second->pos);
  }
}

// ---- YamlDoc ---------------------------------------------------------------------------------

YamlDoc::~YamlDoc() = default;

std::shared_ptr<YamlMap::Impl> YamlDoc::impl_for(const NodePtr& node, const YamlPos& pos) {
  auto it = impls_.find(node.get());
  if (it != impls_.end()) return it->second;
  auto im = std::make_shared<YamlMap::Impl>();
  im->doc = this;
  im->node = node;
  im->pos = pos;
  impls_.emplace(node.get(), im);
  return im;
}

std::unique_ptr<YamlDoc> YamlDoc::load_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(at(path, 0, 0, "expected an existing file, got a path that does not exist"));
  if (fs::is_directory(path, ec)) throw InputError(at(path, 0, 0, "expected a file, got a directory"));
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes)
    throw InputError(at(path, 0, 0, "expected a YAML file of at most 16 MiB, got " +
                                        std::to_string(size) + " bytes"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(at(path, 0, 0, "cannot read the file (permission denied?)"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

namespace {

// The trees of the last documents parsed, by name and exact text: a sweep loads its base scenario
// (and the base's `extends` chain) once per run, and `dcsim validate` reads a file to tell its
// kind before loading it. The parse is the costly part (~1.4 µs per key); a deep copy of
// the tree is a fraction of that. A hit needs the same name and byte-identical text, so the
// tree, positions and diagnostics are exactly what a fresh parse gives.
struct ParseCache {
  struct Entry {
    std::string name, text;
    NodePtr root;
    std::vector<Diagnostic> errors;
    std::uint64_t used = 0;
  };
  static constexpr std::size_t kEntries = 8;
  static constexpr std::size_t kMaxText = 4u << 20;  // larger documents are not kept
  std::mutex mu;
  std::vector<Entry> entries;
  std::uint64_t clock = 0;

  bool get(const std::string& name, const std::string& text, NodePtr& root, std::vector<Diagnostic>& errors) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& e : entries)
      if (e.name == name && e.text == text) {
        e.used = ++clock;
        root = deep_copy(e.root);
        errors = e.errors;
        return true;
      }
    return false;
  }
  void put(const std::string& name, const std::string& text, const NodePtr& root, const std::vector<Diagnostic>& errors) {
    if (text.size() > kMaxText) return;
    std::lock_guard<std::mutex> lock(mu);
    Entry e{name, text, deep_copy(root), errors, ++clock};
    for (auto& old : entries)
      if (old.name == name) {
        old = std::move(e);
        return;
      }
    if (entries.size() < kEntries) {
      entries.push_back(std::move(e));
      return;
    }
    auto lru = std::min_element(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    *lru = std::move(e);
  }
};

ParseCache& parse_cache() {
  static ParseCache c;
  return c;
}

}  // namespace

std::unique_ptr<YamlDoc> YamlDoc::load_string(const std::string& text_in, const std::string& name) {
  std::unique_ptr<YamlDoc> doc(new YamlDoc);
  doc->file_ = name;
  {
    const bool bom = text_in.rfind("\xEF\xBB\xBF", 0) == 0;
    const std::string& key = text_in;
    NodePtr root;
    std::vector<Diagnostic> errors;
    if (parse_cache().get(name, key, root, errors)) {
      doc->text_ = bom ? text_in.substr(3) : text_in;
      doc->root_ = std::move(root);
      for (auto& d : errors) doc->errors_.add(std::move(d));
      return doc;
    }
  }
  std::string text = text_in;
  if (text.size() > kMaxFileBytes)
    throw InputError(at(name, 0, 0, "expected a YAML file of at most 16 MiB, got " +
                                        std::to_string(text.size()) + " bytes"));
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // UTF-8 byte order mark
  check_text(text, name);
  check_tabs(text, name);
  doc->text_ = text;
  Parsed parsed;
  try {
    parsed = parse_document(text, name, doc->errors_, 1, 1, "");
    if (parsed.second) {
      const Mark& m = parsed.second_start;
      throw InputError(at(name, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0,
                          second_document_message(text, m)));
    }
  } catch (const SyntaxError& e) {
    throw InputError(at(name, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                        e.mark.column >= 0 ? e.mark.column + 1 : 0,
                        "expected valid YAML, got a syntax error: " + e.msg));
  }
  if (!parsed.root || parsed.root->kind == YNode::Kind::Null)
    throw InputError(at(name, 1, 1, "expected a mapping of keys, got an empty document"));
  doc->root_ = parsed.root;
  parse_cache().put(name, text_in, doc->root_, doc->errors_.all());
  return doc;
}

YamlMap YamlDoc::root_map() {
  YamlMap m;
  m.pos_ = YamlPos{file_, root_ ? root_->line : 1, root_ ? root_->col : 1, ""};
  if (root_ && root_->kind == YNode::Kind::Map) {
    m.impl_ = impl_for(root_, m.pos_);
  } else {
    errors_.add(diag(m.pos_, "expected a mapping of keys at the top level, got " +
                                 describe_node(root_.get())));
    m.impl_ = std::make_shared<YamlMap::Impl>();
    m.impl_->doc = this;
  }
  return m;
}

std::string YamlDoc::dir() const { return dir_of_file(file_); }

void YamlDoc::merge_base(const YamlDoc& base) {
  for (const auto& d : base.errors_.all()) errors_.add(d);
  for (const auto& r : base.referenced_)
    if (referenced_set_.insert(r).second) referenced_.push_back(r);
  if (!root_ || !base.root_) return;
  root_ = merge(deep_copy(base.root_), root_, "", whole_);
  impls_.clear();
}

std::optional<YamlPos> YamlDoc::locate(const std::string& key_path) const {
  if (!root_ || key_path.empty()) return std::nullopt;
  const YNode* cur = root_.get();
  std::optional<YamlPos> found;
  std::string walked;
  for (const auto& seg : split_path(key_path)) {
    const std::string here = join_path(walked, seg);
    if (cur->kind == YNode::Kind::Map) {
      const YEntry* e = cur->find(seg);
      if (!e) break;
      found = YamlPos{e->file, e->line, e->col, here};
      cur = e->value.get();
    } else if (cur->kind == YNode::Kind::List) {
      std::size_t idx = 0;
      auto res = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (res.ec != std::errc() || idx >= cur->items.size()) break;
      cur = cur->items[idx].get();
      found = YamlPos{cur->file, cur->line, cur->col, here};
    } else {
      break;
    }
    walked = here;
  }
  return found;
}

bool YamlDoc::erase_root_key(const std::string& key) {
  if (!root_ || root_->kind != YNode::Kind::Map) return false;
  auto& es = root_->entries;
  auto it = std::find_if(es.begin(), es.end(), [&](const YEntry& e) { return e.key == key; });
  if (it == es.end()) return false;
  es.erase(it);
  root_->reindex();
  return true;
}

void YamlDoc::apply_override(const std::string& assignment) {
  auto fail = [&](const std::string& kp, const std::string& msg) {
    errors_.add(Diagnostic{kOverrideFile, 0, 0, kp, msg});
  };
  auto eq = assignment.find('=');
  if (eq == std::string::npos) {
    fail("", "expected key.path=value, got '" + shorten(assignment) + "' (no '=')");
    return;
  }
  std::string kp = assignment.substr(0, eq);
  std::string val = assignment.substr(eq + 1);
  const std::vector<std::string> segs = split_path(kp);
  for (const auto& s : segs) {
    bool bad = s.empty();
    for (char c : s)
      if (std::isspace(static_cast<unsigned char>(c))) bad = true;
    if (bad) {
      fail(kp, "expected a key path like site.cooling.pue, got '" + shorten(kp) + "'");
      return;
    }
  }
  NodePtr value;
  // A plain word or number (1.1, 42, fcfs, 15min, ../x.yaml) is the scalar itself: no parser run
  // (a sweep applies several overrides per run; a parser's set-up would dominate its expansion).
  const auto plain_scalar = [](const std::string& v) {
    if (v.empty() || v == "null" || v == "Null" || v == "NULL" || v.rfind("...", 0) == 0) return false;
    for (char c : v)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-' || c == '/'))
        return false;
    const auto c0 = static_cast<unsigned char>(v[0]);
    return std::isalnum(c0) || c0 == '.' || c0 == '_' || c0 == '/' ||
           ((c0 == '-' || c0 == '+') && v.size() > 1 && (std::isdigit(static_cast<unsigned char>(v[1])) || v[1] == '.'));
  };
  if (plain_scalar(val)) {
    value = std::make_shared<YNode>();
    value->kind = YNode::Kind::Scalar;
    value->text = val;
  }
  if (!value) try {  // anything else through the parser
    check_text(val, kOverrideFile);
    DiagnosticSink sink;
    Parsed parsed = parse_document(val, kOverrideFile, sink, 0, 0, kp);
    if (parsed.second) throw SyntaxError{Mark{}, second_document_message(val, parsed.second_start)};
    value = parsed.root ? parsed.root : std::make_shared<YNode>();
    for (auto& d : sink.all()) errors_.add(d);
  } catch (const SyntaxError& e) {
    fail(kp, "expected a YAML value, got '" + shorten(val) + "' (" + e.msg + ")");
    return;
  } catch (const InputError& e) {
    fail(kp, e.diagnostics().front().message);
    return;
  }
  // Positions of an override: file "--set", no line.
  std::vector<YNode*> todo{value.get()};
  while (!todo.empty()) {
    YNode* n = todo.back();
    todo.pop_back();
    n->file = kOverrideFile;
    n->line = n->col = 0;
    for (auto& e : n->entries) {
      e.file = kOverrideFile;
      e.line = e.col = 0;
      todo.push_back(e.value.get());
    }
    for (auto& i : n->items) todo.push_back(i.get());
  }
  impls_.clear();
  if (!root_) root_ = std::make_shared<YNode>();
  if (root_->kind == YNode::Kind::Null) root_->kind = YNode::Kind::Map;
  YNode* cur = root_.get();
  std::string walked;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    bool last = i + 1 == segs.size();
    std::string here = join_path(walked, seg);
    if (cur->kind == YNode::Kind::List) {
      std::size_t idx = 0;
      auto res = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (res.ec != std::errc() || res.ptr != seg.data() + seg.size() || idx >= cur->items.size()) {
        fail(here, "expected a list index below " + std::to_string(cur->items.size()) +
                       " (the list at " + (walked.empty() ? "the top" : walked) + " has " +
                       std::to_string(cur->items.size()) + " items), got '" + shorten(seg) + "'");
        return;
      }
      if (last) {
        cur->items[idx] = merge(cur->items[idx], value, here, whole_);
        return;
      }
      cur = cur->items[idx].get();
    } else {
      if (cur->kind == YNode::Kind::Null) cur->kind = YNode::Kind::Map;
      if (cur->kind != YNode::Kind::Map) {
        fail(here, "expected " + (walked.empty() ? std::string("the top level") : walked) +
                       " to be a mapping to set '" + seg + "' in, got " + describe_node(cur));
        return;
      }
      YEntry* e = cur->find(seg);
      const bool existed = e != nullptr;
      if (!e) {
        YEntry ne;
        ne.key = seg;
        ne.file = kOverrideFile;
        ne.value = std::make_shared<YNode>();
        ne.value->file = kOverrideFile;
        ne.value->kind = YNode::Kind::Map;
        cur->entries.push_back(std::move(ne));
        e = &cur->entries.back();
      }
      if (last) {
        // The composition rule of merge_base: null removes an existing key, a mapping merges
        // into a mapping (unless the key path is whole), anything else replaces.
        if (value->kind == YNode::Kind::Null && existed) {
          cur->entries.erase(cur->entries.begin() + (e - cur->entries.data()));
          return;
        }
        e->value = existed ? merge(e->value, value, here, whole_) : value;
        return;
      }
      cur = e->value.get();
    }
    walked = here;
  }
}

std::string YamlDoc::emit() const {
  if (!root_) return "";
  std::string out;
  if (inline_node(*root_)) {
    emit_inline(out, *root_);
    out += '\n';
  } else {
    emit_block(out, *root_, 0, false);
  }
  return out;
}

std::vector<std::string> YamlDoc::root_keys() const {
  std::vector<std::string> out;
  if (root_ && root_->kind == YNode::Kind::Map)
    for (const auto& e : root_->entries) out.push_back(e.key);
  return out;
}

}  // namespace dcsim
