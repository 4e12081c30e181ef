// The policy registry: construction from PolicyConfig, diagnostics with key paths for every
// kind of bad input, the composite stack, and the description for `dcsim describe`.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "fixtures/views.hpp"
#include "policy/registry.hpp"

using namespace dcsim;
using dcsim::fixtures::only;
using dcsim::fixtures::ViewBuilder;

namespace {
PolicyConfig cfg(std::string name, std::string key_path = "policies.energy[0]") {
  PolicyConfig c;
  c.name = std::move(name);
  c.key_path = std::move(key_path);
  return c;
}
}  // namespace

TEST_CASE("every catalogued policy builds from its defaults (power-cap given a cap)") {
  for (const PolicyInfo& info : policy_catalogue()) {
    PolicyConfig c = cfg(info.name);
    if (info.name == "power-cap") {  // its scope has no default
      c.numbers["cap_w"] = 1e6;
      c.strings["scope"] = "site";
    }
    DiagnosticSink sink;
    auto p = make_policy(c, sink);
    INFO(info.name);
    CHECK(sink.empty());
    REQUIRE(p);
    CHECK(p->name() == info.name);
  }
}

TEST_CASE("make_policy reports bad configurations with the key path") {
  DiagnosticSink sink;
  SECTION("unknown policy name") {
    CHECK_FALSE(make_policy(cfg("fcfs2", "policies.scheduler"), sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "policies.scheduler.name");
    CHECK_THAT(sink.all()[0].message, Catch::StartsWith("expected a policy name (fcfs, "));
    CHECK_THAT(sink.all()[0].message, Catch::EndsWith("got 'fcfs2' (did you mean 'fcfs'?)"));
  }
  SECTION("unknown parameter") {
    auto c = cfg("power-down-idle");
    c.numbers["aftr"] = 60;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "policies.energy[0].aftr");
    CHECK(sink.all()[0].message ==
          "expected a parameter of power-down-idle (one of after, spare_nodes), got 'aftr'");
  }
  SECTION("out of range") {
    auto c = cfg("power-down-idle");
    c.numbers["after"] = -5;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "policies.energy[0].after");
    CHECK(sink.all()[0].message == "expected a duration in [0, 316224000] s, got -5");
  }
  SECTION("not an integer") {
    auto c = cfg("power-down-idle");
    c.numbers["spare_nodes"] = 1.5;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].message == "expected an integer in [0, 1000000], got 1.5");
  }
  SECTION("malformed duration") {
    auto c = cfg("power-down-idle");
    c.strings["after"] = "soon";
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].message == "expected a duration (e.g. 30min, 24h) or seconds, got 'soon'");
  }
  SECTION("choice not among the choices, and a number for a choice") {
    auto c = cfg("easy-backfill", "policies.scheduler");
    c.strings["placement"] = "scatter";
    CHECK_FALSE(make_policy(c, sink));
    auto d = cfg("fcfs", "policies.scheduler");
    d.numbers["placement"] = 3;
    CHECK_FALSE(make_policy(d, sink));
    REQUIRE(sink.size() == 2);
    CHECK(sink.all()[0].message == "expected one of pack, spread, got 'scatter'");
    CHECK(sink.all()[1].message == "expected one of pack, spread, got 3");
  }
  SECTION("flag that is not a boolean") {
    auto c = cfg("priority-deadline", "policies.scheduler");
    c.strings["preemption"] = "maybe";
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "policies.scheduler.preemption");
    CHECK(sink.all()[0].message == "expected true or false, got 'maybe'");
  }
  SECTION("inconsistent thresholds") {
    auto c = cfg("battery-arbitrage");
    c.numbers["charge_below_gco2"] = 400;
    c.numbers["discharge_above_gco2"] = 300;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "policies.energy[0]");
    CHECK(sink.all()[0].message ==
          "expected charge_below_gco2 <= discharge_above_gco2, got 400 > 300");
  }
  SECTION("malformed demand-response hours") {
    auto c = cfg("power-cap");
    c.strings["scope"] = "site";
    c.numbers["dr_cap_w"] = 1e6;
    c.strings["dr_hours"] = "17-25";
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message, Catch::EndsWith("got '17-25'"));
  }
  SECTION("power-cap has no default scope") {
    auto c = cfg("power-cap");
    c.numbers["cap_w"] = 560;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message, Catch::StartsWith("missing required parameter 'scope' (expected one of site"));
  }
  SECTION("a misspelt choice gets a suggestion") {
    auto c = cfg("power-cap");
    c.numbers["cap_w"] = 560;
    c.strings["scope"] = "devise";
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message, Catch::EndsWith("(did you mean 'device'?)"));
  }
  SECTION("a misspelt policy name gets a suggestion") {
    auto c = cfg("easy_backfill");
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message, Catch::EndsWith("(did you mean 'easy-backfill'?)"));
  }
  SECTION("cap_tdp_fraction is a per-accelerator share, exclusive with cap_w") {
    auto c = cfg("power-cap");
    c.numbers["cap_tdp_fraction"] = 0.7;
    c.strings["scope"] = "site";
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message, Catch::StartsWith("expected scope: device with cap_tdp_fraction"));
    sink = DiagnosticSink{};
    c.strings["scope"] = "device";
    c.numbers["cap_w"] = 500;
    CHECK_FALSE(make_policy(c, sink));
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].message == "expected either cap_w or cap_tdp_fraction, got both");
    sink = DiagnosticSink{};
    c.numbers.erase("cap_w");
    CHECK(make_policy(c, sink));
    CHECK(sink.empty());
    c.numbers["cap_tdp_fraction"] = 1.5;
    CHECK_FALSE(make_policy(c, sink));
  }
  SECTION("every problem of one entry is reported together") {
    auto c = cfg("carbon-aware-shift");
    c.numbers["step"] = 1;          // below 60 s
    c.strings["replan"] = "often";  // not a flag
    c.numbers["windw"] = 3600;      // unknown
    CHECK_FALSE(make_policy(c, sink));
    CHECK(sink.size() == 3);
  }
}

