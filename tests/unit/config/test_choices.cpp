// Specification of the closed choices (model/choices.hpp, core/enum_names.hpp): each name table
// is a bijection between its enum and its names, the loader reads a choice through the table
// and reports a misspelt name with the table's names, and a read value is the enum, not text.
#include <catch2/catch.hpp>

#include <set>

#include "config/yaml_reader.hpp"
#include "model/choices.hpp"

using namespace dcsim;

namespace {

template <class E>
void check_table() {
  std::set<std::string_view> seen;
  std::set<int> values;
  for (const auto& n : names_of(E{})) {
    INFO(n.name);
    CHECK(seen.insert(n.name).second);                       // no name twice
    CHECK(values.insert(static_cast<int>(n.value)).second);  // no value twice
    CHECK(parse_name<E>(n.name) == n.value);
    CHECK(name_of(n.value) == n.name);
    CHECK_FALSE(n.name.empty());
  }
  CHECK_FALSE(parse_name<E>("no-such-choice"));
}

}  // namespace

TEST_CASE("every closed choice's name table is a bijection and parses its own names") {
  check_table<CoolingModel>();
  check_table<NetworkTopology>();
  check_table<GapRule>();
  check_table<BeyondSpanRule>();
  check_table<MarginalEstimate>();
  check_table<ProfileNormalisation>();
  check_table<JobTraceFormat>();
  check_table<ProfileRule>();
  check_table<WorkloadGenerator>();
  check_table<ArrivalProcess>();
  CHECK(names_list<CoolingModel>() == "constant-pue | chiller | chiller-economiser | liquid");
  CHECK(names_list<MarginalEstimate>(", ") == "off, hour, month-hour");
}

TEST_CASE("a typed choice reads its name as the enum and reports a misspelt name with the table") {
  auto doc = YamlDoc::load_string("model: chiller-economiser\nbad: chiler\n", "t.yaml");
  YamlMap root = doc->root_map();
  CHECK(root.choice("model", CoolingModel::constant_pue) == CoolingModel::chiller_economiser);
  CHECK(root.choice("absent", CoolingModel::liquid) == CoolingModel::liquid);
  CHECK(root.choice("bad", CoolingModel::constant_pue) == CoolingModel::constant_pue);
  const auto errs = doc->errors().all();
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].line == 2);
  CHECK(errs[0].key_path == "bad");
  CHECK(errs[0].message ==
        "expected one of constant-pue, chiller, chiller-economiser, liquid, got chiler (did you mean 'chiller'?)");
}
