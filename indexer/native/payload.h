// The log payload encoder (payload.cc), defined on the addon's exports beside the collector.
#pragma once
#include <node_api.h>

namespace strata {
void definePayload(napi_env env, napi_value exports);
}
