// bench_bare_loop: the floor of the end-to-end benchmark (issue 10): the job stream of a
// scenario (bench_jobs) simulated by a plain C++ event loop with the same FCFS and the same
// power-on-change accounting as bench_bare_s4u (job_stream.hpp), and the same processing order
// at each time (completions, then arrivals, then scheduling). What is left of the cost is
// reading the jobs and the scheduling itself: the gap to the baseline is SimGrid's.
//
//   bench_bare_loop <jobs.tsv>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <queue>
#include <vector>

#include "job_stream.hpp"

using dcsim::bench::BenchJob;
using dcsim::bench::Fcfs;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <jobs.tsv>\n", argv[0]);
    return 2;
  }
  try {
    const dcsim::bench::JobStream s = dcsim::bench::read_stream(argv[1]);
    const std::size_t n = s.jobs.size();
    Fcfs fcfs(s.nodes, s.gpus_per_node, n ? s.jobs.front().idle_w : 0.0);
    std::vector<std::uint32_t> deps_left(n);
    std::vector<bool> submitted(n, false);
    std::vector<std::vector<std::uint32_t>> dependents(n);
    std::vector<std::vector<Fcfs::Slice>> alloc(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      deps_left[i] = static_cast<std::uint32_t>(s.jobs[i].deps.size());
      for (std::uint32_t d : s.jobs[i].deps) dependents[d].push_back(i);
    }
    struct End {
      double t;
      std::uint64_t seq;
      std::uint32_t job;
      bool operator>(const End& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    std::priority_queue<End, std::vector<End>, std::greater<>> ends;
    std::deque<std::uint32_t> queue;
    dcsim::bench::BenchResult res;
    std::uint64_t seq = 0;
    std::size_t next = 0;
    constexpr double inf = std::numeric_limits<double>::infinity();
    double now = 0;
    while (true) {
      const double t_arr = next < n ? s.jobs[next].submit_s : inf;
      const double t_end = ends.empty() ? inf : ends.top().t;
      now = std::min({t_arr, t_end, s.span_s});
      if (now >= s.span_s) break;
      while (!ends.empty() && ends.top().t <= now) {
        const std::uint32_t j = ends.top().job;
        ends.pop();
        const BenchJob& b = s.jobs[j];
        fcfs.release(alloc[j].data(), alloc[j].size());
        fcfs.power_change(now, -b.gpus * (b.busy_w - b.idle_w));
        ++res.completed;
        ++res.events;
        for (std::uint32_t d : dependents[j])
          if (--deps_left[d] == 0 && submitted[d]) queue.push_back(d);
      }
      while (next < n && s.jobs[next].submit_s <= now) {
        const auto j = static_cast<std::uint32_t>(next++);
        ++res.submitted;
        ++res.events;
        submitted[j] = true;
        if (deps_left[j] == 0) queue.push_back(j);
      }
      while (!queue.empty() && s.jobs[queue.front()].gpus <= fcfs.gpus_free()) {
        const std::uint32_t j = queue.front();
        queue.pop_front();
        const BenchJob& b = s.jobs[j];
        fcfs.allocate(b.gpus, alloc[j]);
        fcfs.power_change(now, b.gpus * (b.busy_w - b.idle_w));
        ++res.started;
        ++res.events;
        res.wait_sum_s += now - b.submit_s;
        ends.push(End{now + b.runtime_s, seq++, j});
      }
    }
    res.end_s = s.span_s;
    fcfs.finish(res.end_s);
    res.energy_j = fcfs.energy_j();
    dcsim::bench::print_result("bare_loop", res);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_bare_loop: %s\n", ex.what());
    return 1;
  }
  return 0;
}
