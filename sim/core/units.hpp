#pragma once
// Units of dcsim. The unit lives in the type alias or in the name (`idle_power_w`).
// All simulated times are seconds since the scenario's start instant (core/calendar.hpp).
#include <cstdint>

namespace dcsim {

using Seconds = double;   // s
using Watts = double;     // W
using Joules = double;    // J
using Flops = double;     // floating-point operations (a count, not a rate)
using FlopsPerSecond = double;
using Bytes = double;
using Celsius = double;   // °C
using Megahertz = double; // MHz
using GramsCo2PerKwh = double;  // gCO2e/kWh
using UsdPerKwh = double;

inline constexpr double kJoulesPerKwh = 3.6e6;
inline constexpr Seconds kMinute = 60.0;
inline constexpr Seconds kHour = 3600.0;
inline constexpr Seconds kDay = 86400.0;
inline constexpr Seconds kYear365 = 365.0 * 86400.0;

inline constexpr double kwh_from_joules(Joules j) { return j / kJoulesPerKwh; }
inline constexpr Joules joules_from_kwh(double kwh) { return kwh * kJoulesPerKwh; }

using JobId = std::uint64_t;
using NodeId = std::uint32_t;
using RackId = std::uint32_t;

}  // namespace dcsim
