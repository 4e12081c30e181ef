#pragma once
// Marginal emission factors (MEF) from hourly generation by fuel.
//
// Method: Siler-Evans, K., Azevedo, I. L. & Morgan, M. G., "Marginal emissions factors for the
// U.S. electricity system", Environ. Sci. Technol. 46(9), 4742–4748 (2012). The marginal
// emission factor is the slope of the regression of the hour-to-hour change in emissions on the
// hour-to-hour change in generation, fitted separately for each bin of hours (they fit per
// NERC region, by hour of day and by season; we fit per hour of day, or per month × hour):
//
//   E_t  = Σ_fuel gen_fuel,t [MWh] · EF_fuel [gCO2e/kWh = kgCO2e/MWh]   (kgCO2e in hour t)
//   G_t  = Σ_fuel gen_fuel,t [MWh]
//   ΔE_t = E_t − E_{t−1},  ΔG_t = G_t − G_{t−1}     (only for consecutive steps)
//   ΔE_t = α_b + β_b · ΔG_t + ε_t   for all t in bin b, ordinary least squares:
//   β_b  = Σ (ΔG − mean ΔG)(ΔE − mean ΔE) / Σ (ΔG − mean ΔG)²   [kg/MWh = g/kWh]
//
// β_b is the MEF of bin b. A bin with fewer than `min_pairs` pairs, or without variation of ΔG,
// takes the slope pooled over all pairs (reported in MarginalFit::fallback_bins). The bin of a
// pair is the bin of its later hour t. Unlike Siler-Evans (fossil units of EPA CEMS, measured
// stack emissions) the inputs here are EIA-930 net generation of every fuel, so emissions are
// those implied by the emission factors, including life-cycle emissions of non-fossil fuels.
//
// Emission factors of the EIA-930 fuels (gCO2e/kWh, life-cycle): WND 11, SUN 41, WAT 24, OIL 650,
// NG 490, COL 820, NUC 12, OTH 230. They are the IPCC AR5 WG III (2014) Annex III life-cycle
// medians (oil: 650, as Electricity Maps uses), and exactly the factors with which the shipped
// EIA files' `avg_CI` column was computed: a least-squares fit of avg_CI·G on the fuel columns of
// all five files gives them with a residual below 1e-13 relative (scenarios/data/SOURCES.md).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace dcsim {

struct FuelFactor {
  std::string_view fuel;  // EIA-930 column name
  double g_per_kwh;
};
inline constexpr std::array<FuelFactor, 8> kEiaFuelFactors{{{"WND", 11}, {"SUN", 41}, {"WAT", 24},
                                                            {"OIL", 650}, {"NG", 490}, {"COL", 820},
                                                            {"NUC", 12}, {"OTH", 230}}};

enum class MarginalBins { hour_of_day, month_hour };  // 24 or 12 × 24 bins

struct MarginalFit {
  std::vector<double> slope_g_per_kwh;  // β_b per bin
  std::vector<double> intercept_kg;     // α_b per bin (kgCO2e per hour)
  std::vector<std::size_t> pairs;       // pairs fitted per bin
  double pooled_slope_g_per_kwh = 0;    // β over all pairs (fallback)
  std::size_t fallback_bins = 0;        // bins that took the pooled slope
};

// emissions_kg[i], generation_mwh[i] and bin[i] (in [0, bins)) per hour i; follows[i] != 0 when
// row i is exactly one step after row i−1 (ignored for i = 0). Rows with a NaN in E or G take
// part in no pair. Throws std::invalid_argument if the spans differ in length or fewer than two
// pairs exist in total (no slope can be fitted).
MarginalFit fit_marginal_factors(std::span<const double> emissions_kg,
                                 std::span<const double> generation_mwh,
                                 std::span<const std::uint16_t> bin,
                                 std::span<const std::uint8_t> follows, std::size_t bins,
                                 std::size_t min_pairs = 3);

}  // namespace dcsim
