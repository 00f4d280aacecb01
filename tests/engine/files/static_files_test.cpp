#include "files/static_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "files/etag.hpp"
#include "scratch_directory.hpp"

using engine::files::FileAnswer;
using engine::files::StaticFiles;
using engine::files::StaticFilesOptions;
using engine::files::testing::ScratchDirectory;
using engine::files::testing::write_file;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view hello_text = "Hello, static world!\n";
constexpr std::string_view index_text = "<h1>docs</h1>\n";
constexpr std::string_view secret_text = "outside the root\n";
constexpr std::time_t hello_mtime = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr long hello_mtime_ns = 123'456'789;

/// A scratch tree made with mkdtemp:  <base>/root/ is served, <base>/outside/ must stay unreachable.
///   root/hello.txt            regular file, fixed mtime
///   root/empty.txt            zero bytes
///   root/docs/index.html      a directory with an index
///   root/noindex/other.txt    a directory without one
///   root/escape_absolute  ->  <base>/outside/secret.txt
///   root/escape_relative  ->  ../outside/secret.txt
///   root/inside           ->  hello.txt (relative, stays inside)
///   root/inside_absolute  ->  <base>/root/hello.txt (absolute: refused by RESOLVE_BENEATH)
///   root/fifo                 a named pipe (not a regular file; opening must not block)
struct ScratchTree {
    ScratchDirectory scratch;
    fs::path base = scratch.path();
    fs::path root = base / "root";

    ScratchTree() {
        fs::create_directories(root / "docs");
        fs::create_directories(root / "noindex");
        fs::create_directories(base / "outside");
        write_file(root / "hello.txt", hello_text);
        write_file(root / "empty.txt", "");
        write_file(root / "docs" / "index.html", index_text);
        write_file(root / "noindex" / "other.txt", "x");
        write_file(base / "outside" / "secret.txt", secret_text);
        fs::create_symlink(base / "outside" / "secret.txt", root / "escape_absolute");
        fs::create_symlink("../outside/secret.txt", root / "escape_relative");
        fs::create_symlink("hello.txt", root / "inside");
        fs::create_symlink(root / "hello.txt", root / "inside_absolute");
        REQUIRE(mkfifo((root / "fifo").c_str(), 0600) == 0);
        timespec times[2] = {{hello_mtime, hello_mtime_ns}, {hello_mtime, hello_mtime_ns}};
        REQUIRE(utimensat(AT_FDCWD, (root / "hello.txt").c_str(), times, 0) == 0);
    }
    StaticFiles serve(StaticFilesOptions options = {}) const {
        options.root = root.string();
        return StaticFiles(std::move(options));
    }
};

engine::Request make_request(std::string_view method, std::vector<engine::Header> headers = {}) {
    engine::Request request;
    request.method = method;
    request.is_head = method == "HEAD";
    request.headers = std::move(headers);
    return request;
}

/// The value of header `name` in "Name: value\r\n" lines, if present exactly once.
std::optional<std::string> header_value(const FileAnswer &answer, std::string_view name) {
    std::optional<std::string> found;
    std::string_view lines = answer.head.header_lines;
    while (!lines.empty()) {
        std::size_t end = lines.find("\r\n");
        REQUIRE(end != std::string_view::npos);
        std::string_view line = lines.substr(0, end);
        lines.remove_prefix(end + 2);
        if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name && line[name.size()] == ':') {
            if (found) return std::nullopt;
            found = std::string(line.substr(name.size() + 2));
        }
    }
    return found;
}

/// The bytes the region names, read through its fd; closes the fd as the engine would.
std::string read_region_and_close(FileAnswer &answer) {
    REQUIRE(answer.region.fd >= 0);
    std::string content(answer.region.length, '\0');
    auto got = pread(answer.region.fd, content.data(), content.size(), static_cast<off_t>(answer.region.offset));
    close(answer.region.fd);
    answer.region.fd = -1;
    REQUIRE(got == static_cast<ssize_t>(content.size()));
    return content;
}

std::size_t open_fd_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] auto &entry : fs::directory_iterator("/proc/self/fd")) ++count;
    return count;
}

std::string expected_etag(const fs::path &path) {
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    std::int64_t mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    engine::files::EntityTag etag(static_cast<std::uint64_t>(info.st_size), mtime_ns, info.st_ino);
    return std::string(etag.view());
}

} // namespace

