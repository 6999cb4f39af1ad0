// A field's patterns in C++: what buildPatterns (indexer/segment/patterns.ts) finds, in the same order. A doc's
// pattern is its token sequence with every token that is not a word (word[t] == 0) replaced by a slot; patterns are
// numbered from 1 in order of first sight, and a doc without a word gets 0. The strings of the patterns are made
// by the caller from the term ids this returns, since there are few patterns and many docs.
#include "patterns.h"

#include <cstdint>
#include <vector>

#include "napi-util.h"

namespace strata {
namespace {

constexpr uint32_t kSlot = 0xffffffffu;   // NONE in patterns.ts
constexpr uint32_t kMaxPatterns = 65535;  // MAX_PATTERNS

struct State {
  std::vector<uint32_t> pool;    // the patterns' term ids (kSlot for a slot), one after another
  std::vector<uint32_t> starts;  // pattern p is pool[starts[p], starts[p + 1])
  std::vector<uint32_t> hashes;  // per pattern
  std::vector<uint32_t> table;   // open addressing: pattern + 1, 0 for empty
  uint32_t mask = 0;
};

void place(State& S, uint32_t p) {
  uint32_t slot = S.hashes[p] & S.mask;
  while (S.table[slot] != 0) slot = (slot + 1) & S.mask;
  S.table[slot] = p + 1;
}

constexpr int64_t kDoesNotFit = -1;
constexpr int64_t kOutsidePairs = -2;
constexpr int64_t kPastWords = -3;

// The patterns' count, or kDoesNotFit past kMaxPatterns. Every index is checked where it is first read (a doc's
// range before its occurrences, an occurrence's term before its flag), since a bad one would read outside the arrays:
// kOutsidePairs, kPastWords.
int64_t findPatterns(State& S, const uint32_t* pt, size_t pairs, const uint8_t* word, size_t wordCount, const uint32_t* from, const uint32_t* to, uint32_t n, uint32_t* ords) {
  S.pool.clear();
  S.starts.assign(1, 0);
  S.hashes.clear();
  S.table.assign(4096, 0);
  S.mask = 4095;
  for (uint32_t d = 0; d < n; d++) {
    const uint32_t a = from[d], b = to[d];
    if (a > b || b > pairs) return kOutsidePairs;
    uint32_t h = 0x811c9dc5u;
    uint32_t words = 0;
    for (uint32_t i = a; i < b; i++) {
      const uint32_t t = pt[i];
      if (t >= wordCount) return kPastWords;
      const bool w = word[t] == 1;
      words += w;
      h = (h ^ (w ? t : kSlot)) * 0x01000193u;
    }
    ords[d] = 0;
    if (words == 0) continue;
    uint32_t slot = h & S.mask;
    uint32_t found = 0;
    for (; S.table[slot] != 0; slot = (slot + 1) & S.mask) {
      const uint32_t p = S.table[slot] - 1;
      if (S.hashes[p] != h || S.starts[p + 1] - S.starts[p] != b - a) continue;
      const uint32_t* q = S.pool.data() + S.starts[p];
      uint32_t i = 0;
      while (i < b - a && q[i] == (word[pt[a + i]] == 1 ? pt[a + i] : kSlot)) i++;
      if (i == b - a) {
        found = p + 1;
        break;
      }
    }
    if (found == 0) {
      const auto p = static_cast<uint32_t>(S.hashes.size());
      if (p >= kMaxPatterns) return kDoesNotFit;
      for (uint32_t i = a; i < b; i++) S.pool.push_back(word[pt[i]] == 1 ? pt[i] : kSlot);
      S.starts.push_back(static_cast<uint32_t>(S.pool.size()));
      S.hashes.push_back(h);
      S.table[slot] = p + 1;
      if (S.hashes.size() * 2 > S.mask) {
        S.table.assign(static_cast<size_t>(S.mask + 1) * 2, 0);
        S.mask = S.mask * 2 + 1;
        for (uint32_t k = 0; k <= p; k++) place(S, k);
      }
      found = p + 1;
    }
    ords[d] = found;
  }
  return static_cast<int64_t>(S.hashes.size());
}

// patterns(pairTerm, word: Uint8Array, from, to, n, ords): see index.ts.
napi_value Patterns(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void* data = nullptr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, &data));
  State& S = *static_cast<State*>(data);
  uint32_t n = 0;
  if (argc < 6 || napi_get_value_uint32(env, argv[4], &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "patterns: six arguments expected, the fifth a doc count");
    return nullptr;
  }
  void* a[6] = {};
  size_t len[6] = {};
  const bool typed = typedArray(env, argv[0], napi_uint32_array, &a[0], &len[0]) && typedArray(env, argv[1], napi_uint8_array, &a[1], &len[1]) &&
                     typedArray(env, argv[2], napi_uint32_array, &a[2], &len[2]) && typedArray(env, argv[3], napi_uint32_array, &a[3], &len[3]) &&
                     typedArray(env, argv[5], napi_uint32_array, &a[5], &len[5]);
  if (!typed || len[2] < n || len[3] < n || len[5] < n) {
    napi_throw_type_error(env, nullptr, "patterns: pairTerm, from, to and ords must be Uint32Arrays (the last three of n docs), word a Uint8Array");
    return nullptr;
  }
  int64_t count = kDoesNotFit;
  try {
    count = findPatterns(S, static_cast<const uint32_t*>(a[0]), len[0], static_cast<const uint8_t*>(a[1]), len[1], static_cast<const uint32_t*>(a[2]),
                         static_cast<const uint32_t*>(a[3]), n, static_cast<uint32_t*>(a[5]));
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  if (count == kOutsidePairs || count == kPastWords) {
    napi_throw_range_error(env, nullptr, count == kOutsidePairs ? "patterns: a doc's occurrences lie outside pairTerm" : "patterns: an occurrence names a term past the word flags");
    return nullptr;
  }
  napi_value out;
  CHECK(napi_create_double(env, static_cast<double>(count), &out));
  return out;
}

// patternTerms(): the last patterns() call's patterns as [pool, starts].
napi_value PatternTerms(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  size_t argc = 0;
  CHECK(napi_get_cb_info(env, info, &argc, nullptr, nullptr, &data));
  const State& S = *static_cast<State*>(data);
  napi_value out;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_set_element(env, out, 0, uint32Array(env, S.pool.data(), S.pool.size())));
  CHECK(napi_set_element(env, out, 1, uint32Array(env, S.starts.data(), S.starts.size())));
  return out;
}

}  // namespace

void definePatterns(napi_env env, napi_value exports) {
  defineFunctions(env, exports, {{"patterns", Patterns}, {"patternTerms", PatternTerms}}, perInstance<State>(env));
}

}  // namespace strata
