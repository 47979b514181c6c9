# The Outrider native addon for node-gyp (npm run build:native:gyp). The
# normal build is cmake-js from native/CMakeLists.txt; both take their source
# lists from scripts/native-sources.js (native/sources.txt), so they compile the
# same files. Output: build/Release/outrider_native.node (production) and
# build/Release/outrider_native_testing.node (test and benchmark harnesses).
{
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native/src"
    ],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_DISABLE_CPP_EXCEPTIONS",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
    ],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror"],
    "cflags_cc!": ["-std=gnu++17"],
    "libraries": ["-lz", "-lpthread"]
  },
  "targets": [
    {
      "target_name": "outrider_native",
      "sources": ["<!@(node scripts/native-sources.js --all)"]
    },
    {
      "target_name": "outrider_native_testing",
      "sources": ["<!@(node scripts/native-sources.js --cores)", "<!@(node scripts/native-sources.js --testing)"]
    }
  ]
}