TEST_CASE("StaticFiles: construction") {
    ScratchTree tree;
    CHECK_NOTHROW(tree.serve());
    StaticFilesOptions options;
    options.root = (tree.base / "missing").string();
    CHECK_THROWS_WITH_AS(StaticFiles{options}, doctest::Contains("missing"), std::runtime_error);
    options.root = (tree.root / "hello.txt").string();
    CHECK_THROWS_WITH_AS(StaticFiles{options}, doctest::Contains("Not a directory"), std::runtime_error);
    options.root = tree.root.string();
    options.index_file = "../index.html";
    CHECK_THROWS_AS(StaticFiles{options}, std::invalid_argument);
}

TEST_CASE("StaticFiles: a regular file") {
    ScratchTree tree;
    const StaticFiles files = tree.serve();

    SUBCASE("GET") {
        FileAnswer answer = files.answer(make_request("GET"), "/hello.txt");
        CHECK(answer.status == 200);
        CHECK_FALSE(answer.is_error);
        CHECK(answer.head.status == 200);
        CHECK(answer.head.content_length == hello_text.size());
        CHECK(header_value(answer, "Content-Type") == "text/plain; charset=utf-8");
        CHECK(header_value(answer, "ETag") == expected_etag(tree.root / "hello.txt"));
        CHECK(header_value(answer, "Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT");
        CHECK(header_value(answer, "Accept-Ranges") == "bytes");
        CHECK_FALSE(header_value(answer, "Cache-Control"));
        CHECK_FALSE(header_value(answer, "Content-Range"));
        CHECK(answer.region.offset == 0);
        CHECK(answer.region.length == hello_text.size());
        CHECK(read_region_and_close(answer) == hello_text);
    }
    SUBCASE("HEAD describes the file but hands over no fd") {
        FileAnswer answer = files.answer(make_request("HEAD"), "/hello.txt");
        CHECK(answer.status == 200);
        CHECK(answer.head.content_length == hello_text.size());
        CHECK(header_value(answer, "ETag") == expected_etag(tree.root / "hello.txt"));
        CHECK(answer.region.fd == -1);
        CHECK(answer.region.length == 0);
    }
    SUBCASE("the ETag changes when the file does") {
        std::string before = *header_value(files.answer(make_request("HEAD"), "/hello.txt"), "ETag");
        write_file(tree.root / "hello.txt", "changed, and longer than before\n");
        std::string after = *header_value(files.answer(make_request("HEAD"), "/hello.txt"), "ETag");
        CHECK(before != after);
    }
    SUBCASE("an empty file is a 200 with nothing to send") {
        FileAnswer answer = files.answer(make_request("GET"), "/empty.txt");
        CHECK(answer.status == 200);
        CHECK(answer.head.content_length == 0);
        CHECK(answer.region.fd == -1);
        CHECK(header_value(answer, "ETag"));
    }
    SUBCASE("percent-encoded and messy paths reach the same file") {
        FileAnswer answer = files.answer(make_request("GET"), "//./hel%6co.txt");
        CHECK(answer.status == 200);
        CHECK(read_region_and_close(answer) == hello_text);
    }
}

TEST_CASE("StaticFiles: methods") {
    ScratchTree tree;
    const StaticFiles files = tree.serve();
    for (std::string_view method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
        CAPTURE(method);
        FileAnswer answer = files.answer(make_request(method), "/hello.txt");
        CHECK(answer.status == 405);
        CHECK(answer.is_error);
        CHECK(header_value(answer, "Allow") == "GET, HEAD");
        CHECK(answer.region.fd == -1);
    }
}

TEST_CASE("StaticFiles: directories") {
    ScratchTree tree;
    SUBCASE("a directory with an index serves it, with or without the trailing slash") {
        const StaticFiles files = tree.serve();
        for (std::string_view path : {"/docs", "/docs/", "docs"}) {
            CAPTURE(path);
            FileAnswer answer = files.answer(make_request("GET"), path);
            CHECK(answer.status == 200);
            CHECK(header_value(answer, "Content-Type") == "text/html; charset=utf-8");
            CHECK(header_value(answer, "ETag") == expected_etag(tree.root / "docs" / "index.html"));
            CHECK(read_region_and_close(answer) == index_text);
        }
    }
    SUBCASE("a directory without one is 404: no listings") {
        const StaticFiles files = tree.serve();
        CHECK(files.answer(make_request("GET"), "/noindex/").status == 404);
        CHECK(files.answer(make_request("GET"), "/").status == 404);  // the root has no index.html either
    }
    SUBCASE("the root's own index") {
        write_file(tree.root / "index.html", index_text);
        const StaticFiles files = tree.serve();
        FileAnswer answer = files.answer(make_request("GET"), "/");
        CHECK(answer.status == 200);
        CHECK(read_region_and_close(answer) == index_text);
    }
    SUBCASE("a configured index name") {
        StaticFilesOptions options;
        options.index_file = "other.txt";
        const StaticFiles files = tree.serve(options);
        FileAnswer answer = files.answer(make_request("GET"), "/noindex");
        CHECK(answer.status == 200);
        CHECK(header_value(answer, "Content-Type") == "text/plain; charset=utf-8");
        CHECK(read_region_and_close(answer) == "x");
        CHECK(files.answer(make_request("GET"), "/docs").status == 404);
    }
    SUBCASE("no index at all") {
        StaticFilesOptions options;
        options.index_file = "";
        const StaticFiles files = tree.serve(options);
        CHECK(files.answer(make_request("GET"), "/docs/").status == 404);
    }
    SUBCASE("an index that is itself a directory is not served") {
        fs::create_directories(tree.root / "noindex" / "index.html");
        const StaticFiles files = tree.serve();
        CHECK(files.answer(make_request("GET"), "/noindex").status == 404);
    }
}

TEST_CASE("StaticFiles: not found, traversal and symlinks") {
    ScratchTree tree;
    const StaticFiles files = tree.serve();
    auto status_of = [&](std::string_view path) { return files.answer(make_request("GET"), path).status; };

    CHECK(status_of("/missing.txt") == 404);
    CHECK(status_of("/hello.txt/more") == 404);  // ENOTDIR
    CHECK(status_of("/fifo") == 404);            // not a regular file, and opening it did not block
    SUBCASE("traversal in the path is 404 in every spelling") {
        CHECK(status_of("/../outside/secret.txt") == 404);
        CHECK(status_of("/%2e%2e/outside/secret.txt") == 404);
        CHECK(status_of("/..%2foutside/secret.txt") == 404);
        CHECK(status_of("/docs/../../outside/secret.txt") == 404);
        CHECK(status_of("/hello.txt%00.html") == 404);
    }
    SUBCASE("symlinks that leave the root are 403") {
        CHECK(status_of("/escape_absolute") == 403);
        CHECK(status_of("/escape_relative") == 403);
        // Absolute links are refused even when they land inside the root (RESOLVE_BENEATH).
        CHECK(status_of("/inside_absolute") == 403);
    }
    SUBCASE("a relative symlink inside the root is served") {
        FileAnswer answer = files.answer(make_request("GET"), "/inside");
        CHECK(answer.status == 200);
        CHECK(header_value(answer, "ETag") == expected_etag(tree.root / "hello.txt"));
        CHECK(read_region_and_close(answer) == hello_text);
    }
    SUBCASE("a symlinked index leaving the root is refused too") {
        fs::create_symlink("../../outside/secret.txt", tree.root / "noindex" / "index.html");
        CHECK(status_of("/noindex/") == 403);
    }
    SUBCASE("errors carry no fd") {
        FileAnswer answer = files.answer(make_request("GET"), "/escape_relative");
        CHECK(answer.is_error);
        CHECK(answer.region.fd == -1);
        CHECK(answer.head.header_lines.empty());
    }
}

TEST_CASE("StaticFiles: ranges") {
    ScratchTree tree;
    const StaticFiles files = tree.serve();
    const std::string size = std::to_string(hello_text.size());
    const std::string etag = expected_etag(tree.root / "hello.txt");

    SUBCASE("a satisfiable range is a 206") {
        FileAnswer answer = files.answer(make_request("GET", {{"range", "bytes=7-12"}}), "/hello.txt");
        CHECK(answer.status == 206);
        CHECK_FALSE(answer.is_error);
        CHECK(header_value(answer, "Content-Range") == "bytes 7-12/" + size);
        CHECK(header_value(answer, "Content-Type") == "text/plain; charset=utf-8");
        CHECK(header_value(answer, "ETag") == etag);
        CHECK(answer.head.content_length == 6);
        CHECK(answer.region.offset == 7);
        CHECK(read_region_and_close(answer) == "static");
    }
    SUBCASE("a suffix range") {
        FileAnswer answer = files.answer(make_request("GET", {{"range", "bytes=-7"}}), "/hello.txt");
        CHECK(answer.status == 206);
        CHECK(header_value(answer, "Content-Range") == "bytes 14-20/" + size);
        CHECK(read_region_and_close(answer) == "world!\n");
    }
    SUBCASE("an unsatisfiable range is a 416 naming the size") {
        FileAnswer answer = files.answer(make_request("GET", {{"range", "bytes=100-"}}), "/hello.txt");
        CHECK(answer.status == 416);
        CHECK(answer.is_error);
        CHECK(header_value(answer, "Content-Range") == "bytes */" + size);
        CHECK(answer.region.fd == -1);
        CHECK(files.answer(make_request("GET", {{"range", "bytes=0-"}}), "/empty.txt").status == 416);
    }
    SUBCASE("several ranges get the whole file") {
        FileAnswer answer = files.answer(make_request("GET", {{"range", "bytes=0-1,4-5"}}), "/hello.txt");
        CHECK(answer.status == 200);
        CHECK_FALSE(header_value(answer, "Content-Range"));
        CHECK(read_region_and_close(answer) == hello_text);
    }
    SUBCASE("HEAD ignores Range") {
        FileAnswer answer = files.answer(make_request("HEAD", {{"range", "bytes=0-1"}}), "/hello.txt");
        CHECK(answer.status == 200);
        CHECK(answer.head.content_length == hello_text.size());
    }
    SUBCASE("If-Range") {
        FileAnswer matching =
            files.answer(make_request("GET", {{"range", "bytes=0-4"}, {"if-range", etag}}), "/hello.txt");
        CHECK(matching.status == 206);
        CHECK(read_region_and_close(matching) == "Hello");

        FileAnswer by_date = files.answer(
            make_request("GET", {{"range", "bytes=0-4"}, {"if-range", "Sun, 06 Nov 1994 08:49:37 GMT"}}),
            "/hello.txt");
        CHECK(by_date.status == 206);
        CHECK(read_region_and_close(by_date) == "Hello");

        FileAnswer stale =
            files.answer(make_request("GET", {{"range", "bytes=0-4"}, {"if-range", "\"old\""}}), "/hello.txt");
        CHECK(stale.status == 200);
        CHECK(read_region_and_close(stale) == hello_text);

        FileAnswer stale_date = files.answer(
            make_request("GET", {{"range", "bytes=0-4"}, {"if-range", "Mon, 07 Nov 1994 08:49:37 GMT"}}),
            "/hello.txt");
        CHECK(stale_date.status == 200);
        read_region_and_close(stale_date);
    }
}

TEST_CASE("StaticFiles: conditional requests") {
    ScratchTree tree;
    StaticFilesOptions options;
    options.expires_seconds = 600;
    const StaticFiles files = tree.serve(options);
    const std::string etag = expected_etag(tree.root / "hello.txt");

    SUBCASE("If-None-Match with the current tag is a 304 with validators and no body") {
        FileAnswer answer = files.answer(make_request("GET", {{"if-none-match", etag}}), "/hello.txt");
        CHECK(answer.status == 304);
        CHECK_FALSE(answer.is_error);
        CHECK(header_value(answer, "ETag") == etag);
        CHECK(header_value(answer, "Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT");
        CHECK(header_value(answer, "Cache-Control") == "max-age=600");
        CHECK_FALSE(header_value(answer, "Content-Type"));
        CHECK(answer.region.fd == -1);
        CHECK(answer.region.length == 0);
    }
    SUBCASE("a stale tag gets the file") {
        FileAnswer answer = files.answer(make_request("GET", {{"if-none-match", "\"stale\""}}), "/hello.txt");
        CHECK(answer.status == 200);
        CHECK(header_value(answer, "Cache-Control") == "max-age=600");
        read_region_and_close(answer);
    }
    SUBCASE("If-Modified-Since") {
        CHECK(files.answer(make_request("HEAD", {{"if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}), "/hello.txt")
                  .status == 304);
        CHECK(files.answer(make_request("HEAD", {{"if-modified-since", "Sun, 06 Nov 1994 08:49:36 GMT"}}), "/hello.txt")
                  .status == 200);
    }
    SUBCASE("304 takes precedence over Range") {
        FileAnswer answer =
            files.answer(make_request("GET", {{"if-none-match", etag}, {"range", "bytes=0-1"}}), "/hello.txt");
        CHECK(answer.status == 304);
    }
}

TEST_CASE("StaticFiles: no descriptor leaks on any path") {
    ScratchTree tree;
    const StaticFiles files = tree.serve();
    const std::size_t before = open_fd_count();
    const std::vector<std::pair<std::string_view, std::vector<engine::Header>>> requests = {
        {"/hello.txt", {{"if-none-match", "*"}}},
        {"/hello.txt", {{"range", "bytes=999-"}}},
        {"/empty.txt", {}},
        {"/noindex", {}},
        {"/fifo", {}},
        {"/escape_relative", {}},
    };
    for (const auto &[path, headers] : requests) {
        FileAnswer answer = files.answer(make_request("GET", headers), path);
        CAPTURE(path);
        CHECK(answer.region.fd == -1);
    }
    FileAnswer head = files.answer(make_request("HEAD"), "/hello.txt");
    CHECK(head.region.fd == -1);
    CHECK(open_fd_count() == before);
}
