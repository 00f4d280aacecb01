#include "files/file_opener.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>

#include "scratch_directory.hpp"

using engine::files::open_beneath;
using engine::files::open_servable_file;
using engine::files::OpenedFile;
using engine::files::OpenStatus;
using engine::files::testing::ScratchDirectory;
using engine::files::testing::write_file;
namespace fs = std::filesystem;

namespace {

/// root/ (opened O_PATH as the server does) beside outside.txt.
struct RootFixture {
    ScratchDirectory scratch;
    fs::path root = scratch.path() / "root";
    int root_fd = -1;

    RootFixture() {
        fs::create_directories(root / "dir");
        write_file(root / "file.txt", "abc");
        write_file(root / "dir" / "index.html", "<p>");
        write_file(scratch.path() / "outside.txt", "secret");
        root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(root_fd >= 0);
    }
    ~RootFixture() { close(root_fd); }
};

/// Closes an opened result so each check leaves no descriptor behind.
OpenedFile closing(OpenedFile file) {
    if (file.fd >= 0) close(file.fd);
    return file;
}

} // namespace

TEST_CASE("open_beneath: stays below the directory") {
    RootFixture fixture;
    int fd = open_beneath(fixture.root_fd, "file.txt");
    REQUIRE(fd >= 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
    close(fd);

    CHECK(open_beneath(fixture.root_fd, "../outside.txt") == -EXDEV);
    CHECK(open_beneath(fixture.root_fd, (fixture.scratch.path() / "outside.txt").c_str()) == -EXDEV);
    CHECK(open_beneath(fixture.root_fd, "missing") == -ENOENT);
    CHECK(open_beneath(fixture.root_fd, "file.txt/x") == -ENOTDIR);
    SUBCASE("symlinks are followed only while they stay inside") {
        fs::create_symlink("../outside.txt", fixture.root / "out");
        fs::create_symlink("dir/index.html", fixture.root / "in");
        CHECK(open_beneath(fixture.root_fd, "out") == -EXDEV);
        int inside = open_beneath(fixture.root_fd, "in");
        CHECK(inside >= 0);
        if (inside >= 0) close(inside);
    }
    SUBCASE("a symlink loop") {
        fs::create_symlink("loop_b", fixture.root / "loop_a");
        fs::create_symlink("loop_a", fixture.root / "loop_b");
        CHECK(open_beneath(fixture.root_fd, "loop_a") == -ELOOP);
    }
}

TEST_CASE("open_servable_file") {
    RootFixture fixture;
    SUBCASE("a regular file") {
        OpenedFile file = closing(open_servable_file(fixture.root_fd, "file.txt", "index.html"));
        CHECK(file.status == OpenStatus::opened);
        CHECK(file.info.st_size == 3);
        CHECK_FALSE(file.is_directory_index);
    }
    SUBCASE("a directory becomes its index") {
        OpenedFile file = closing(open_servable_file(fixture.root_fd, "dir", "index.html"));
        CHECK(file.status == OpenStatus::opened);
        CHECK(file.is_directory_index);
        CHECK(S_ISREG(file.info.st_mode));
        CHECK(file.info.st_size == 3);
    }
    SUBCASE("the root has no index") {
        OpenedFile file = closing(open_servable_file(fixture.root_fd, "", "index.html"));
        CHECK(file.status == OpenStatus::not_found);
        CHECK(file.error_number == ENOENT);
    }
    SUBCASE("directories without index configured") {
        CHECK(closing(open_servable_file(fixture.root_fd, "dir", "")).status == OpenStatus::not_found);
    }
    SUBCASE("special files are not servable") {
        REQUIRE(mkfifo((fixture.root / "pipe").c_str(), 0600) == 0);
        OpenedFile file = closing(open_servable_file(fixture.root_fd, "pipe", "index.html"));
        CHECK(file.status == OpenStatus::not_found);
        CHECK(file.error_number == 0);
    }
    SUBCASE("leaving the root is forbidden") {
        fs::create_symlink("../outside.txt", fixture.root / "out");
        OpenedFile file = closing(open_servable_file(fixture.root_fd, "out", "index.html"));
        CHECK(file.status == OpenStatus::forbidden);
        CHECK(file.error_number == EXDEV);
    }
    SUBCASE("missing") {
        CHECK(closing(open_servable_file(fixture.root_fd, "nope", "index.html")).status == OpenStatus::not_found);
    }
}
