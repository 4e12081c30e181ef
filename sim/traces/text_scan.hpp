#pragma once
// Small, allocation-free text scanning used by the trace loaders (and their fuzzers): line
// iteration with 1-based line numbers (LF or CRLF, UTF-8 BOM skipped), CSV field splitting with
// double quotes, locale-independent numbers, and timestamps. Every function returns an empty
// optional / false on malformed input; none throws or reads past the view.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim::traces::text {

// Reads a whole file; throws InputError{file, "expected a readable file, got …"} on failure.
std::string read_file(const std::string& path);

class LineReader {
 public:
  explicit LineReader(std::string_view text);
  // Next line without its terminator; false at the end.
  bool next(std::string_view& line);
  int line_no() const { return line_no_; }  // of the line last returned

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_no_ = 0;
};

// Splits one CSV line at commas. A field in double quotes may contain commas; the quotes are
// removed ("" inside stays as is: no field we read needs unescaping). `fields` is reused.
void split_csv(std::string_view line, std::vector<std::string_view>& fields);

std::string_view trim(std::string_view s);
// Empty cell: "", NA, N/A, NaN, nan, null, None (after trimming).
bool is_empty_cell(std::string_view s);
// A finite decimal number (from_chars, "C" locale), surrounding spaces and a leading '+' allowed.
std::optional<double> parse_number(std::string_view s);
std::optional<long> parse_int(std::string_view s);

struct Timestamp {
  double unix_s = 0;                 // UTC
  bool has_offset = false;           // an explicit Z or ±hh:mm was present
  int offset_min = 0;                // local = UTC + offset
  int month = 1, day = 1, hour = 0;  // as written (local if an offset was given)
};
// "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.fff]]" with optional "Z", "±HH:MM", "±HHMM", "±HH";
// and PVGIS's "YYYYMMDD:HHMM". Without an offset the time is taken as UTC (has_offset = false).
std::optional<Timestamp> parse_timestamp(std::string_view s);

// "expected …, got '<s>'" helper that shortens long inputs.
std::string quote(std::string_view s);

}  // namespace dcsim::traces::text
