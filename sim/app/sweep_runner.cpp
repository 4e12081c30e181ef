#include "app/sweep_runner.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <system_error>
#include <thread>

#include "app/sweep_progress.hpp"
#include "output/hdf5_writer.hpp"
#include "output/result_file.hpp"
#include "output/text_file.hpp"

namespace fs = std::filesystem;

namespace dcsim {

std::string run_result_file(const std::string& outdir, const std::string& id) {
  return (fs::path(outdir) / (id + ".h5")).string();
}
std::string run_log_file(const std::string& outdir, const std::string& id) {
  return (fs::path(outdir) / (id + ".log")).string();
}
std::string run_failed_file(const std::string& outdir, const std::string& id) {
  return (fs::path(outdir) / (id + ".failed")).string();
}
std::string claim_dir(const std::string& outdir, const std::string& session) {
  return (fs::path(outdir) / ".sweep-claims" / session).string();
}

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  std::size_t run = 0;  // index into sweep.runs
  Clock::time_point started;
  std::string claim;    // claims mode: the claim this process holds (its heartbeat)
};

bool exists(const std::string& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

void remove_quietly(const std::string& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

// The last non-empty line of a file (the child's error message), at most 300 characters.
std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  if (last.size() > 300) last = last.substr(0, 300) + "…";
  return last;
}

// A marker file (DIR/<id>.failed): written whole or not at all. If it cannot be written (the
// disk that failed the run is full), the failure is still reported on stderr and counted.
void write_text(const std::string& path, const std::string& text) {
  try {
    write_text_file(path, text);
  } catch (const OutputError& e) {
    std::cerr << "dcsim sweep: cannot write " << e.what() << "\n";
  }
}

// Removes every "<id>.h5.partial-<pid>" of a run this process has just finished: they are left by
// earlier attempts (a SIGKILLed sweep's children cannot clean up, and their pids may still look
// alive as zombies or be reused, which defeats remove_stale_partials).
void remove_partials(const std::string& outdir, const std::string& id) {
  const std::string prefix = id + ".h5.partial-";
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(outdir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind(prefix, 0) == 0) doomed.push_back(it->path());
  for (const auto& p : doomed) remove_quietly(p.string());
}

// The claim of attempt k of a run: <id>.claim (k = 1), <id>.claim.<k> (k >= 2).
std::string claim_path(const std::string& dir, const std::string& id, int k) {
  return (fs::path(dir) / (id + ".claim" + (k > 1 ? "." + std::to_string(k) : std::string()))).string();
}

std::string this_host() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// Creates the claim of attempt k; false if it exists already (another worker has it) or cannot
// be made.
bool claim(const std::string& dir, const std::string& id, int rank, int k = 1) {
  const std::string p = claim_path(dir, id, k);
  const int fd = ::open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const std::string who = "rank " + std::to_string(rank) + " pid " + std::to_string(::getpid()) + " host " + this_host() + "\n";
  const ssize_t w = ::write(fd, who.data(), who.size());
  (void)w;
  ::close(fd);
  return true;
}

// The heartbeat: the claim's mtime is now.
void touch(const std::string& path) { ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); }

// The highest attempt claimed for a run (0: none).
int current_attempt(const std::string& dir, const std::string& id, int max_k) {
  int k = 0;
  for (int i = 1; i <= max_k + 1; ++i) {
    if (exists(claim_path(dir, id, i))) k = i;
    else if (i > 1) break;
  }
  return k;
}

