#pragma once
// The one text layer of dcsim (issue 16): number parsing and formatting, trimming, joining,
// quoting. Modules use these instead of their own copies, so a number reads and prints the
// same way in every message.
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace dcsim::text {

// Without leading and trailing white space.
constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A finite decimal number, the whole of `s` after trimming (a leading '+' allowed); nullopt
// for anything else (empty, trailing text, inf, nan, out of range).
inline std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// printf's %.<precision>g: "0.5", "1e+06", "1200" (the form of most messages).
inline std::string format_g(double v, int precision = 6) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*g", precision, v);
  return b;
}

// The shortest text that reads back as the same double; integers below 1e15 without exponent,
// ±inf as "inf" / "-inf" (ranges and defaults in messages and `dcsim describe`).
inline std::string format_shortest(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

inline std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

// "\"value\"" for a message, cut to `max_chars` characters and "…" (a trace's field may be long).
inline std::string quote(std::string_view s, std::size_t max_chars = 40) {
  std::string out = "\"";
  out += s.size() > max_chars ? std::string(s.substr(0, max_chars)) + "…" : std::string(s);
  return out + "\"";
}

}  // namespace dcsim::text
