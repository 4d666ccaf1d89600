# SPDX-License-Identifier: Apache-2.0
# The node-gyp build (what node-gyp-build compiles where no prebuild matches). Same sources
# and defines as CMakeLists.txt; scripts/check-native-sources.mjs checks that.
{
  "targets": [
    {
      "target_name": "tfexport",
      "sources": [
        "native/kernels/crc32c.cc",
        "native/kernels/dispatch.cc",
        "native/kernels/f16.cc",
        "native/kernels/jobs.cc",
        "native/kernels/minmax.cc",
        "native/kernels/quant_affine.cc",
        "native/kernels/quant_symmetric.cc",
        "native/kernels/scale_channels.cc",
        "native/kernels/transpose.cc",
        "native/kernels/x86/crc32c_sse42.cc",
        "native/kernels/x86/f16_x86.cc",
        "native/kernels/x86/minmax_x86.cc",
        "native/kernels/x86/quant_affine_x86.cc",
        "native/kernels/x86/quant_int8_x86.cc",
        "native/kernels/x86/scale_channels_x86.cc",
        "native/kernels/x86/tables_x86.cc",
        "native/kernels/arm/crc32c_neon.cc",
        "native/kernels/arm/f16_neon.cc",
        "native/kernels/arm/minmax_neon.cc",
        "native/kernels/arm/quant_affine_neon.cc",
        "native/kernels/arm/quant_int8_neon.cc",
        "native/kernels/arm/tables_arm.cc",
        "native/wire/graphdef_wire.cc",
        "native/wire/snappy.cc",
        "native/wire/sstable.cc",
        "native/addon.cc",
        "native/binding/cpu_binding.cc",
        "native/binding/errors.cc",
        "native/binding/job.cc",
        "native/binding/kernels_binding.cc",
        "native/binding/wire_binding.cc",
        "native/binding/sstable_binding.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/kernels"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/fp:strict"] }
      }
    }
  ]
}
