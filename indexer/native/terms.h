// The dictionary and postings writer (terms.cc), defined on the addon's exports beside the collector.
#pragma once
#include <node_api.h>

namespace strata {
void defineTerms(napi_env env, napi_value exports);
}
