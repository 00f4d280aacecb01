#pragma once
// Files of known bytes for the senders' tests: byte i of every such file is pattern_byte(i), so any region
// that reaches a socket can be checked against pattern(offset, length).

#include <doctest/doctest.h>

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <string>

namespace engine::test {

inline char pattern_byte(std::size_t i) { return static_cast<char>('a' + i * 7 % 26); }

inline std::string pattern(std::size_t offset, std::size_t length) {
    std::string bytes;
    bytes.reserve(length);
    for (std::size_t i = offset; i < offset + length; ++i) bytes.push_back(pattern_byte(i));
    return bytes;
}

/// An unlinked temporary file of `size` pattern bytes (the caller owns the descriptor).
inline int pattern_file(std::size_t size) {
    char path[] = "/tmp/uring_granian_test.XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    const std::string bytes = pattern(0, size);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    return fd;
}

} // namespace engine::test