// Why the holder of a claim is dead ("" = alive, as far as can be told).
std::string dead_holder(const std::string& path, double timeout_s, bool workers_ended) {
  std::string who;
  {
    std::ifstream in(path);
    std::getline(in, who);
  }
  const std::string holder = who.empty() ? std::string("its worker") : "its worker (" + who + ")";
  if (workers_ended) return holder + " ended without finishing it";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";  // taken over meanwhile
  const double age = std::difftime(std::time(nullptr), st.st_mtim.tv_sec);
  if (age > timeout_s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", age);
    return holder + " sent no heartbeat for " + buf + " s (timeout " + std::to_string(static_cast<long>(timeout_s)) + " s)";
  }
  // "rank R pid P host H": a holder on this host whose process is gone died.
  std::istringstream ws(who);
  std::string w_rank, r, w_pid, w_host, host;
  long pid = 0;
  if (ws >> w_rank >> r >> w_pid >> pid >> w_host >> host && w_pid == "pid" && w_host == "host" && host == this_host() &&
      pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
    return holder + " is gone (no process " + std::to_string(pid) + " on this host)";
  return "";
}

pid_t spawn(const Sweep& sw, const SweepRun& run, const std::string& outdir) {
  std::vector<std::string> args = {"dcsim", "run", sw.base};
  for (const auto& o : run.overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  args.push_back("-o");
  args.push_back(run_result_file(outdir, run.id));
  args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = run_log_file(outdir, run.id);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // parent (or -1)
  // child: only async-signal-safe calls until exec
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  const int fd = ::open(log.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::close(devnull);
  }
  ::execv("/proc/self/exe", argv.data());
  const char msg[] = "dcsim sweep: cannot execute /proc/self/exe\n";
  const ssize_t w = ::write(2, msg, sizeof msg - 1);
  (void)w;
  ::_exit(127);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

SweepOutcome run_sweep_runs(const Sweep& sw, const SweepPlan& plan, const std::atomic<bool>& stop) {
  SweepOutcome out;
  std::error_code ec;
  fs::create_directories(plan.outdir, ec);
  if (ec) throw OutputError(plan.outdir, "create the output directory", ec.message());  // exit code 3
  std::string cdir;
  if (plan.mpi) {
    cdir = claim_dir(plan.outdir, plan.session);
    fs::create_directories(cdir, ec);
    if (ec) throw std::runtime_error("cannot create " + cdir + ": " + ec.message());
  }
  SweepProgress progress(plan.label, !plan.quiet);
  std::map<pid_t, Child> running;
  std::size_t next = 0;
  const int jobs = std::max(1, plan.jobs);

  auto counts = [&]() {
    SweepCounts c;
    c.total = plan.scope.size();
    c.skipped = out.skipped;
    c.failed = out.failed;
    c.running = running.size();
    if (plan.mpi) {  // runs finished by any rank
      for (std::size_t i : plan.scope) c.done += exists(run_result_file(plan.outdir, sw.runs[i].id)) ? 1 : 0;
    } else {
      c.done = out.ran + out.skipped;
    }
    return c;
  };

  // A failed run: reported at once, kept in DIR/<id>.failed, and (MPI) in the session's
  // claims so that rank 0 stops waiting for it.
  auto record_failure = [&](const SweepRun& run, const std::string& why, const std::string& err) {
    ++out.failed;
    const std::string log = run_log_file(plan.outdir, run.id);
    const std::string msg = "run " + std::to_string(run.index) + " " + run.id + " (" + describe_parameters(run) +
                            ") failed: " + why + (err.empty() ? "" : ": " + err) + " (log: " + log + ")";
    write_text(run_failed_file(plan.outdir, run.id), why + "\n" + err + "\n");
    if (plan.mpi) write_text((fs::path(cdir) / (run.id + ".failed")).string(), why + "\n" + err + "\n");
    out.failures.push_back(msg);
    progress.message("[" + plan.label + "] " + msg);
  };

  auto finish_child = [&](pid_t pid, int status) {
    auto it = running.find(pid);
    if (it == running.end()) return;
    const SweepRun& run = sw.runs[it->second.run];
    running.erase(it);
    remove_partials(plan.outdir, run.id);
    const std::string result = run_result_file(plan.outdir, run.id);
    const std::string log = run_log_file(plan.outdir, run.id);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && is_complete_result(result);
    if (ok) {
      ++out.ran;
      remove_quietly(run_failed_file(plan.outdir, run.id));
      if (fs::file_size(log, ec) == 0 && !ec) remove_quietly(log);
      return;
    }
    if (stop.load() && WIFEXITED(status) && WEXITSTATUS(status) == 130) return;  // interrupted, not failed
    std::string why = describe_status(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) why = "exit code 0 but no complete result file";
    record_failure(run, why, last_line(log));
  };

  auto start = [&](std::size_t r, const std::string& claim_file) {
    const SweepRun& run = sw.runs[r];
    const pid_t pid = spawn(sw, run, plan.outdir);
    if (pid < 0) {
      record_failure(run, std::string("cannot start a process: ") + std::strerror(errno), "");
      return;
    }
    running[pid] = Child{r, Clock::now(), claim_file};
  };

  // Claims mode, once this worker's first pass is over: the runs of the scope that are neither
  // complete nor failed in this session. A dead claim is taken over (the next attempt's claim)
  // and the run started again, or recorded as failed after max_attempts. True when every run of
  // the scope is settled (complete or failed) and none is running here.
  const std::string failed_dir = cdir;
  auto settled = [&](const SweepRun& run) {
    return exists(run_result_file(plan.outdir, run.id)) || exists((fs::path(failed_dir) / (run.id + ".failed")).string());
  };
  auto held_here = [&](std::size_t r) {
    for (const auto& [pid, c] : running)
      if (c.run == r) return true;
    return false;
  };
  std::vector<char> known_settled(sw.runs.size(), 0);  // settled stays settled: not stat'ed again
  auto rescue = [&]() {
    bool all_settled = true;
    for (std::size_t r : plan.scope) {
      const SweepRun& run = sw.runs[r];
      if (known_settled[r]) continue;
      if (settled(run)) {
        known_settled[r] = 1;
        continue;
      }
      all_settled = false;
      if (held_here(r) || static_cast<int>(running.size()) >= jobs || stop.load()) continue;
      const int k = current_attempt(cdir, run.id, plan.max_attempts);
      if (k == 0) {  // never claimed (its worker died before it got there)
        if (claim(cdir, run.id, plan.rank, 1)) start(r, claim_path(cdir, run.id, 1));
        continue;
      }
      const std::string why = dead_holder(claim_path(cdir, run.id, k), plan.claim_timeout_s, plan.workers_ended);
      if (why.empty() || settled(run)) continue;  // alive, or it finished meanwhile
      if (!claim(cdir, run.id, plan.rank, k + 1)) continue;  // another worker took it over
      if (k >= plan.max_attempts) {
        remove_partials(plan.outdir, run.id);  // the dead attempt's: never taken for a result
        record_failure(run, "attempt " + std::to_string(k) + " of " + std::to_string(plan.max_attempts) + ": " + why,
                       "no attempts left");
        continue;
      }
      ++out.retried;
      progress.message("[" + plan.label + "] run " + std::to_string(run.index) + " " + run.id + ": attempt " +
                       std::to_string(k) + " lost, " + why + "; starting attempt " + std::to_string(k + 1));
      start(r, claim_path(cdir, run.id, k + 1));
    }
    return all_settled && running.empty();
  };

  const auto beat_every = std::chrono::milliseconds(
      static_cast<long>(std::clamp(plan.claim_timeout_s / 4.0, 0.2, 30.0) * 1000.0));
  // How often the runs of the scope are looked at once this worker's first pass is over (each
  // look stats every unsettled run's files: keep it rare on a shared file system).
  const auto rescue_every = std::chrono::milliseconds(
      static_cast<long>(std::clamp(plan.claim_timeout_s / 10.0, 0.25, 5.0) * 1000.0));
  auto last_beat = Clock::now();
  auto last_rescue = Clock::time_point{};

  while (!stop.load()) {
    while (static_cast<int>(running.size()) < jobs && next < plan.scope.size() && !stop.load()) {
      const std::size_t r = plan.scope[next++];
      const SweepRun& run = sw.runs[r];
      if (is_complete_result(run_result_file(plan.outdir, run.id))) {
        ++out.skipped;
        continue;
      }
      if (plan.mpi && !claim(cdir, run.id, plan.rank)) {
        ++out.others;
        continue;
      }
      start(r, plan.mpi ? claim_path(cdir, run.id, 1) : std::string());
    }
    if (next >= plan.scope.size()) {
      if (!plan.mpi && running.empty()) break;
      if (plan.mpi && Clock::now() - last_rescue > rescue_every) {
        last_rescue = Clock::now();
        if (rescue()) break;
      }
    }
    if (plan.mpi && Clock::now() - last_beat >= beat_every) {
      last_beat = Clock::now();
      for (const auto& [pid, c] : running)
        if (!c.claim.empty()) touch(c.claim);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      finish_child(pid, status);
      continue;
    }
    if (progress.due()) progress.draw(counts());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  if (stop.load()) {
    out.interrupted = true;
    for (const auto& [pid, c] : running) ::kill(pid, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!running.empty()) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        if (running.count(pid)) remove_partials(plan.outdir, sw.runs[running[pid].run].id);
        running.erase(pid);
        continue;
      }
      if (Clock::now() > deadline)
        for (const auto& [p, c] : running) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  progress.done();
  return out;
}

bool wait_for_ranks(const Sweep& sw, const SweepPlan& plan, const std::atomic<bool>& stop, std::size_t& failed) {
  const std::string cdir = claim_dir(plan.outdir, plan.session);
  SweepProgress progress(plan.label + ", rank 0 waiting for the other ranks", !plan.quiet);
  while (true) {
    std::size_t done = 0;
    failed = 0;
    for (std::size_t i : plan.scope) {
      const std::string& id = sw.runs[i].id;
      if (exists(run_result_file(plan.outdir, id))) ++done;
      else if (exists((fs::path(cdir) / (id + ".failed")).string())) ++failed;
    }
    if (done + failed >= plan.scope.size()) break;
    if (stop.load()) return false;
    if (progress.due()) {
      SweepCounts c;
      c.total = plan.scope.size();
      c.done = done;
      c.failed = failed;
      progress.draw(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  progress.done();
  return true;
}

std::vector<SweepRunEntry> sweep_index_entries(const Sweep& sw, const std::string& outdir) {
  std::vector<SweepRunEntry> entries;
  entries.reserve(sw.runs.size());
  for (const auto& run : sw.runs) {
    SweepRunEntry e;
    e.run_id = run.id;
    e.result_path = run.id + ".h5";
    if (is_complete_result(run_result_file(outdir, run.id))) e.status = "completed";
    else if (exists(run_failed_file(outdir, run.id))) e.status = "failed";
    else e.status = "missing";
    e.parameters = run.parameters;
    e.point = static_cast<std::int64_t>(run.point);
    e.realization = static_cast<std::int64_t>(run.realization);
    for (const auto& a : sw.sample.inputs) e.distributions[a.parameter] = "latin_hypercube " + a.distribution;
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace dcsim
