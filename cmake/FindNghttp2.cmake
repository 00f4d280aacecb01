# Finds libnghttp2 (Debian libnghttp2-dev: 1.52 on Debian 12, 1.64 on Debian 13) and exports Nghttp2::Nghttp2.
# The engine uses only the API both releases have (no nghttp2_ssize / *2 functions, which arrived in 1.60).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_NGHTTP2 QUIET libnghttp2)
endif()
find_path(Nghttp2_INCLUDE_DIR nghttp2/nghttp2.h HINTS ${PC_NGHTTP2_INCLUDE_DIRS})
# Always the shared library, also for the wheel (cmake/StaticDeps.cmake): Debian 12's libnghttp2.a is not
# position-independent (nghttp2_map.o refers to stderr with R_X86_64_PC32), so it cannot go into the extension;
# auditwheel copies libnghttp2.so.14 into the wheel instead.
find_library(Nghttp2_LIBRARY NAMES nghttp2 HINTS ${PC_NGHTTP2_LIBRARY_DIRS})
set(Nghttp2_VERSION "${PC_NGHTTP2_VERSION}")
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Nghttp2 REQUIRED_VARS Nghttp2_LIBRARY Nghttp2_INCLUDE_DIR VERSION_VAR Nghttp2_VERSION)
if(Nghttp2_FOUND AND NOT TARGET Nghttp2::Nghttp2)
  add_library(Nghttp2::Nghttp2 UNKNOWN IMPORTED)
  set_target_properties(Nghttp2::Nghttp2 PROPERTIES IMPORTED_LOCATION "${Nghttp2_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${Nghttp2_INCLUDE_DIR}")
endif()
mark_as_advanced(Nghttp2_INCLUDE_DIR Nghttp2_LIBRARY)
