#pragma once
// Closed choices as enums with ONE name table each (issue 16): the YAML loader accepts exactly
// the table's names, `dcsim describe choices` prints them, and tests/cli/describe_choices.sh
// checks that the scenario reference (scenarios/README.md) lists them. Past the loader a choice
// is the enum; its name comes back only where text is written (describe, provenance, messages).
//
// A closed choice E declares, next to the enum, a table and a names_of overload found by ADL:
//   enum class Colour { red, dark_blue };
//   inline constexpr Named<Colour> kColourNames[] = {{Colour::red, "red"}, {Colour::dark_blue, "dark-blue"}};
//   constexpr std::span<const Named<Colour>> names_of(Colour) { return kColourNames; }
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim {

template <class E>
struct Named {
  E value;
  std::string_view name;  // a string literal, so name.data() is NUL-terminated
};

// The name of a value ("?" only for a value outside the table, which a test rules out).
template <class E>
constexpr std::string_view name_of(E e) {
  for (const auto& n : names_of(E{}))
    if (n.value == e) return n.name;
  return "?";
}

// The value named `s`, or nullopt.
template <class E>
constexpr std::optional<E> parse_name(std::string_view s) {
  for (const auto& n : names_of(E{}))
    if (n.name == s) return n.value;
  return std::nullopt;
}

template <class E>
std::vector<std::string> all_names() {
  std::vector<std::string> out;
  for (const auto& n : names_of(E{})) out.emplace_back(n.name);
  return out;
}

// "a | b | c" (or with another separator), for comments and messages.
template <class E>
std::string names_list(std::string_view sep = " | ") {
  std::string out;
  for (const auto& n : names_of(E{})) {
    if (!out.empty()) out += sep;
    out += n.name;
  }
  return out;
}

}  // namespace dcsim
