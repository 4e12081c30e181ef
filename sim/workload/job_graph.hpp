#pragma once
// The dependency graph of a job stream (Boost.Graph adjacency_list, an edge u → v when job v
// depends on job u): pretrain → fine-tune → evaluate chains, SWF "preceding job" links and
// dcsim-csv depends_on columns all end up here and are checked once.
#include <cstddef>
#include <string>
#include <vector>

#include "model/job.hpp"

namespace dcsim {

class JobGraph {
 public:
  // Throws InputError if a depends_on names a job not in the stream or the graph has a cycle.
  // `source` names the input in the diagnostics.
  explicit JobGraph(const std::vector<Job>& jobs, const std::string& source = "");
  // Indices into the job vector, every job after the jobs it depends on.
  const std::vector<std::size_t>& topological_order() const { return order_; }
  // Length (in jobs) of the longest dependency chain.
  std::size_t longest_chain() const { return longest_; }
  std::size_t edges() const { return edges_; }

 private:
  std::vector<std::size_t> order_;
  std::size_t longest_ = 0;
  std::size_t edges_ = 0;
};

}  // namespace dcsim
