#include "traces/text_scan.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/calendar.hpp"
#include "core/error.hpp"

namespace dcsim::traces::text {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Diagnostic d;
    d.file = path;
    d.message = std::string("expected a readable trace file, got ") + std::strerror(errno);
    throw InputError(d);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

LineReader::LineReader(std::string_view text) : text_(text) {
  if (text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
      static_cast<unsigned char>(text_[1]) == 0xBB && static_cast<unsigned char>(text_[2]) == 0xBF)
    pos_ = 3;
}

bool LineReader::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  const std::size_t end = text_.find('\n', pos_);
  const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
  line = text_.substr(pos_, stop - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end == std::string_view::npos ? text_.size() : end + 1;
  ++line_no_;
  return true;
}

void split_csv(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    if (i < n && line[i] == '"') {
      const std::size_t start = i + 1;
      std::size_t j = start;
      while (j < n) {
        if (line[j] == '"') {
          if (j + 1 < n && line[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      fields.push_back(line.substr(start, (j < n ? j : n) - start));
      // Skip to the next comma (anything between the closing quote and the comma is dropped).
      const std::size_t comma = j < n ? line.find(',', j) : std::string_view::npos;
      if (comma == std::string_view::npos) return;
      i = comma + 1;
    } else {
      const std::size_t comma = line.find(',', i);
      if (comma == std::string_view::npos) {
        fields.push_back(line.substr(i < n ? i : n));
        return;
      }
      fields.push_back(line.substr(i, comma - i));
      i = comma + 1;
    }
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_empty_cell(std::string_view s) {
  s = trim(s);
  return s.empty() || s == "NA" || s == "N/A" || s == "NaN" || s == "nan" || s == "null" ||
         s == "None" || s == "-nan";
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long> parse_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace {
// Reads exactly `width` digits at s[pos]; false if not digits.
bool digits(std::string_view s, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (std::size_t k = 0; k < width; ++k) {
    const char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  s = trim(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  std::size_t p = 0;
  Timestamp ts;
  if (s.size() == 13 && s[8] == ':') {  // PVGIS YYYYMMDD:HHMM (UTC)
    if (!digits(s, 0, 4, y) || !digits(s, 4, 2, mo) || !digits(s, 6, 2, d) || !digits(s, 9, 2, h) ||
        !digits(s, 11, 2, mi))
      return std::nullopt;
    p = s.size();
  } else {
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d))
      return std::nullopt;
    p = 10;
    if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
      ++p;
      if (!digits(s, p, 2, h) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, mi))
        return std::nullopt;
      p += 5;
      if (p < s.size() && s[p] == ':') {
        ++p;
        std::size_t q = p;
        while (q < s.size() && ((s[q] >= '0' && s[q] <= '9') || s[q] == '.')) ++q;
        if (q == p) return std::nullopt;
        const auto r = std::from_chars(s.data() + p, s.data() + q, sec);
        if (r.ec != std::errc() || r.ptr != s.data() + q) return std::nullopt;
        p = q;
      }
    }
  }
  // Offset
  if (p < s.size()) {
    const char c = s[p];
    if ((c == 'Z' || c == 'z') && p + 1 == s.size()) {
      ts.has_offset = true;
    } else if (c == '+' || c == '-') {
      const int sign = c == '-' ? -1 : 1;
      int oh = 0, om = 0;
      std::size_t q = p + 1;
      if (!digits(s, q, 2, oh)) return std::nullopt;
      q += 2;
      if (q < s.size() && s[q] == ':') ++q;
      if (q < s.size()) {
        if (!digits(s, q, 2, om)) return std::nullopt;
        q += 2;
      }
      if (q != s.size() || oh > 14 || om > 59) return std::nullopt;
      ts.has_offset = true;
      ts.offset_min = sign * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
      sec >= 61)
    return std::nullopt;
  ts.month = mo;
  ts.day = d;
  ts.hour = h;
  ts.unix_s = static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 +
              sec - ts.offset_min * 60.0;
  return ts;
}

std::string quote(std::string_view s) {
  if (s.size() > 60) return "'" + std::string(s.substr(0, 57)) + "...'";
  return "'" + std::string(s) + "'";
}

}  // namespace dcsim::traces::text
