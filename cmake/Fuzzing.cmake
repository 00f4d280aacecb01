# -DURING_FUZZ=ON (with CMAKE_CXX_COMPILER=clang++, in its own build directory; scripts/fuzz sets it up):
# everything is built with libFuzzer's coverage hooks and AddressSanitizer + UndefinedBehaviorSanitizer, and
# tests/fuzz adds one libFuzzer binary per target. Only the fuzz binaries link libFuzzer's main
# (-fsanitize=fuzzer); the engine library gets the hooks alone (fuzzer-no-link).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "URING_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ "
                      "-DCMAKE_C_COMPILER=clang, as scripts/fuzz does")
endif()
# UB is fatal, not a line in the log: the fuzzer must stop and keep the input.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
message(STATUS "Fuzzing build: libFuzzer + address,undefined")
