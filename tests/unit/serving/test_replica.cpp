#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "physics/llm_inference.hpp"
#include "serving/replica.hpp"
#include "unit/serving/helpers.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {

struct Recorder : ReplicaEvents {
  RequestPool* pool = nullptr;
  std::vector<Seconds> first, finish;
  void on_first_token(std::uint32_t slot, Seconds t) override { first[(*pool)[slot].id] = t; }
  void on_finish(std::uint32_t slot, Seconds t) override { finish[(*pool)[slot].id] = t; }
};

struct Bench {
  DeploymentSpec d;
  AcceleratorSpec a = test::h200();
  LlmModel model;
  std::unique_ptr<LlmIterationModel> phys;
  ReplicaParams params;
  RequestPool pool;
  Recorder rec;
  std::unique_ptr<Replica> rep;
  std::size_t max_batch_seen = 0;

  explicit Bench(const std::string& preset, double kv_gb = 0, bool chunked = false, int budget = 8192) {
    d = test::deployment("d", preset, 1);
    d.kv_cache_gb = kv_gb;
    d.chunked_prefill = chunked;
    d.max_batched_tokens = budget;
    model = llm_model(d.model);
    phys = std::make_unique<LlmIterationModel>(model, d, a);
    params.physics = phys.get();
    params.kv_capacity_tokens = kv_cache_capacity_bytes(model, d, a) / model.kv_bytes_per_token;
    params.block_tokens = d.block_tokens;
    params.max_batch = d.max_batch;
    params.max_batched_tokens = d.max_batched_tokens;
    params.chunked_prefill = chunked;
    rec.pool = &pool;
    rep = std::make_unique<Replica>(params, pool, 0);
    rep->set_limits(700, 0);  // the card's default power limit
  }
  void add(std::uint64_t id, Seconds t, int prompt, int output) {
    if (rec.first.size() <= id) {
      rec.first.resize(id + 1, -1);
      rec.finish.resize(id + 1, -1);
    }
    const std::uint32_t s = pool.alloc();
    Request& r = pool[s];
    r.id = id;
    r.arrival_s = t;
    r.prompt = prompt;
    r.output = output;
    rep->enqueue(s, t, rec);
    max_batch_seen = std::max(max_batch_seen, rep->batch());
  }
  // Runs iterations until the next would end after t (or the replica idles).
  void run_until(Seconds t) {
    while (rep->next_end() <= t) {
      rep->complete_iteration(rec);
      max_batch_seen = std::max(max_batch_seen, rep->batch());
    }
  }
  Seconds prefill_s(int tokens, int cached = 0) const {
    BatchShape b;
    b.add_prefill(tokens, cached);
    return phys->under_cap(phys->cost(b), 700, 0).time_s;
  }
  Seconds decode_s(double seqs, double context) const {
    BatchShape b;
    b.decode_seqs = seqs;
    b.decode_context = context;
    return phys->under_cap(phys->cost(b), 700, 0).time_s;
  }
};

}  // namespace

TEST_CASE("a lone request's TTFT is its prefill iteration and its tokens follow one decode "
          "iteration each, with the context growing by one token per step",
          "[serving][replica]") {
  Bench b("llama-3-8b");
  b.add(0, 0, 500, 10);
  b.run_until(1e9);
  const Seconds ttft = b.prefill_s(500);
  CHECK(b.rec.first[0] == Approx(ttft));
  Seconds t = ttft;
  for (int j = 0; j < 9; ++j) t += b.decode_s(1, 500 + j);  // 9 decode steps after the first token
  CHECK(b.rec.finish[0] == Approx(t));
  CHECK(b.rep->tokens_out() == 10);
  CHECK(b.rep->tokens_prompt() == 500);
  CHECK(b.rep->idle());
  SECTION("the replica's energy is the iterations' power × time plus idle power after") {
    BatchShape pf;
    pf.add_prefill(500, 0);
    double e = b.phys->under_cap(b.phys->cost(pf), 700, 0).power_w * ttft;
    for (int j = 0; j < 9; ++j) {
      BatchShape dc;
      dc.decode_seqs = 1;
      dc.decode_context = 500 + j;
      const IterationPoint it = b.phys->under_cap(b.phys->cost(dc), 700, 0);
      e += it.power_w * it.time_s;
    }
    e += 130 * (100 - t);
    CHECK(b.rep->energy_at(100) == Approx(e));
  }
}

TEST_CASE("continuous batching: a request that arrives during a decode step is prefilled at "
          "the end of that step (prefill first) and then decodes in the same batch",
          "[serving][replica]") {
  Bench b("llama-3-8b");
  b.add(0, 0, 100, 50);
  const Seconds t0 = b.prefill_s(100);
  b.run_until(t0 + 1e-9);  // request 0 has its first token and is decoding
  const Seconds step_end = b.rep->next_end();
  const Seconds arrive = 0.5 * (t0 + step_end);  // in the middle of its first decode step
  b.add(1, arrive, 300, 5);
  b.run_until(1e9);
  CHECK(b.rec.first[1] == Approx(step_end + b.prefill_s(300)));
  CHECK(b.max_batch_seen == 2);
  // request 0's tokens paused for request 1's prefill (vLLM's default scheduler)
  CHECK(b.rec.finish[0] > b.rec.first[0] + 49 * b.decode_s(1, 100));
}