TEST_CASE("durations may be given as strings with units") {
  auto c = cfg("power-down-idle");
  c.strings["after"] = "30min";
  DiagnosticSink sink;
  auto p = make_policy(c, sink);
  REQUIRE(p);
  ViewBuilder b;
  b.nodes(1);
  b.now(1799);
  auto ds = p->decide(b.view(), {});
  CHECK(only<PowerOff>(ds).empty());
  REQUIRE(only<WakeAt>(ds).size() == 1);
  CHECK(only<WakeAt>(ds)[0].at == 1800);
}

TEST_CASE("make_policy_stack builds a scheduler with energy policies and checks their roles") {
  PoliciesSpec spec;
  spec.scheduler = cfg("easy-backfill", "policies.scheduler");
  spec.energy.push_back(cfg("power-down-idle", "policies.energy[0]"));
  spec.energy.push_back(cfg("carbon-aware-shift", "policies.energy[1]"));
  DiagnosticSink sink;
  SECTION("valid") {
    auto p = make_policy_stack(spec, sink);
    CHECK(sink.empty());
    REQUIRE(p);
    CHECK(p->name() == "composite");
  }
  SECTION("an energy policy given as the scheduler and a scheduler among the energy policies") {
    spec.scheduler = cfg("power-down-idle", "policies.scheduler");
    spec.energy.push_back(cfg("fcfs", "policies.energy[2]"));
    CHECK_FALSE(make_policy_stack(spec, sink));
    REQUIRE(sink.size() == 2);
    CHECK(sink.all()[0].key_path == "policies.scheduler.name");
    CHECK_THAT(sink.all()[0].message,
               Catch::StartsWith("expected a scheduling policy (fcfs, easy-backfill, "
                                 "priority-deadline), got 'power-down-idle'"));
    CHECK(sink.all()[1].key_path == "policies.energy[2].name");
  }
}

TEST_CASE("describe_policies lists every policy with its parameters, defaults and units") {
  const std::string d = describe_policies();
  for (const PolicyInfo& info : policy_catalogue()) {
    CHECK_THAT(d, Catch::Contains("\n  " + info.name + "\n"));
    for (const ParamSpec& p : info.params) CHECK_THAT(d, Catch::Contains("    " + p.name + " = "));
  }
  CHECK_THAT(d, Catch::Contains("after = 1800 s  (a duration in [0, 316224000] s)"));
  CHECK_THAT(d, Catch::Contains("placement = pack  (one of pack, spread)"));
}

TEST_CASE("sim/policy/README.md documents every policy and parameter of the catalogue") {
  std::ifstream in(std::string(DCSIM_SOURCE_DIR) + "/sim/policy/README.md");
  REQUIRE(in);
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const PolicyInfo& info : policy_catalogue()) {
    CHECK_THAT(readme, Catch::Contains("`" + info.name + "`"));
    for (const ParamSpec& p : info.params) {
      INFO(info.name << "." << p.name);
      CHECK_THAT(readme, Catch::Contains("`" + p.name + "`"));
    }
  }
}

TEST_CASE("make_policy_stack rejects two DVFS governors in one run") {
  PoliciesSpec spec;
  spec.energy.push_back(cfg("ondemand", "policies.energy[0]"));
  spec.energy.push_back(cfg("workload-aware", "policies.energy[1]"));
  DiagnosticSink sink;
  CHECK_FALSE(make_policy_stack(spec, sink));
  REQUIRE(sink.size() == 1);
  CHECK(sink.all()[0].key_path == "policies.energy[1].name");
  CHECK_THAT(sink.all()[0].message, Catch::EndsWith("got 'workload-aware' after 'ondemand'"));
}

TEST_CASE("validate_policy reports key paths relative to the entry, as the scenario loader wants") {
  DiagnosticSink sink;
  SECTION("a parameter: its name") {
    auto c = cfg("power-down-idle", "policies.energy.0");
    c.numbers["after"] = -1;
    validate_policy(c, sink);
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "after");
  }
  SECTION("an inconsistent entry: empty") {
    auto c = cfg("suspend-resume", "policies.energy.1");
    c.numbers["low_gco2"] = 500;
    validate_policy(c, sink);
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path.empty());
  }
  SECTION("an energy policy written as the scheduler: name, listing the schedulers") {
    validate_policy(cfg("ondemand", "policies.scheduler"), sink);
    REQUIRE(sink.size() == 1);
    CHECK(sink.all()[0].key_path == "name");
    CHECK(sink.all()[0].message ==
          "expected a scheduling policy (fcfs, easy-backfill, priority-deadline), got 'ondemand'");
  }
  SECTION("a scheduler among the energy policies") {
    validate_policy(cfg("fcfs", "policies.energy.2"), sink);
    REQUIRE(sink.size() == 1);
    CHECK_THAT(sink.all()[0].message,
               Catch::StartsWith("expected an energy policy (power-down-idle, "));
  }
  SECTION("a valid entry: nothing") {
    auto c = cfg("carbon-aware-shift", "policies.energy.0");
    c.strings["step"] = "1h";
    validate_policy(c, sink);
    CHECK(sink.empty());
  }
}
