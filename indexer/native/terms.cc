// A field's dictionary and postings in C++: what writeTerms and TermsWriter (indexer/segment: writer.ts,
// segment-file.ts, term-dict.ts, sort-terms.ts) write for a seal's field, byte for byte (terms.test.ts): terms in
// dictionary order, front-coded; per term its docs as varint deltas, each doc's packed positions entry (bigram
// terms, from `firstBigram` on, have none), skip entries every SKIP_EVERY docs, and its lengths entry. It takes
// ASCII terms only, where byte order is the UTF-16 order the reader searches by; other terms answer -1 and the
// TypeScript writer runs instead.
//
// Buffers live per addon instance, that is per thread, and keep their capacity from field to field and seal to
// seal (see collect.cc: fresh memory costs a page fault per 4 KiB on its first write); a build thread that exits
// when idle takes them with it.
#include "terms.h"

#include <node_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <vector>

#include "napi-util.h"

namespace strata {
namespace {

constexpr uint32_t kSkipEvery = 128;  // SKIP_EVERY in segment-file.ts

struct Bytes {
  std::vector<uint8_t> v;
  size_t n = 0;
  void clear() { n = 0; }
  void room(size_t k) {
    if (n + k > v.size()) v.resize(std::max(v.size() * 2, n + k + 4096));
  }
  void varint(uint64_t x) {
    room(10);
    uint8_t* p = v.data() + n;
    while (x >= 0x80) {
      *p++ = static_cast<uint8_t>(x | 0x80);
      x >>= 7;
    }
    *p++ = static_cast<uint8_t>(x);
    n = static_cast<size_t>(p - v.data());
  }
  void byte(uint8_t b) {
    room(1);
    v[n++] = b;
  }
  void append(const char* s, size_t k) {
    room(k);
    if (k > 0) std::memcpy(v.data() + n, s, k);
    n += k;
  }
};

// A term for sorting: its first 8 bytes big-endian (zero-padded: no term holds a zero byte), then its id.
struct Key {
  uint64_t prefix;
  uint32_t id;
};

struct State {
  std::vector<char> joined;
  std::vector<uint32_t> starts;  // term t is joined[starts[t], starts[t + 1] - 1)
  std::vector<Key> keys;
  std::vector<uint64_t> occ;
  std::vector<uint32_t> rankOf, counts, cursor, docs, posStart, pOff, qOff;
  Bytes shared, rest, postings, positions, skips, lengths;
};

template <typename T>
void ensure(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// How `joined` (terms separated by newlines) splits; false when it is not `count` ASCII terms.
bool split(const char* s, size_t len, uint32_t count, std::vector<uint32_t>& starts) {
  starts.clear();
  starts.push_back(0);
  for (size_t i = 0; i < len; i++) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) return false;
    if (c == '\n') starts.push_back(static_cast<uint32_t>(i + 1));
  }
  starts.push_back(static_cast<uint32_t>(len + 1));
  return count > 0 ? starts.size() == count + 1 : len == 0 && (starts.resize(1), true);
}

// The ids of the terms not skipped, in byte order.
void sortTerms(const char* s, const std::vector<uint32_t>& starts, uint32_t count, const uint8_t* skip, std::vector<Key>& keys) {
  keys.clear();
  for (uint32_t t = 0; t < count; t++) {
    if (skip != nullptr && skip[t] == 1) continue;
    const uint32_t a = starts[t], len = starts[t + 1] - 1 - a;
    uint64_t p = 0;
    for (uint32_t k = 0; k < 8; k++) p = (p << 8) | (k < len ? static_cast<uint8_t>(s[a + k]) : 0);
    keys.push_back(Key{p, t});
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& x, const Key& y) {
    if (x.prefix != y.prefix) return x.prefix < y.prefix;
    const uint32_t xa = starts[x.id], xl = starts[x.id + 1] - 1 - xa;
    const uint32_t ya = starts[y.id], yl = starts[y.id + 1] - 1 - ya;
    if (xl <= 8 || yl <= 8) return xl < yl;
    const int c = std::memcmp(s + xa + 8, s + ya + 8, std::min(xl, yl) - 8);
    return c != 0 ? c < 0 : xl < yl;
  });
}

