#pragma once
// Device temperature and thermal slowdown (issue 14, item 4).
//
// 1. First-order thermal model of one accelerator (one RC node: die + package + heatsink lumped):
//      C·dT/dt = P − (T − T_in)/R,   T_in = T_coolant + offset                           [°C]
//    P the device power (W), R the resistance to the air or coolant (K/W), C = τ/R the heat
//    capacity (J/K), T_coolant the coolant temperature the cooling model delivers to the device
//    (cold-aisle air or the liquid loop's supply), offset the rise from there to the device's
//    inlet at zero power (preheating in the chassis, sensor offset). With P and T_in constant
//    over a piece [t0, t0 + Δ) the solution is exact:
//      T_ss = T_in + R·P,   T(t0 + Δ) = T_ss + (T(t0) − T_ss)·e^(−Δ/τ)
//      ∫ T dt over the piece = T_ss·Δ + (T(t0) − T_ss)·τ·(1 − e^(−Δ/τ))
//    The engine integrates it on change like the power (piecewise-constant power → exponential).
//
// 2. Thermal slowdown (NVIDIA's "HW/SW Thermal Slowdown" clocks-event reasons in nvidia-smi -q
//    and NVML's nvmlClocksEventReasons: the firmware lowers the SM clock when the GPU
//    temperature reaches the "GPU Slowdown Temp" of nvidia-smi -q). dcsim's controller is the
//    fixed point of that loop: the fastest p-state whose steady temperature stays at or below
//    T_slow, i.e. a per-device power limit
//      P_thermal = (T_slow − T_in) / R                                                     [W]
//    taken like every other limit (engine/node_power.cpp: the slowest p-state wins), so the
//    DVFS law (physics/dvfs.hpp) turns the lower clock into a longer run and SimGrid re-times
//    the work. It is stable by construction (no oscillation: it depends on T_in, not on T) and
//    exact in steady state; it holds while τ is short against the time between changes of
//    T_in or of the work (measured τ ≈ 0.3 s below; the engine's changes are seconds to hours
//    apart). A device is "throttled" while P_thermal is what sets its clock.
//
// 3. Coolant temperature at the device (the cooling models of physics/facility.hpp):
//      constant-pue, chiller: the supply air set point T_s (supply_temp_c);
//      chiller-economiser: T_s with the chiller on; in free cooling (T_o < economiser_below_c)
//        outside air mixed down to T_s: max(T_o, T_s);
//      liquid: the direct-to-chip loop's supply (liquid_supply_temp_c), held by the dry cooler
//        and its trim chiller.
//    During a chiller failure (ChillerFailureSpec, a dated interval: the chillers remove nothing):
//      air path, chiller on before: T_sup(t) = min(T_max, T_0 + r·(t − t_f)), a linear rise at r
//        K/min (failure_rise_c_per_min, default 2, estimated from the room-temperature curves of
//        Schneider Electric White Paper 179, "Data Center Temperature Rise During a Cooling
//        System Outage": the air recirculates and heats at a rate set by the heat load over the
//        room's thermal mass) up to T_max (failure_max_supply_c, default 60 °C, estimated: hot
//        aisle air of a room without heat removal); air in free cooling: unchanged (the chiller
//        is off anyway);
//      liquid: the dry cooler alone, max(T_liquid, T_o + approach_c) (it cannot cool the loop
//        below the outdoor temperature plus its approach).
//    After the failure the supply returns to its normal value at once (the chiller's restart
//    time is not modelled: estimated as short against the hour the example fails for).
//
// Per-chip constants (device_thermal()):
//   H200-SXM (calibrated on platforms/calibration/data/samples.csv, our card, by
//   platforms/calibration/thermal_fit.py, checked by tests/python/test_thermal_fit.py):
//     R = 0.0354 K/W and T_in = 37.0 °C in the measurement: a least-squares fit of the model to
//     the 4,466 samples (9 phases of 130–690 W, rms residual 1.5 K); τ = 0.31 s from the same
//     fit with NVML's power reading advanced by 0.5 s (half its 1 s averaging window, which
//     makes the reading lag the die temperature; τ is 0.03–1.0 s for lags of 0.25–1 s). The
//     die responds within a few samples; a slower drift of 2–3 K over a 20 s phase (the
//     heatsink) is not in a first-order model.
//     offset = 37.0 − 25 = 12 K: estimated; the room temperature of the measurement was not
//     recorded, taken as 25 °C (ASHRAE A1 recommended range 18–27 °C).
//     T_slow = 89 °C: estimated, the "GPU Slowdown Temp" nvidia-smi -q prints for H100 SXM5
//     (same package and limit as the H200; NVIDIA publishes no H200 value).
//   H100-SXM: R, τ, offset of the H200 (same SXM5 board and 700 W heatsink; estimated),
//     T_slow 89 °C (estimated as above).
//   A100-SXM4-40GB/80GB: R = 0.0354·700/400 = 0.062 K/W (estimated: an SXM4 heatsink sized for
//     400 W at the same die rise as the 700 W SXM5 one), τ and offset of the H200 (estimated),
//     T_slow 89 °C (estimated: nvidia-smi -q's value for A100 SXM4 in published outputs).
//   V100-SXM2: R = 0.0354·700/300 = 0.083 K/W (estimated likewise), T_slow 87 °C (estimated).
//   TPUs and any other chip: R = 0.0354·700/TDP (estimated likewise), τ and offset of the H200,
//     T_slow 85 °C (estimated: Google publishes no throttling temperature).
// Scenario keys (site.thermal, scenarios/README.md) override every constant.
#include <string>

#include "core/units.hpp"
#include "model/platform.hpp"
#include "model/specs.hpp"

namespace dcsim {

struct DeviceThermal {
  double resistance_k_per_w = 0.0354;
  Seconds time_constant_s = 0.31;
  Celsius offset_c = 12;
  Celsius slowdown_c = 89;
  bool estimated = true;  // false only where every constant is calibrated on our measurement
  std::string source;
};

// The constants of accelerator `a` (see above), with the scenario's overrides applied.
DeviceThermal device_thermal(const AcceleratorSpec& a, const ThermalSpec& overrides);

// The device inlet temperature: coolant + offset.
Celsius device_inlet_c(const DeviceThermal& d, Celsius coolant_c);
Celsius steady_temp_c(const DeviceThermal& d, Celsius coolant_c, Watts power_w);
// T after Δ at constant P and coolant, from T0 (exact).
Celsius temp_after_c(const DeviceThermal& d, Celsius t0_c, Celsius coolant_c, Watts power_w, Seconds dt);
// ∫ T dt over [0, Δ) at constant P and coolant, from T0 (exact), in K·s.
double temp_integral_ks(const DeviceThermal& d, Celsius t0_c, Celsius coolant_c, Watts power_w, Seconds dt);
// The per-device power at which the steady temperature is the slowdown temperature (may be
// negative when the inlet is hotter than T_slow: the device then runs at its lowest clock).
Watts thermal_power_limit_w(const DeviceThermal& d, Celsius coolant_c);

// The coolant temperature the cooling model delivers to the accelerators at outdoor T_o.
Celsius device_coolant_c(const CoolingSpec& c, Celsius outdoor_c);
// The same during a chiller failure that began `since_s` ago with the coolant then at `start_c`.
Celsius failed_coolant_c(const CoolingSpec& c, const ThermalSpec& t, Celsius outdoor_c, Celsius start_c,
                         Seconds since_s);
// Whether the air path's chiller is running at T_o (a failure only matters then, or on liquid).
bool chiller_carries_air(const CoolingSpec& c, Celsius outdoor_c);

}  // namespace dcsim
