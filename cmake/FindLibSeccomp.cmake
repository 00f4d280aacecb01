# Finds libseccomp (Debian libseccomp-dev, 2.5 on Debian 12, 2.6 on 13) and exports LibSeccomp::LibSeccomp.
# Only the test launcher tests/tools/no_io_uring.c uses it; the engine itself never installs filters.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_LIBSECCOMP QUIET libseccomp)
endif()
find_path(LibSeccomp_INCLUDE_DIR seccomp.h HINTS ${PC_LIBSECCOMP_INCLUDE_DIRS})
find_library(LibSeccomp_LIBRARY NAMES seccomp HINTS ${PC_LIBSECCOMP_LIBRARY_DIRS})
set(LibSeccomp_VERSION "${PC_LIBSECCOMP_VERSION}")
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibSeccomp REQUIRED_VARS LibSeccomp_LIBRARY LibSeccomp_INCLUDE_DIR
                                  VERSION_VAR LibSeccomp_VERSION)
if(LibSeccomp_FOUND AND NOT TARGET LibSeccomp::LibSeccomp)
  add_library(LibSeccomp::LibSeccomp UNKNOWN IMPORTED)
  set_target_properties(LibSeccomp::LibSeccomp PROPERTIES IMPORTED_LOCATION "${LibSeccomp_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${LibSeccomp_INCLUDE_DIR}")
endif()
mark_as_advanced(LibSeccomp_INCLUDE_DIR LibSeccomp_LIBRARY)
