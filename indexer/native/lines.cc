// RawLineReader (ingest/protocols/raw-line.ts) in C++, over a whole NDJSON body at a time: for each line, whether
// it is blank, must be decoded, or is a flat JSON object whose fields' bytes ingest can store as they are, and its
// timestamp. It answers exactly as that reader does (lines.test.ts), which is the definition; the one thing it leaves
// to the caller is a quoted `@timestamp`, whose text the caller parses (lib/record.ts parseTimestamp).
#include "lines.h"

#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "napi-util.h"

namespace strata {
namespace {

constexpr int32_t kBlank = -1;   // BLANK
constexpr int32_t kDecode = -2;  // DECODE

inline bool isWs(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool isDigit(uint8_t c) { return c >= '0' && c <= '9'; }
inline bool isHex(uint8_t c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

inline size_t skipWs(const uint8_t* b, size_t i, size_t end) {
  while (i < end && isWs(b[i])) i++;
  return i;
}

inline bool same(const uint8_t* b, size_t from, size_t end, const char* s, size_t n) { return end - from >= n && std::memcmp(b + from, s, n) == 0; }

// The first position from `i` holding a quote, a backslash or a control character (below 0x20), or `end`: 16
// bytes at a time where SSE2 is there, since string values are most of a line's bytes.
inline size_t nextSpecial(const uint8_t* b, size_t i, size_t end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below = _mm_set1_epi8(0x1f);
  for (; i + 16 <= end; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    // c <= 0x1f (unsigned) exactly when min(c, 0x1f) == c.
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), _mm_cmpeq_epi8(_mm_min_epu8(v, below), v));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < end && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) i++;
  return i;
}

// Whether `b[i, end)` is all ASCII, eight bytes at a time.
inline size_t firstNonAscii(const uint8_t* b, size_t i, size_t end) {
  for (; i + 8 <= end; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    if ((w & 0x8080808080808080ull) != 0) break;
  }
  while (i < end && b[i] < 0x80) i++;
  return i;
}

// The position after the closing quote of the JSON string whose text starts at `i`, or -1.
int64_t stringEnd(const uint8_t* b, size_t i, size_t end) {
  while (i < end) {
    i = nextSpecial(b, i, end);
    if (i >= end) break;
    const uint8_t c = b[i];
    if (c == '"') return static_cast<int64_t>(i + 1);
    if (c < 0x20) return -1;
    if (c == '\\') {
      if (i + 1 >= end) return -1;
      const uint8_t e = b[i + 1];
      if (e == 'u') {
        if (i + 6 > end) return -1;
        for (size_t k = i + 2; k < i + 6; k++)
          if (!isHex(b[k])) return -1;
        i += 6;
        continue;
      }
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

// The position after the JSON number at `i`, or -1 when it is not one or might not be a finite double.
int64_t numberEnd(const uint8_t* b, size_t i, size_t end) {
  if (b[i] == '-') i++;
  const size_t d0 = i;
  while (i < end && isDigit(b[i])) i++;
  if (i == d0 || (i - d0 > 1 && b[d0] == '0') || i - d0 > 300) return -1;
  if (i < end && b[i] == '.') {
    const size_t f0 = ++i;
    while (i < end && isDigit(b[i])) i++;
    if (i == f0) return -1;
  }
  if (i < end && (b[i] == 'e' || b[i] == 'E')) return -1;
  return static_cast<int64_t>(i);
}

bool reservedKey(const uint8_t* b, size_t from, size_t to) {
  const size_t n = to - from;
  return (n == 3 && std::memcmp(b + from, "_id", 3) == 0) || (n == 6 && std::memcmp(b + from, "_index", 6) == 0) ||
         (n == 9 && std::memcmp(b + from, "__proto__", 9) == 0) || (n == 10 && std::memcmp(b + from, "@timestamp", 10) == 0);
}

// Members from `i` (just after `{` or a `,`) through the closing brace: the position after it, or -1.
int64_t members(const uint8_t* b, size_t i, size_t end) {
  for (;;) {
    i = skipWs(b, i, end);
    if (i >= end || b[i] != '"') return -1;
    const size_t ks = ++i;
    while (i < end && b[i] != '"') {
      if (b[i] == '\\' || b[i] < 0x20) return -1;
      i++;
    }
    if (i == end || reservedKey(b, ks, i)) return -1;
    i = skipWs(b, i + 1, end);
    if (i >= end || b[i] != ':') return -1;
    i = skipWs(b, i + 1, end);
    if (i >= end) return -1;
    const uint8_t c = b[i];
    int64_t next;
    if (c == '"') next = stringEnd(b, i + 1, end);
    else if (c == '-' || isDigit(c)) next = numberEnd(b, i, end);
    else if (c == 't' && i + 4 <= end && std::memcmp(b + i, "true", 4) == 0) next = static_cast<int64_t>(i + 4);
    else if (c == 'f' && i + 5 <= end && std::memcmp(b + i, "false", 5) == 0) next = static_cast<int64_t>(i + 5);
    else return -1;
    if (next < 0) return -1;
    i = skipWs(b, static_cast<size_t>(next), end);
    if (i >= end) return -1;
    if (b[i] == '}') return static_cast<int64_t>(i + 1);
    if (b[i] != ',') return -1;
    i++;
  }
}

// Whether `b[from, end)` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool utf8(const uint8_t* b, size_t i, size_t end) {
  while (i < end) {
    const uint8_t c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07;
    else return false;
    for (size_t k = 1; k <= n; k++) {
      if (i + k >= end || (b[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

struct Line {
  int32_t start;    // the fields' JSON start, kBlank or kDecode
  double ts;        // epoch ms; NaN when the timestamp is the text b[tsFrom, tsTo) for the caller to parse
  uint32_t tsFrom, tsTo;
};

// RawLineReader.read over `b[from, end)`.
Line readLine(const uint8_t* b, size_t from, size_t end, double maxBytes, double nowMs) {
  Line out{kDecode, nowMs, 0, 0};
  if (static_cast<double>(end - from) > maxBytes) return out;
  size_t i = from;
  if (i == end) return out.start = kBlank, out;
  if (b[i] != '{') {
    i = skipWs(b, i, end);
    out.start = i == end ? kBlank : kDecode;
    return out;
  }
  size_t start;
  static const char kTsMember[] = "{\"@timestamp\":";
  constexpr size_t kTsLen = sizeof(kTsMember) - 1;
  if (end - i > kTsLen && std::memcmp(b + i, kTsMember, kTsLen) == 0) {
    i += kTsLen;
    if (b[i] == '"') {
      const size_t close = i + 1;
      size_t k = close;
      while (k < end && b[k] != '"') {
        if (b[k] == '\\' || b[k] < 0x20 || b[k] >= 0x80) return out;
        k++;
      }
      if (k == end || k - close > 64) return out;
      out.ts = __builtin_nan("");
      out.tsFrom = static_cast<uint32_t>(close);
      out.tsTo = static_cast<uint32_t>(k);
      i = k + 1;
    } else {
      size_t k = i;
      const bool negative = b[k] == '-';
      if (negative) k++;
      const size_t d0 = k;
      double v = 0;
      while (k < end && isDigit(b[k])) v = v * 10 + (b[k++] - '0');
      const size_t digits = k - d0;
      if (digits == 0 || digits > 15 || (digits > 1 && b[d0] == '0')) return out;
      if (k < end && (b[k] == '.' || b[k] == 'e' || b[k] == 'E')) return out;
      if (negative && v == 0) return out;
      out.ts = negative ? -v : v;
      i = k;
    }
    if (i < end && b[i] == '}') {
      if (i + 1 != end) return out;
      start = i;
      i++;
    } else if (i < end && b[i] == ',') {
      start = i + 1;
      const int64_t e = members(b, i + 1, end);
      if (e < 0) return out;
      i = static_cast<size_t>(e);
    } else {
      return out;
    }
  } else {
    out.ts = nowMs;
    start = i + 1;
    i = skipWs(b, i + 1, end);
    if (i < end && b[i] == '}') i++;
    else {
      const int64_t e = members(b, i, end);
      if (e < 0) return out;
      i = static_cast<size_t>(e);
    }
  }
  if (skipWs(b, i, end) != end) return out;
  const size_t k = firstNonAscii(b, from, end);
  if (k < end && !utf8(b, k, end)) return out;
  out.start = static_cast<int32_t>(start);
  return out;
}

// lines(body, from, maxBytes, nowMs, lineFrom, lineStop, start: Int32Array, ts: Float64Array, tsFrom, tsTo):
// see index.ts.
napi_value Lines(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  double from = 0, maxBytes = 0, nowMs = 0;
  if (argc < 10 || napi_get_value_double(env, argv[1], &from) != napi_ok || napi_get_value_double(env, argv[2], &maxBytes) != napi_ok ||
      napi_get_value_double(env, argv[3], &nowMs) != napi_ok) {
    napi_throw_type_error(env, nullptr, "lines: ten arguments expected: the body, then numbers from, maxBytes and nowMs");
    return nullptr;
  }
  void* a[10] = {};
  size_t len[10] = {};
  const napi_typedarray_type types[10] = {napi_uint8_array, napi_uint8_array, napi_uint8_array, napi_uint8_array, napi_uint32_array,
                                          napi_uint32_array, napi_int32_array, napi_float64_array, napi_uint32_array, napi_uint32_array};
  bool ok = typedArray(env, argv[0], types[0], &a[0], &len[0]);
  for (int k = 4; k < 10 && ok; k++) ok = typedArray(env, argv[k], types[k], &a[k], &len[k]);
  const size_t cap = ok ? len[4] : 0;
  for (int k = 5; k < 10 && ok; k++) ok = len[k] >= cap;
  if (!ok || len[0] > 0xffffffffu || !(from >= 0 && from <= static_cast<double>(len[0]))) {
    napi_throw_type_error(env, nullptr, "lines: the body must be a Uint8Array under 4 GiB and from within it; the outputs typed arrays of one length");
    return nullptr;
  }
  const auto* b = static_cast<const uint8_t*>(a[0]);
  const size_t n = len[0];
  auto* lineFrom = static_cast<uint32_t*>(a[4]);
  auto* lineStop = static_cast<uint32_t*>(a[5]);
  auto* start = static_cast<int32_t*>(a[6]);
  auto* ts = static_cast<double*>(a[7]);
  auto* tsFrom = static_cast<uint32_t*>(a[8]);
  auto* tsTo = static_cast<uint32_t*>(a[9]);
  size_t pos = static_cast<size_t>(from);
  size_t count = 0;
  while (pos < n && count < cap) {
    const void* found = std::memchr(b + pos, '\n', n - pos);
    const size_t nl = found == nullptr ? n : static_cast<size_t>(static_cast<const uint8_t*>(found) - b);
    size_t stop = nl;
    if (stop > pos && b[stop - 1] == '\r') stop--;
    const Line line = readLine(b, pos, stop, maxBytes, nowMs);
    lineFrom[count] = static_cast<uint32_t>(pos);
    lineStop[count] = static_cast<uint32_t>(stop);
    start[count] = line.start;
    ts[count] = line.ts;
    tsFrom[count] = line.tsFrom;
    tsTo[count] = line.tsTo;
    count++;
    pos = nl + 1;
  }
  napi_value out;
  CHECK(napi_create_uint32(env, static_cast<uint32_t>(count), &out));
  return out;
}

}  // namespace

void defineLines(napi_env env, napi_value exports) {
  defineFunctions(env, exports, {{"lines", Lines}});
}

}  // namespace strata
