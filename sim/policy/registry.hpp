#pragma once
// The registry of named policies with typed parameters (name, unit, default, range, doc).
// Scenario files name a policy and give parameters; config/ turns them into a PolicyConfig
// (numbers and strings by key, plus the key path for messages) and calls make_policy_stack(),
// which checks them here: unknown policy names, unknown parameters, wrong types and
// out-of-range values each become a Diagnostic with the key path ("policies.energy[0].after:
// expected a duration ≥ 0 s, got -5"), all collected before anything is built.
//
// Parameter kinds:
//   number : a number in [min, max] in `unit`; unit "s" also accepts duration strings
//            ("30min", "24h", "90s", "1.5h", "2d", "1w"); `integer` ones must be whole;
//   flag   : true/false (strings "true"/"false"/"yes"/"no"/"on"/"off", or the numbers 1/0);
//   choice : one of `choices`;
//   text   : free text checked by the policy's own validator (e.g. lists).
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "model/specs.hpp"
#include "policy/policy.hpp"

namespace dcsim {

enum class PolicyRole { scheduler, energy };
enum class ParamKind { number, flag, choice, text };

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::number;
  std::string unit;           // "s", "W", "gCO2e/kWh", "fraction", "" (count / index)
  double default_number = 0;  // number and flag (0/1)
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool integer = false;
  std::string default_text;  // choice and text
  std::vector<std::string> choices;
  std::string doc;
};

// Resolved parameter values (every parameter present, defaults filled in).
class ParamValues {
 public:
  double number(std::string_view name) const;
  int integer(std::string_view name) const { return static_cast<int>(number(name)); }
  bool flag(std::string_view name) const { return number(name) != 0; }
  const std::string& text(std::string_view name) const;
  void set_number(const std::string& name, double v) { numbers_[name] = v; }
  void set_text(const std::string& name, std::string v) { texts_[name] = std::move(v); }

 private:
  std::map<std::string, double, std::less<>> numbers_;
  std::map<std::string, std::string, std::less<>> texts_;
};

struct PolicyInfo {
  std::string name;
  PolicyRole role = PolicyRole::energy;
  std::string summary;
  std::string source;
  std::vector<ParamSpec> params;
  // Cross-parameter checks: returns an empty string or the message ("expected … , got …").
  std::function<std::string(const ParamValues&)> validate;
  std::function<std::unique_ptr<Policy>(const ParamValues&)> make;
};

// Every policy, schedulers first, in a stable documented order.
const std::vector<PolicyInfo>& policy_catalogue();
const PolicyInfo* find_policy(std::string_view name);

// Builds one policy; nullptr (and diagnostics in `sink`) if the configuration is invalid.
std::unique_ptr<Policy> make_policy(const PolicyConfig& config, DiagnosticSink& sink);
// The check config/ runs while loading a scenario (its PolicyValidator): the same checks as
// make_policy, with key paths relative to the entry — the parameter name ("after"), "name" for
// the policy name, "" for the entry — so the loader can place each at its position in the file
// and prefix the entry's path. The role (scheduler or energy policy) is checked when the entry's
// key_path ends in "scheduler" or contains "energy".
void validate_policy(const PolicyConfig& config, DiagnosticSink& sink);
// The scheduler plus the energy policies as one CompositePolicy; nullptr on any error (all
// errors of all entries are reported). Checks that the scheduler entry names a scheduler and
// each energy entry an energy policy.
std::unique_ptr<Policy> make_policy_stack(const PoliciesSpec& spec, DiagnosticSink& sink);

// Human-readable list of every policy with its parameters, defaults, units and ranges
// (for `dcsim describe policies`).
std::string describe_policies();

}  // namespace dcsim
