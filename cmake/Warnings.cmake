# Warnings every project target opts into through uring_warnings (third-party C sources stay quiet).
add_library(uring_warnings INTERFACE)
# -Wnon-virtual-dtor is C++ only (gcc warns about it for the C test tool, tests/tools/no_io_uring.c).
target_compile_options(uring_warnings INTERFACE -Wall -Wextra -Wshadow $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>
                                                -Wno-missing-field-initializers)
option(URING_WERROR "Treat warnings as errors" OFF)
if(URING_WERROR)
  target_compile_options(uring_warnings INTERFACE -Werror)
endif()
