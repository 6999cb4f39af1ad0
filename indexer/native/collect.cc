// The seal's first pass in C++: read each doc's flat JSON, gather every field's values, and tokenize and intern
// its text. It is the same definition as Collector.scan and TermTable.addAscii in indexer/segment (doc-fields.ts,
// term-table.ts): term ids in order of first sight, the same FNV-1a hashes, keyword ordinals in order of first
// sight up to the limit the caller passes (MAX_KEYWORD_VALUES), so a segment sealed through it is byte for byte the one the TypeScript path writes
// (collect.test.ts). Anything that path decodes through JSON.parse or Unicode tables (a byte >= 0x80, a \u escape
// above ASCII, an unexpected token, a number it cannot parse exactly) makes scan() answer null, and the caller
// runs the TypeScript path over the whole seal instead.
//
// State lives per thread (N-API instance data) and keeps its capacity from seal to seal: fresh memory costs a page
// fault per 4 KiB on its first write, which is what a seal would otherwise pay for every array here.
#include <node_api.h>

#include "napi-util.h"
#include "lines.h"
#include "patterns.h"
#include "payload.h"
#include "terms.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using strata::typedArray;
using strata::uint32Array;

constexpr uint32_t kFnvBasis = 0x811c9dc5u;
constexpr uint32_t kFnvPrime = 0x01000193u;

