// The log payload's raw records in C++: for each, `ts \t { bytes \n` (indexer/log/frame.ts, encodePayloadInto), the
// timestamp in decimal as String(ts) spells a safe integer. Writing them one by one in TypeScript cost 0.7 µs a bench
// record on the main thread, most of it in making a view per record and in the digits.
#include "payload.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "napi-util.h"

namespace strata {
namespace {

// encodeRaw(out, at, bytes, ts: Float64Array, start, end: Uint32Array, n): the position after the last record.
napi_value EncodeRaw(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  double atIn = 0;
  uint32_t n = 0;
  void* a[6] = {};
  size_t len[6] = {};
  const bool ok = argc >= 7 && napi_get_value_double(env, argv[1], &atIn) == napi_ok && napi_get_value_uint32(env, argv[6], &n) == napi_ok &&
                  typedArray(env, argv[0], napi_uint8_array, &a[0], &len[0]) && typedArray(env, argv[2], napi_uint8_array, &a[2], &len[2]) &&
                  typedArray(env, argv[3], napi_float64_array, &a[3], &len[3]) && typedArray(env, argv[4], napi_uint32_array, &a[4], &len[4]) &&
                  typedArray(env, argv[5], napi_uint32_array, &a[5], &len[5]) && len[3] >= n && len[4] >= n && len[5] >= n;
  if (!ok || !(atIn >= 0 && atIn <= static_cast<double>(len[0]))) {
    napi_throw_type_error(env, nullptr, "encodeRaw: expected (out: Uint8Array, at within it, bytes: Uint8Array, ts: Float64Array, start, end: Uint32Array, n of each)");
    return nullptr;
  }
  auto* out = static_cast<uint8_t*>(a[0]);
  const size_t cap = len[0];
  const auto* bytes = static_cast<const uint8_t*>(a[2]);
  const auto* ts = static_cast<const double*>(a[3]);
  const auto* start = static_cast<const uint32_t*>(a[4]);
  const auto* end = static_cast<const uint32_t*>(a[5]);
  size_t at = static_cast<size_t>(atIn);
  for (uint32_t i = 0; i < n; i++) {
    const double t = ts[i];
    if (!(std::fabs(t) <= 9007199254740991.0) || t != std::trunc(t) || (t == 0 && std::signbit(t)) || start[i] > end[i] || end[i] > len[2]) {
      napi_throw_range_error(env, nullptr, "encodeRaw: a timestamp that is not a safe integer, or a record outside its bytes");
      return nullptr;
    }
    char digits[24];
    uint64_t v = static_cast<uint64_t>(std::fabs(t));
    size_t d = 0;
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    const size_t body = end[i] - start[i];
    if (at + (t < 0) + d + 3 + body > cap) {
      napi_throw_range_error(env, nullptr, "encodeRaw: the records do not fit in the output");
      return nullptr;
    }
    if (t < 0) out[at++] = '-';
    while (d > 0) out[at++] = static_cast<uint8_t>(digits[--d]);
    out[at++] = '\t';
    out[at++] = '{';
    std::memcpy(out + at, bytes + start[i], body);
    at += body;
    out[at++] = '\n';
  }
  napi_value result;
  CHECK(napi_create_double(env, static_cast<double>(at), &result));
  return result;
}

}  // namespace

void definePayload(napi_env env, napi_value exports) {
  defineFunctions(env, exports, {{"encodeRaw", EncodeRaw}});
}

}  // namespace strata