struct TermsInput {
  size_t joinedLen;  // the terms' bytes are in State::joined
  uint32_t count;
  const uint32_t* pairTerm;
  const uint32_t* pairDoc;
  const uint32_t* pairPos;
  uint32_t pairs;
  uint32_t firstBigram;
  const uint8_t* skip;  // null: none skipped
};

// Bytes of each stream, in the order copyTerms lays them out.
struct TermsSizes {
  uint32_t terms;
  size_t dict, postings, lengths, positions, skips;
};

// The streams' total bytes; -1 when the terms are not `count` ASCII terms, -2 for an occurrence of no term.
int64_t writeTerms(State& S, const TermsInput& in, TermsSizes* out) {
  const char* s = S.joined.data();
  if (!split(s, in.joinedLen, in.count, S.starts)) return -1;
  sortTerms(s, S.starts, in.count, in.skip, S.keys);
  const uint32_t K = static_cast<uint32_t>(S.keys.size());
  const Key* keys = S.keys.data();
  const uint32_t* starts = S.starts.data();

  // The dictionary first, in its own pass: the terms' bytes are read in sorted order, which is random in memory,
  // so the loads are asked for a few terms ahead.
  S.shared.clear();
  S.rest.clear();
  S.rest.room(in.joinedLen + 1);
  uint32_t prevStart = 0, prevLen = 0;
  for (uint32_t r = 0; r < K; r++) {
    if (r + 16 < K) __builtin_prefetch(starts + keys[r + 16].id);
    if (r + 8 < K) __builtin_prefetch(s + starts[keys[r + 8].id]);
    const uint32_t t = keys[r].id;
    const uint32_t a = starts[t], len = starts[t + 1] - 1 - a;
    uint32_t p = 0;
    const uint32_t max = std::min(len, prevLen);
    while (p < max && s[a + p] == s[prevStart + p]) p++;
    S.shared.varint(p);
    if (r > 0) S.rest.byte('\n');
    S.rest.append(s + a + p, len - p);
    prevStart = a;
    prevLen = len;
  }

  // Occurrences grouped by term in dictionary order (a counting sort by rank, so the pass that writes postings
  // reads them front to back), in (doc, position) order within a term as they were added.
  ensure(S.rankOf, in.count);
  uint32_t* rankOf = S.rankOf.data();
  std::fill(rankOf, rankOf + in.count, UINT32_MAX);
  for (uint32_t r = 0; r < K; r++) rankOf[keys[r].id] = r;
  ensure(S.counts, K + 1);
  uint32_t* counts = S.counts.data();
  std::fill(counts, counts + K + 1, 0);
  for (uint32_t i = 0; i < in.pairs; i++) {
    const uint32_t t = in.pairTerm[i];
    if (t >= in.count) return -2;
    const uint32_t r = rankOf[t];
    if (r != UINT32_MAX) counts[r + 1]++;
  }
  for (uint32_t r = 0; r < K; r++) counts[r + 1] += counts[r];
  ensure(S.cursor, K);
  std::memcpy(S.cursor.data(), counts, K * sizeof(uint32_t));
  const uint32_t occ = counts[K];
  // Doc and position in one word: one random write per occurrence rather than two.
  ensure(S.occ, occ);
  uint32_t* cursor = S.cursor.data();
  uint64_t* occs = S.occ.data();
  for (uint32_t i = 0; i < in.pairs; i++) {
    const uint32_t r = rankOf[in.pairTerm[i]];
    if (r == UINT32_MAX) continue;
    occs[cursor[r]++] = (static_cast<uint64_t>(in.pairDoc[i]) << 32) | in.pairPos[i];
  }

  S.postings.clear();
  S.positions.clear();
  S.skips.clear();
  S.lengths.clear();
  for (uint32_t r = 0; r < K; r++) {
    const uint32_t t = keys[r].id;
    const uint32_t lo = counts[r], hi = counts[r + 1];
    ensure(S.docs, hi - lo);
    ensure(S.posStart, hi - lo + 1);
    uint32_t* docs = S.docs.data();
    uint32_t* posStart = S.posStart.data();
    uint32_t df = 0;
    for (uint32_t i = lo; i < hi; i++) {
      const auto d = static_cast<uint32_t>(occs[i] >> 32);
      if (i > lo && d == docs[df - 1]) continue;
      posStart[df] = i - lo;
      docs[df++] = d;
    }
    posStart[df] = hi - lo;

    const uint32_t blocks = (df + kSkipEvery - 1) / kSkipEvery;
    const bool skipped = blocks > 1;
    if (skipped) {
      ensure(S.pOff, blocks);
      ensure(S.qOff, blocks);
      std::fill(S.qOff.begin(), S.qOff.begin() + blocks, 0);
    }
    const size_t pb = S.postings.n;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < df; i++) {
      if (skipped && i % kSkipEvery == 0) S.pOff[i / kSkipEvery] = static_cast<uint32_t>(S.postings.n - pb);
      S.postings.varint(docs[i] - prev);
      prev = docs[i];
    }
    S.lengths.varint(S.postings.n - pb);

    const size_t qb = S.positions.n;
    if (t < in.firstBigram) {
      const uint64_t* pos = occs + lo;
      for (uint32_t i = 0; i < df; i++) {
        if (skipped && i % kSkipEvery == 0) S.qOff[i / kSkipEvery] = static_cast<uint32_t>(S.positions.n - qb);
        const uint32_t from = posStart[i], to = posStart[i + 1];
        if (to - from == 1) {
          S.positions.varint(static_cast<uint64_t>(static_cast<uint32_t>(pos[from])) * 2);
          continue;
        }
        S.positions.varint(static_cast<uint64_t>(to - from) * 2 + 1);
        uint32_t last = 0;
        for (uint32_t m = from; m < to; m++) {
          const auto q = static_cast<uint32_t>(pos[m]);
          S.positions.varint(q - last);
          last = q;
        }
      }
    }
    S.lengths.varint(S.positions.n - qb);
    S.lengths.varint(df);
    const size_t sb = S.skips.n;
    if (skipped) {
      // Blocks 1.. as deltas: the doc before the block, then the two byte offsets.
      uint32_t lastDoc = 0;
      for (uint32_t b = 1; b < blocks; b++) {
        const uint32_t d = docs[b * kSkipEvery - 1];
        S.skips.varint(d - lastDoc);
        lastDoc = d;
        S.skips.varint(S.pOff[b] - S.pOff[b - 1]);
        S.skips.varint(S.qOff[b] - S.qOff[b - 1]);
      }
    }
    S.lengths.varint(S.skips.n - sb);
  }
  out->terms = K;
  out->dict = S.shared.n + S.rest.n;
  out->postings = S.postings.n;
  out->lengths = S.lengths.n;
  out->positions = S.positions.n;
  out->skips = S.skips.n;
  return static_cast<int64_t>(out->dict + out->postings + out->lengths + out->positions + out->skips);
}