struct Tables {
  uint8_t token[256];
  uint8_t lower[256];
  Tables() {
    for (int c = 0; c < 256; c++) {
      token[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      lower[c] = (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : static_cast<uint8_t>(c);
    }
  }
};
const Tables kT;

// Equal bytes, for the short strings terms are (a library memcmp call costs more than the compare).
inline bool sameBytes(const char* a, const char* b, uint32_t len) {
  for (uint32_t k = 0; k < len; k++)
    if (a[k] != b[k]) return false;
  return true;
}

// Open-addressing set of byte strings, numbered in order of insertion: terms (with their hashes kept for the
// TypeScript table that takes them over) and keyword values. A slot holds the hash beside the id, so a probe
// reads the term's bytes only when the hashes match.
struct Interner {
  struct Slot {
    uint32_t hash;
    uint32_t idPlus1;
    uint32_t start;
    uint32_t len;
  };
  std::vector<uint32_t> hashes;
  std::vector<uint32_t> starts{0};
  std::vector<char> bytes;
  std::vector<Slot> slots;
  uint32_t mask = 0;

  void reset() {
    hashes.clear();
    starts.assign(1, 0);
    bytes.clear();
    slots.assign(2048, Slot{0, 0, 0, 0});
    mask = 2047;
  }
  uint32_t size() const { return static_cast<uint32_t>(hashes.size()); }

  // The id of `s[0, len)`, or UINT32_MAX with `*slotOut` the empty slot where it would go.
  uint32_t find(const char* s, uint32_t len, uint32_t h, uint32_t* slotOut) const {
    uint32_t slot = h & mask;
    for (;;) {
      const Slot& sl = slots[slot];
      if (sl.idPlus1 == 0) break;
      if (sl.hash == h && sl.len == len && sameBytes(&bytes[sl.start], s, len)) return sl.idPlus1 - 1;
      slot = (slot + 1) & mask;
    }
    *slotOut = slot;
    return UINT32_MAX;
  }

  uint32_t insert(const char* s, uint32_t len, uint32_t h, uint32_t slot) {
    uint32_t id = size();
    uint32_t start = static_cast<uint32_t>(bytes.size());
    hashes.push_back(h);
    bytes.insert(bytes.end(), s, s + len);
    starts.push_back(static_cast<uint32_t>(bytes.size()));
    slots[slot] = Slot{h, id + 1, start, len};
    if (size() * 2 > mask) rehash();
    return id;
  }

  // Asks for the slot where a probe for `h` starts, and (when the hash matches) the bytes it would compare: a
  // value's tokens are hashed first, these loads issued for all of them, then interned, so that their cache
  // misses overlap instead of coming one after the other.
  void prefetchSlot(uint32_t h) const { __builtin_prefetch(&slots[h & mask]); }
  void prefetchBytes(uint32_t h) const {
    const Slot& sl = slots[h & mask];
    if (sl.hash == h) __builtin_prefetch(bytes.data() + sl.start);
  }

  uint32_t intern(const char* s, uint32_t len, uint32_t h) {
    uint32_t slot = 0;
    uint32_t id = find(s, len, h, &slot);
    return id != UINT32_MAX ? id : insert(s, len, h, slot);
  }

  void rehash() {
    uint32_t cap = (mask + 1) * 2;
    slots.assign(cap, Slot{0, 0, 0, 0});
    mask = cap - 1;
    for (uint32_t id = 0; id < size(); id++) {
      uint32_t slot = hashes[id] & mask;
      while (slots[slot].idPlus1 != 0) slot = (slot + 1) & mask;
      slots[slot] = Slot{hashes[id], id + 1, starts[id], starts[id + 1] - starts[id]};
    }
  }
};

// A growable array of uint32 that keeps its memory from seal to seal and is written through a raw pointer (a
// vector's push_back checks capacity once per element; this checks once per value).
struct U32s {
  std::vector<uint32_t> v;
  size_t n = 0;
  void clear() { n = 0; }
  uint32_t* reserveMore(size_t more) {
    if (n + more > v.size()) v.resize(std::max(v.size() * 2, n + more + 1024));
    return v.data() + n;
  }
};

struct Field {
  std::string name;
  Interner terms;
  U32s pairTerm, pairDoc, pairPos;
  // The value being tokenized, lower-cased, and its tokens.
  struct Span {
    uint32_t start, len, hash;
  };
  std::vector<char> lowered;
  std::vector<Span> spans;
  std::vector<uint32_t> from, to, keywordOrds, presence;
  std::vector<double> numbers;
  bool hasNumbers = false;
  bool strings = false;
  bool keywordOn = true;
  Interner keyword;
  uint32_t maxKeywordValues = 0;
  int64_t lastDoc = -1;

  void reset(std::string n, uint32_t docs, uint32_t maxKeywords) {
    name = std::move(n);
    maxKeywordValues = maxKeywords;
    terms.reset();
    keyword.reset();
    pairTerm.clear();
    pairDoc.clear();
    pairPos.clear();
    from.assign(docs, 0);
    to.assign(docs, 0);
    keywordOrds.assign(docs, 0);
    presence.assign((docs + 31) / 32, 0);
    numbers.clear();
    hasNumbers = false;
    strings = false;
    keywordOn = true;
    lastDoc = -1;
  }

  void mark(uint32_t doc) { presence[doc >> 5] |= 1u << (doc & 31); }

  void number(uint32_t doc, double v) {
    mark(doc);
    if (!hasNumbers) {
      numbers.assign(from.size(), std::nan(""));
      hasNumbers = true;
    }
    numbers[doc] = v;
  }

  // A string value (decoded, ASCII): its keyword ordinal, then its tokens, lower-cased.
  void string(uint32_t doc, const char* s, uint32_t len) {
    mark(doc);
    strings = true;
    if (keywordOn) {
      uint32_t h = kFnvBasis;
      for (uint32_t i = 0; i < len; i++) h = (h ^ static_cast<uint8_t>(s[i])) * kFnvPrime;
      uint32_t slot = 0;
      uint32_t id = keyword.find(s, len, h, &slot);
      // A new value past the limit turns the keyword column off for the field, as a Map that fills up would.
      if (id == UINT32_MAX && keyword.size() >= maxKeywordValues) keywordOn = false;
      else keywordOrds[doc] = (id != UINT32_MAX ? id : keyword.insert(s, len, h, slot)) + 1;
    }
    // At most one token per two bytes.
    size_t most = len / 2 + 1;
    uint32_t* pt = pairTerm.reserveMore(most);
    uint32_t* pd = pairDoc.reserveMore(most);
    uint32_t* pp = pairPos.reserveMore(most);
    if (lowered.size() < len) lowered.resize(len);
    if (spans.size() < most) spans.resize(most);
    char* low = lowered.data();
    Span* sp = spans.data();
    from[doc] = static_cast<uint32_t>(pairTerm.n);
    // Tokenize, lower-casing into `lowered` at the same offsets.
    uint32_t count = 0;
    uint32_t i = 0;
    while (i < len) {
      if (!kT.token[static_cast<uint8_t>(s[i])]) {
        i++;
        continue;
      }
      uint32_t start = i;
      uint32_t h = kFnvBasis;
      for (; i < len; i++) {
        uint8_t c = static_cast<uint8_t>(s[i]);
        if (!kT.token[c]) break;
        c = kT.lower[c];
        h = (h ^ c) * kFnvPrime;
        low[i] = static_cast<char>(c);
      }
      sp[count++] = Span{start, i - start, h};
      terms.prefetchSlot(h);
    }
    for (uint32_t t = 0; t < count; t++) terms.prefetchBytes(sp[t].hash);
    for (uint32_t t = 0; t < count; t++) {
      pt[t] = terms.intern(low + sp[t].start, sp[t].len, sp[t].hash);
      pd[t] = doc;
      pp[t] = t;
    }
    pairTerm.n += count;
    pairDoc.n += count;
    pairPos.n += count;
    to[doc] = static_cast<uint32_t>(pairTerm.n);
  }

};

// One thread's state: fields of the last scan (kept with their capacity for the next one), and its ids.
struct State {
  std::vector<Field*> pool;
  uint32_t used = 0;
  std::unordered_map<std::string, uint32_t> byName;
  std::vector<uint32_t> idDocs;
  std::string idBytes;
  std::vector<uint32_t> idStarts;
  std::string value, key;
  uint32_t maxKeywordValues = 0;
  ~State() {
    for (Field* f : pool) delete f;
  }

  Field& field(const std::string& name, uint32_t docs, uint32_t* index) {
    auto it = byName.find(name);
    if (it != byName.end()) {
      *index = it->second;
      return *pool[it->second];
    }
    if (used == pool.size()) pool.push_back(new Field());
    Field& f = *pool[used];
    f.reset(name, docs, maxKeywordValues);
    byName.emplace(name, used);
    *index = used++;
    return f;
  }
};

// Thrown (as a value, never across N-API) when the doc holds something only the TypeScript path decides.
struct Unexpected {};

inline bool isWs(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool isNumberByte(int c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

int hexDigit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The JSON string whose text starts at b[i] (after its opening quote), decoded into `out` when it has escapes;
// returns the index of its closing quote. `raw` is set when `out` was not needed (the bytes are b[i, quote)).
size_t readString(const uint8_t* b, size_t i, size_t end, std::string& out, bool* raw) {
  size_t j = i;
  while (j < end && b[j] != '"' && b[j] != '\\') {
    if (b[j] >= 0x80) throw Unexpected();
    j++;
  }
  if (j >= end) throw Unexpected();
  if (b[j] == '"') {
    *raw = true;
    return j;
  }
  *raw = false;
  out.assign(reinterpret_cast<const char*>(b + i), j - i);
  while (j < end) {
    uint8_t c = b[j];
    if (c == '"') return j;
    if (c >= 0x80) throw Unexpected();
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      j++;
      continue;
    }
    if (j + 1 >= end) throw Unexpected();
    uint8_t e = b[j + 1];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        if (j + 5 >= end) throw Unexpected();
        int cp = 0;
        for (int k = 2; k < 6; k++) {
          int d = hexDigit(b[j + k]);
          if (d < 0) throw Unexpected();
          cp = cp * 16 + d;
        }
        if (cp >= 0x80) throw Unexpected();
        out.push_back(static_cast<char>(cp));
        j += 6;
        continue;
      }
      default: throw Unexpected();
    }
    j += 2;
  }
  throw Unexpected();
}

inline size_t skipWs(const uint8_t* b, size_t i, size_t end) {
  while (i < end && isWs(b[i])) i++;
  return i;
}

// One doc, `b[from, end)`: Collector.scan's definition.
void scanDoc(State& st, const uint8_t* b, size_t from, size_t end, uint32_t doc, uint32_t docs, std::vector<uint32_t>& lastKey) {
  size_t i = skipWs(b, from, end);
  if (i >= end || b[i] != '{') throw Unexpected();
  i = skipWs(b, i + 1, end);
  if (i < end && b[i] == '}') {
    if (skipWs(b, i + 1, end) != end) throw Unexpected();
    return;
  }
  for (size_t k = 0;; k++) {
    if (i >= end || b[i] != '"') throw Unexpected();
    bool raw = false;
    size_t ke = readString(b, i + 1, end, st.key, &raw);
    const char* kp = raw ? reinterpret_cast<const char*>(b + i + 1) : st.key.data();
    size_t kl = raw ? ke - (i + 1) : st.key.size();
    // Docs mostly repeat the keys of the doc before, in the same order.
    uint32_t index = UINT32_MAX;
    if (k < lastKey.size()) {
      Field& f = *st.pool[lastKey[k]];
      if (f.name.size() == kl && std::memcmp(f.name.data(), kp, kl) == 0) index = lastKey[k];
    }
    if (index == UINT32_MAX) {
      st.field(std::string(kp, kl), docs, &index);
      if (k < lastKey.size()) lastKey[k] = index;
      else lastKey.push_back(index);
    }
    Field& f = *st.pool[index];
    if (f.lastDoc == doc) throw Unexpected();
    f.lastDoc = doc;
    bool isId = kl == 3 && std::memcmp(kp, "_id", 3) == 0;
    i = skipWs(b, ke + 1, end);
    if (i >= end || b[i] != ':') throw Unexpected();
    i = skipWs(b, i + 1, end);
    if (i >= end) throw Unexpected();
    uint8_t c = b[i];
    if (c == '"') {
      bool vraw = false;
      size_t ve = readString(b, i + 1, end, st.value, &vraw);
      const char* vp = vraw ? reinterpret_cast<const char*>(b + i + 1) : st.value.data();
      uint32_t vl = static_cast<uint32_t>(vraw ? ve - (i + 1) : st.value.size());
      f.string(doc, vp, vl);
      if (isId) {
        st.idDocs.push_back(doc);
        st.idBytes.append(vp, vl);
        st.idStarts.push_back(static_cast<uint32_t>(st.idBytes.size()));
      }
      i = ve + 1;
    } else if ((c >= '0' && c <= '9') || c == '-') {
      size_t ne = i + 1;
      while (ne < end && isNumberByte(b[ne])) ne++;
      double v = 0;
      auto r = std::from_chars(reinterpret_cast<const char*>(b + i), reinterpret_cast<const char*>(b + ne), v);
      // Anything from_chars does not take whole (or takes out of range) is left to Number().
      if (r.ec != std::errc() || r.ptr != reinterpret_cast<const char*>(b + ne)) throw Unexpected();
      f.number(doc, v);
      i = ne;
    } else if (c == 't' && i + 3 < end && b[i + 1] == 'r' && b[i + 2] == 'u' && b[i + 3] == 'e') {
      f.string(doc, "true", 4);
      i += 4;
    } else if (c == 'f' && i + 4 < end && b[i + 1] == 'a' && b[i + 2] == 'l' && b[i + 3] == 's' && b[i + 4] == 'e') {
      f.string(doc, "false", 5);
      i += 5;
    } else {
      throw Unexpected();
    }
    i = skipWs(b, i, end);
    if (i < end && b[i] == ',') {
      i = skipWs(b, i + 1, end);
      continue;
    }
    if (i < end && b[i] == '}' && skipWs(b, i + 1, end) == end) return;
    throw Unexpected();
  }
}

// ---- N-API glue ----

State* state(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<State*>(data);
}

napi_value latin1(napi_env env, const char* s, size_t n) {
  napi_value out;
  if (napi_create_string_latin1(env, s, n, &out) != napi_ok) return nullptr;
  return out;
}

// Newline-joined, for one string the caller splits: cheaper than a string per element made through N-API.
napi_value joined(napi_env env, const Interner& t) {
  std::string s;
  s.reserve(t.bytes.size() + t.size());
  for (uint32_t id = 0; id < t.size(); id++) {
    if (id > 0) s.push_back('\n');
    s.append(&t.bytes[t.starts[id]], t.starts[id + 1] - t.starts[id]);
  }
  return latin1(env, s.data(), s.size());
}

void setProp(napi_env env, napi_value obj, const char* name, napi_value v) { napi_set_named_property(env, obj, name, v); }

// scan(bufs: Uint8Array[], buf, start, end: Uint32Array, n, maxKeywordValues): the fields found (see index.ts),
// or null when the TypeScript path must decide.
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  uint32_t n = 0;
  State& st = *state(env);
  CHECK(napi_get_value_uint32(env, argv[4], &n));
  CHECK(napi_get_value_uint32(env, argv[5], &st.maxKeywordValues));
  uint32_t* bufIdx;
  uint32_t* starts;
  uint32_t* ends;
  size_t len;
  if (!typedArray(env, argv[1], napi_uint32_array, reinterpret_cast<void**>(&bufIdx), &len) || len < n ||
      !typedArray(env, argv[2], napi_uint32_array, reinterpret_cast<void**>(&starts), &len) || len < n ||
      !typedArray(env, argv[3], napi_uint32_array, reinterpret_cast<void**>(&ends), &len) || len < n) {
    napi_throw_type_error(env, nullptr, "scan: buf, start and end must be Uint32Arrays of at least n elements");
    return nullptr;
  }
  uint32_t nBufs = 0;
  CHECK(napi_get_array_length(env, argv[0], &nBufs));
  std::vector<const uint8_t*> bufs(nBufs);
  std::vector<size_t> bufLens(nBufs);
  for (uint32_t k = 0; k < nBufs; k++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[0], k, &v));
    void* data = nullptr;
    if (!typedArray(env, v, napi_uint8_array, &data, &bufLens[k])) {
      napi_throw_type_error(env, nullptr, "scan: bufs must hold Uint8Arrays");
      return nullptr;
    }
    bufs[k] = static_cast<const uint8_t*>(data);
  }
  st.used = 0;
  st.byName.clear();
  st.idDocs.clear();
  st.idBytes.clear();
  st.idStarts.assign(1, 0);
  std::vector<uint32_t> lastKey;
  try {
    for (uint32_t doc = 0; doc < n; doc++) {
      uint32_t k = bufIdx[doc];
      if (k >= nBufs || starts[doc] > ends[doc] || ends[doc] > bufLens[k]) {
        napi_throw_range_error(env, nullptr, "scan: a doc's bytes lie outside its buffer");
        return nullptr;
      }
      scanDoc(st, bufs[k], starts[doc], ends[doc], doc, n, lastKey);
    }
  } catch (const Unexpected&) {
    napi_value nul;
    CHECK(napi_get_null(env, &nul));
    return nul;
  } catch (const std::exception& e) {
    // Out of memory, say: an error for the seal to report, never an exception across N-API (which would abort).
    napi_throw_error(env, nullptr, (std::string("the compiled collector failed: ") + e.what()).c_str());
    return nullptr;
  }
  napi_value out, fields, ids;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_array_with_length(env, st.used, &fields));
  for (uint32_t k = 0; k < st.used; k++) {
    Field& f = *st.pool[k];
    napi_value o, v;
    CHECK(napi_create_object(env, &o));
    setProp(env, o, "name", latin1(env, f.name.data(), f.name.size()));
    setProp(env, o, "terms", joined(env, f.terms));
    setProp(env, o, "termCount", (napi_create_uint32(env, f.terms.size(), &v), v));
    setProp(env, o, "hashes", uint32Array(env, f.terms.hashes.data(), f.terms.size()));
    setProp(env, o, "pairs", (napi_create_uint32(env, static_cast<uint32_t>(f.pairTerm.n), &v), v));
    setProp(env, o, "strings", (napi_get_boolean(env, f.strings, &v), v));
    setProp(env, o, "numbers", (napi_get_boolean(env, f.hasNumbers, &v), v));
    if (f.keywordOn) {
      // Values may hold any ASCII byte, newlines included: one string and where each value starts in it.
      setProp(env, o, "keyword", latin1(env, f.keyword.bytes.data(), f.keyword.bytes.size()));
      setProp(env, o, "keywordStarts", uint32Array(env, f.keyword.starts.data(), f.keyword.starts.size()));
    } else {
      napi_get_null(env, &v);
      setProp(env, o, "keyword", v);
      setProp(env, o, "keywordStarts", v);
    }
    CHECK(napi_set_element(env, fields, k, o));
  }
  setProp(env, out, "fields", fields);
  CHECK(napi_create_array_with_length(env, st.idDocs.size() * 2, &ids));
  for (size_t k = 0; k < st.idDocs.size(); k++) {
    napi_value d;
    CHECK(napi_create_uint32(env, st.idDocs[k], &d));
    CHECK(napi_set_element(env, ids, static_cast<uint32_t>(2 * k), d));
    CHECK(napi_set_element(env, ids, static_cast<uint32_t>(2 * k + 1), latin1(env, st.idBytes.data() + st.idStarts[k], st.idStarts[k + 1] - st.idStarts[k])));
  }
  setProp(env, out, "ids", ids);
  return out;
}

