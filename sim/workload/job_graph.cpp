#include "workload/job_graph.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>
#include <iterator>
#include <unordered_map>

#include "core/error.hpp"

namespace dcsim {

JobGraph::JobGraph(const std::vector<Job>& jobs, const std::string& source) {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Graph g(jobs.size());
  std::unordered_map<JobId, std::size_t> index;
  index.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) index.emplace(jobs[i].request.id, i);
  DiagnosticSink errs;
  for (std::size_t v = 0; v < jobs.size(); ++v) {
    for (JobId dep : jobs[v].request.depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) {
        errs.add({source, 0, 0, "depends_on",
                  "expected the id of a job in the stream, got " + std::to_string(dep) +
                      " (job " + std::to_string(jobs[v].request.id) + ")"});
        continue;
      }
      boost::add_edge(it->second, v, g);
      ++edges_;
    }
  }
  errs.throw_if_any();
  std::vector<std::size_t> reversed;
  reversed.reserve(jobs.size());
  try {
    boost::topological_sort(g, std::back_inserter(reversed));
  } catch (const boost::not_a_dag&) {
    throw InputError(Diagnostic{source, 0, 0, "depends_on",
                                "expected dependencies without cycles, got a cycle"});
  }
  order_.assign(reversed.rbegin(), reversed.rend());
  std::vector<std::size_t> depth(jobs.size(), 1);
  for (std::size_t u : order_) {
    for (auto [e, end] = boost::out_edges(u, g); e != end; ++e) {
      const std::size_t v = boost::target(*e, g);
      depth[v] = std::max(depth[v], depth[u] + 1);
    }
    longest_ = std::max(longest_, depth[u]);
  }
}

}  // namespace dcsim
