#pragma once
// "Did you mean" suggestions for a misspelt name among the accepted ones (catalogue profiles,
// optimisation techniques): the closest name by edit distance, if it is close enough (at most
// a third of the word's length, at least 2 edits allowed). The YAML layer uses the same rule
// for keys and choices (config/yaml_reader.cpp).
#include <algorithm>
#include <string>
#include <vector>

namespace dcsim {

inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean 'x'?)" or "" when nothing is close.
inline std::string did_you_mean(const std::string& word, const std::vector<std::string>& accepted) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& a : accepted) {
    const std::size_t d = edit_distance(word, a);
    if (d < best_d) {
      best_d = d;
      best = a;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace dcsim
