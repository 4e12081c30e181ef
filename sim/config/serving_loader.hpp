#pragma once
// The `serving` section of a scenario (issue 15) → ServingSpec (model/serving_spec.hpp), with
// the strict YAML layer: every error at once as `file:line:col: serving.key.path: expected …,
// got …`. scenarios/README.md § serving documents every key.
//
// Checks beyond each key's type and range: deployment and stream names unique; a stream's
// deployment exists; a model is a built-in preset or gives params, layers and hidden (and the
// attention heads unless kv_bytes_per_token is given), with kv_heads dividing attention_heads
// and head_dim × heads = hidden unless head_dim is given; the deployment's accelerator is in
// the platform, holds the weights with room for a KV cache at its tensor_parallel, and a node
// type of the platform carries that many of it; min_replicas ≤ replicas ≤ max_replicas (given
// only with autoscaling); frequency_cap needs an slo; keys of the other arrival kind are
// refused; trace files are parsed (malformed lines are reported with their file and line);
// step divides time.sample or is a multiple of it; request fidelity refuses runs of more than
// 10^9 estimated requests (use aggregated).
#include "config/yaml_reader.hpp"
#include "model/serving_spec.hpp"
#include "model/specs.hpp"

namespace dcsim {

struct TimeSpec;

// Reads `serving` (absent: serving stays empty). `platform` is the scenario's loaded platform;
// when platform_loaded is false the accelerator checks are skipped.
void read_serving(YamlMap m, const TimeSpec& time, const PlatformSpec& platform, bool platform_loaded,
                  ServingSpec& out);

}  // namespace dcsim
