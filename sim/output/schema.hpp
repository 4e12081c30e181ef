#pragma once
// The standard site series of a run file (analysis/SCHEMA.md, schema kSchemaVersion). The
// engine declares the series a run records by passing specs to Recorder::begin(); these are
// the names, units and meanings the analysis package knows. Names end with their unit.
#include <string>
#include <vector>

#include "output/recorder.hpp"

namespace dcsim {

// In the order of SCHEMA.md's table.
const std::vector<SeriesSpec>& standard_site_series();
// The spec of a standard site series; throws std::out_of_range for an unknown name.
const SeriesSpec& standard_series(const std::string& name);

}  // namespace dcsim
