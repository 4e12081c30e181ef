#pragma once
// Optimisation techniques as transforms of a job.
//
// A job's run time at f_max splits into shares c (compute), m (memory), o (io) with c + m + o = 1.
// A technique with compute factor k_c, memory factor k_m, efficiency factor k_e changes them to
//   r   = (c·k_c + m·k_m) / k_e + o                 (new run time / old run time)
//   c'  = c·k_c / (k_e·r),  m' = m·k_m / (k_e·r),  o' = o / r
//   work' = work · k_c               (FLOPs really removed)
//   mfu'  = mfu · k_c / r            (so that work'/(g·peak·mfu'·eff) = r · old run time)
//   u'    = min(1, u · k_u),  i' = min(1, i · k_i)
// and energy changes by r · P(u', i') / P(u, i). The quality cost (accuracy points) is added to
// the job's, and the technique's name appended to JobProfile::optimisation.
// The class default ("class-default") removes the profile's optimisation potential from the
// work: work' = work · (1 − potential), so energy falls by exactly that fraction
// (seed table: NLP 35 %, CV 40 %, RL 30 %).
//
// Defaults (k_c, k_m, k_e, quality cost), on an image-classification job (c .75, m .15, o .10):
//   pruning         0.60 0.60 1.00  0.5  → r 0.64 (−36 % energy)
//   quantisation    0.50 0.50 0.80  0.3  → r 0.66 (−34 %)
//   lightweight     0.50 0.50 1.00  2.5  → compute time −50 %, r 0.55 (−45 %)
//   adaptive_batch  1.00 1.00 1.15  0.0  → r 0.88 (−12 %)
//   hardware_aware  0.65 0.65 1.10  0.3  → r 0.63 (−37 %)
// Sources: the seed ("less complex architectures tailored to specific tasks often consume
// 30–50 % less energy"; lightweight models "reduce compute time by 40 %–60 %"); DistilBERT
// (Sanh et al. 2019: 40 % smaller, 60 % faster, 97 % of BERT's GLUE score → 2.5 points);
// H200 dense fp8 peak = 2 × bf16 (datasheet) with k_e 0.8 for kernels that do not reach it
// (calibration choice); pruning 40 % of the weights at ≈0.5 points (calibration choice after
// Han et al. 2015, structured pruning); adaptive batch 15 % better efficiency (calibration
// choice); hardware-aware 35 % less compute (calibration choice within the seed's range).
#include <string>

#include "model/job.hpp"
#include "workload/catalogue.hpp"

namespace dcsim {

struct OptimisationEffect {
  double runtime_ratio = 1.0;  // r
  double power_ratio = 1.0;    // P(u', i') / P(u, i) of the device on the reference
  double energy_ratio = 1.0;   // on the reference platform
};

// Applies one technique. `potential` is used by class_default techniques only.
OptimisationEffect apply_optimisation(Job& job, const OptimisationSpec& opt, double potential,
                                      const ReferencePlatform& ref);
// By name from the catalogue (the job's profile gives the potential). Throws InputError for an
// unknown technique.
OptimisationEffect apply_optimisation(Job& job, const std::string& technique, const Catalogue& cat);

}  // namespace dcsim
