# SANITIZE=address,undefined (or -DURING_SANITIZE=...) instruments everything built after this point.
set(URING_SANITIZE "$ENV{SANITIZE}" CACHE STRING "Comma-separated sanitizers (address,undefined,thread)")
if(URING_SANITIZE)
  set(_san_flags "-fsanitize=${URING_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_options(${_san_flags})
  add_link_options("-fsanitize=${URING_SANITIZE}")
  message(STATUS "Sanitizers: ${URING_SANITIZE}")
endif()
