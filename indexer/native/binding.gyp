{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": ["collect.cc", "terms.cc", "patterns.cc", "lines.cc", "payload.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
