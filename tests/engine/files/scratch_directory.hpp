#pragma once
// A temporary directory for filesystem tests: made with mkdtemp, removed with everything in it.

#include <stdlib.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string_view>

namespace engine::files::testing {

inline void write_file(const std::filesystem::path &path, std::string_view content) {
    std::ofstream(path, std::ios::binary) << content;
}

class ScratchDirectory {
  public:
    ScratchDirectory() {
        char pattern[] = "/tmp/engine_files_test.XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDirectory(const ScratchDirectory &) = delete;
    ScratchDirectory &operator=(const ScratchDirectory &) = delete;

    const std::filesystem::path &path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

} // namespace engine::files::testing