TEST_CASE("chunked prefill keeps the running sequences decoding while a long prompt is "
          "prefilled in budget-sized chunks (Sarathi-Serve)",
          "[serving][replica]") {
  struct Out {
    Seconds longest_gap = 0;
    std::uint64_t prefill_iterations = 0;
  };
  auto run = [](bool chunked) {
    Bench b("llama-3-8b", 0, chunked, 512);
    b.add(0, 0, 100, 400);
    b.run_until(b.prefill_s(100) + 1e-9);
    b.add(1, b.rep->next_end() - 1e-6, 4000, 5);
    // the longest interval between two tokens of request 0, and the iterations until request 1's
    // first token
    Out o;
    double last_t = b.rep->next_end(), last_tokens = b.rep->tokens_out();
    const std::uint64_t it0 = b.rep->iterations();
    while (std::isfinite(b.rep->next_end())) {
      const Seconds t = b.rep->next_end();
      b.rep->complete_iteration(b.rec);
      if (b.rec.first[1] > 0 && o.prefill_iterations == 0) o.prefill_iterations = b.rep->iterations() - it0;
      if (b.rep->tokens_out() > last_tokens + (b.rec.first[1] == t ? 1 : 0)) {
        o.longest_gap = std::max(o.longest_gap, t - last_t);
        last_t = t;
      }
      last_tokens = b.rep->tokens_out();
    }
    return o;
  };
  const Out plain = run(false), chunked = run(true);
  CHECK(chunked.longest_gap < 0.5 * plain.longest_gap);  // no generation stall behind the prefill
  // 511 tokens per iteration beside request 0's decode: ceil(4000/511) = 8 iterations; the
  // plain scheduler prefills it in one (after the decode step in progress)
  CHECK(chunked.prefill_iterations == 8 + 1);
  CHECK(plain.prefill_iterations == 1 + 1);
}

TEST_CASE("the KV cache caps the batch: blocks reserved for each prompt bound the admissions "
          "and a full cache preempts the latest arrival, which is recomputed and still "
          "produces exactly its output tokens",
          "[serving][replica][kv]") {
  Bench b("llama-2-7b", 1.0);  // 1 GB of KV cache: 1e9 / 512 KiB = 1907 tokens = 119 blocks of 16
  REQUIRE(b.params.kv_capacity_tokens == Approx(1e9 / 524288.0));
  const int n = 50;
  for (int i = 0; i < n; ++i) b.add(static_cast<std::uint64_t>(i), 0, 200, 100);
  b.run_until(1e9);
  // a 200-token prompt reserves ceil(200/16) = 13 blocks: at most floor(119/13) = 9 admitted
  CHECK(b.max_batch_seen == 9);
  CHECK(b.rep->preemptions() > 0);  // 9 sequences of up to 300 tokens (19 blocks) do not fit
  for (int i = 0; i < n; ++i) CHECK(b.rec.finish[static_cast<std::size_t>(i)] > 0);
  CHECK(b.rep->tokens_out() == n * 100);
  CHECK(b.rep->tokens_prompt() > n * 200);  // the recomputes
  SECTION("a request that can never fit is refused") {
    Request r;
    r.prompt = 1800;
    r.output = 200;
    CHECK_FALSE(b.rep->fits(r));
  }
}

TEST_CASE("max_batch bounds the batch when the cache is large", "[serving][replica]") {
  Bench b("llama-3-8b");
  b.params.max_batch = 16;
  b.rep = std::make_unique<Replica>(b.params, b.pool, 0);
  b.rep->set_limits(700, 0);
  for (int i = 0; i < 40; ++i) b.add(static_cast<std::uint64_t>(i), 0, 50, 20);
  b.run_until(1e9);
  CHECK(b.max_batch_seen == 16);
  CHECK(b.rep->tokens_out() == 40 * 20);
}

TEST_CASE("under a power cap every decode step takes the time the DVFS law gives at the clock "
          "the cap allows, so TPOT rises by that law",
          "[serving][replica][dvfs]") {
  auto tpot = [](Watts cap) {
    Bench b("llama-3-8b", 0, false, 256 * 64);  // every prompt in one prefill iteration
    b.rep->set_limits(cap, 0);
    for (int i = 0; i < 256; ++i) b.add(static_cast<std::uint64_t>(i), 0, 64, 2);
    b.run_until(1e9);
    // request 0 starts the idle replica alone; the other 255 are prefilled together, then the
    // whole batch decodes one step: that step is their TPOT
    const Seconds t = b.rec.finish[1] - b.rec.first[1];
    for (std::size_t i = 2; i < 256; ++i) CHECK(b.rec.finish[i] - b.rec.first[i] == Approx(t));
    BatchShape dc;
    dc.decode_seqs = 256;
    dc.decode_context = 256 * 64.0;
    const IterationCost c = b.phys->cost(dc);
    const IterationPoint it = b.phys->under_cap(c, cap, 0);
    const double f = b.a.pstates[static_cast<std::size_t>(it.pstate)].freq_mhz;
    CHECK(t == Approx(std::max(c.compute_s * 1980.0 / f, c.memory_s) + c.overhead_s));
    return t;
  };
  const Seconds free = tpot(700), capped = tpot(350);
  CHECK(capped > 1.2 * free);
}