void copyTerms(const State& st, uint8_t* dst) {
  const Bytes* parts[] = {&st.shared, &st.rest, &st.postings, &st.lengths, &st.positions, &st.skips};
  for (const Bytes* b : parts) {
    if (b->n > 0) std::memcpy(dst, b->v.data(), b->n);
    dst += b->n;
  }
}

napi_value number(napi_env env, double x) {
  napi_value v;
  return napi_create_double(env, x, &v) == napi_ok ? v : nullptr;
}

// terms(joined, count, pairTerm, pairDoc, pairPos, pairs, firstBigram, skip | null, out: Uint8Array,
// sizes: Float64Array(6)): see index.ts.
napi_value Terms(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  void* data = nullptr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, &data));
  State& st = *static_cast<State*>(data);
  if (argc < 10) {
    napi_throw_type_error(env, nullptr, "terms: ten arguments expected");
    return nullptr;
  }
  TermsInput in{};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "terms: the terms must be a string");
    return nullptr;
  }
  ensure(st.joined, len + 1);
  CHECK(napi_get_value_string_utf8(env, argv[0], st.joined.data(), len + 1, &in.joinedLen));
  CHECK(napi_get_value_uint32(env, argv[1], &in.count));
  CHECK(napi_get_value_uint32(env, argv[5], &in.pairs));
  CHECK(napi_get_value_uint32(env, argv[6], &in.firstBigram));
  void* arrays[3] = {nullptr, nullptr, nullptr};
  size_t lens[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    if (!typedArray(env, argv[2 + k], napi_uint32_array, &arrays[k], &lens[k]) || lens[k] < in.pairs) {
      napi_throw_type_error(env, nullptr, "terms: the occurrence arrays must be Uint32Arrays of at least `pairs` elements");
      return nullptr;
    }
  }
  in.pairTerm = static_cast<const uint32_t*>(arrays[0]);
  in.pairDoc = static_cast<const uint32_t*>(arrays[1]);
  in.pairPos = static_cast<const uint32_t*>(arrays[2]);
  napi_valuetype kind;
  CHECK(napi_typeof(env, argv[7], &kind));
  if (kind != napi_null) {
    void* skip = nullptr;
    size_t skipLen = 0;
    if (!typedArray(env, argv[7], napi_uint8_array, &skip, &skipLen) || skipLen < in.count) {
      napi_throw_type_error(env, nullptr, "terms: skip must be null or a Uint8Array of at least `count` elements");
      return nullptr;
    }
    in.skip = static_cast<const uint8_t*>(skip);
  }
  void* outData = nullptr;
  size_t outLen = 0;
  void* sizesData = nullptr;
  size_t sizesLen = 0;
  if (!typedArray(env, argv[8], napi_uint8_array, &outData, &outLen) || !typedArray(env, argv[9], napi_float64_array, &sizesData, &sizesLen) || sizesLen < 6) {
    napi_throw_type_error(env, nullptr, "terms: out must be a Uint8Array and sizes a Float64Array of 6");
    return nullptr;
  }
  TermsSizes sz{};
  int64_t total = -1;
  try {
    total = writeTerms(st, in, &sz);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  if (total == -2) {
    napi_throw_range_error(env, nullptr, "terms: an occurrence names a term id past `count`");
    return nullptr;
  }
  if (total < 0) return number(env, -1);
  double* sizes = static_cast<double*>(sizesData);
  sizes[0] = sz.terms;
  sizes[1] = static_cast<double>(sz.dict);
  sizes[2] = static_cast<double>(sz.postings);
  sizes[3] = static_cast<double>(sz.lengths);
  sizes[4] = static_cast<double>(sz.positions);
  sizes[5] = static_cast<double>(sz.skips);
  if (static_cast<size_t>(total) > outLen) return number(env, 0);
  copyTerms(st, static_cast<uint8_t*>(outData));
  return number(env, 1);
}

// copyTerms(out: Uint8Array): the last terms() call's streams into `out`, which must hold them all.
napi_value CopyTerms(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = nullptr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, &data));
  const State& st = *static_cast<State*>(data);
  void* outData = nullptr;
  size_t outLen = 0;
  const size_t need = st.shared.n + st.rest.n + st.postings.n + st.lengths.n + st.positions.n + st.skips.n;
  if (argc < 1 || !typedArray(env, argv[0], napi_uint8_array, &outData, &outLen) || outLen < need) {
    napi_throw_type_error(env, nullptr, "copyTerms: out must be a Uint8Array as long as the last terms() said");
    return nullptr;
  }
  copyTerms(st, static_cast<uint8_t*>(outData));
  return nullptr;
}

}  // namespace

void defineTerms(napi_env env, napi_value exports) {
  defineFunctions(env, exports, {{"terms", Terms}, {"copyTerms", CopyTerms}}, perInstance<State>(env));
}

}  // namespace strata