bool copyInto(napi_env env, napi_value dst, napi_typedarray_type type, const void* src, size_t n, size_t elem) {
  void* data = nullptr;
  size_t len = 0;
  if (!typedArray(env, dst, type, &data, &len) || len < n) return false;
  if (n > 0) std::memcpy(data, src, n * elem);
  return true;
}

// fill(field, pairTerm, pairDoc, pairPos, from, to, presence, keywordOrds | null, numbers | null): copies the last
// scan's arrays of field `field` into the caller's (at least as long as the scan said).
napi_value Fill(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  uint32_t k = 0;
  CHECK(napi_get_value_uint32(env, argv[0], &k));
  State& st = *state(env);
  if (k >= st.used) {
    napi_throw_range_error(env, nullptr, "fill: no such field in the last scan");
    return nullptr;
  }
  Field& f = *st.pool[k];
  size_t pairs = f.pairTerm.n;
  bool ok = copyInto(env, argv[1], napi_uint32_array, f.pairTerm.v.data(), pairs, 4) &&
            copyInto(env, argv[2], napi_uint32_array, f.pairDoc.v.data(), pairs, 4) &&
            copyInto(env, argv[3], napi_uint32_array, f.pairPos.v.data(), pairs, 4) &&
            copyInto(env, argv[4], napi_uint32_array, f.from.data(), f.from.size(), 4) &&
            copyInto(env, argv[5], napi_uint32_array, f.to.data(), f.to.size(), 4) &&
            copyInto(env, argv[6], napi_uint32_array, f.presence.data(), f.presence.size(), 4);
  napi_valuetype t;
  if (ok && napi_typeof(env, argv[7], &t) == napi_ok && t != napi_null) ok = copyInto(env, argv[7], napi_uint32_array, f.keywordOrds.data(), f.keywordOrds.size(), 4);
  if (ok && napi_typeof(env, argv[8], &t) == napi_ok && t != napi_null) ok = f.hasNumbers && copyInto(env, argv[8], napi_float64_array, f.numbers.data(), f.numbers.size(), 8);
  if (!ok) {
    napi_throw_type_error(env, nullptr, "fill: an output array has the wrong type or is too short");
    return nullptr;
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  State* st = new State();
  napi_set_instance_data(env, st, [](napi_env, void* data, void*) { delete static_cast<State*>(data); }, nullptr);
  strata::defineFunctions(env, exports, {{"scan", Scan}, {"fill", Fill}});
  strata::defineTerms(env, exports);
  strata::definePatterns(env, exports);
  strata::defineLines(env, exports);
  strata::definePayload(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
