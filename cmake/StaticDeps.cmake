# URING_GRANIAN_STATIC_DEPS=ON (scripts/wheel): the extension carries its libraries inside instead of needing
# Debian's -dev packages' shared objects at run time. What each dependency becomes, on Debian 12 and 13:
#  - liburing: liburing.a (liburing-dev ships it on both), see FindLibUring.cmake;
#  - llhttp: compiled from node-llhttp's sources on Debian 12 (static already); on Debian 13 libllhttp-dev's
#    static target when its CMake config exports one, else the shared one, which auditwheel bundles;
#  - fmt: libfmt-dev has no .a on either release, so fmt's own header-only target (fmt::fmt-header-only) compiles
#    it into the engine instead;
#  - zlib: libz.a (zlib1g-dev), through CMake's FindZLIB switch below;
#  - nghttp2: stays shared, and auditwheel bundles it (Debian 12's libnghttp2.a is not PIC), see FindNghttp2.cmake;
#  - libstdc++ and libgcc: linked statically (pybridge/CMakeLists.txt), so the wheel needs nothing newer than the
#    glibc its manylinux tag names; a GCC runtime older than the build machine's would otherwise refuse to load it;
#  - OpenSSL: stays shared; auditwheel copies libssl/libcrypto into the wheel (or leaves them to the system with
#    scripts/wheel --system-openssl).
if(URING_GRANIAN_STATIC_DEPS)
  set(URING_FMT_TARGET fmt::fmt-header-only)
  # CMake >= 3.24 (pip's cmake and Debian 12's 3.25 both are).
  set(ZLIB_USE_STATIC_LIBS ON)
  message(STATUS "Static dependencies: liburing, llhttp (where available), fmt (header-only), zlib, libstdc++")
else()
  set(URING_FMT_TARGET fmt::fmt)
endif()
