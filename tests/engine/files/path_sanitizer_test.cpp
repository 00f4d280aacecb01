#include "files/path_sanitizer.hpp"

#include <doctest/doctest.h>

using engine::files::sanitize_request_path;

namespace {
// nullopt shows up in failure messages as a marker that cannot be confused with a real path.
std::string sanitized(std::string_view raw) { return sanitize_request_path(raw).value_or("<rejected>"); }
} // namespace

TEST_CASE("sanitize_request_path: ordinary paths") {
    CHECK(sanitized("/index.html") == "index.html");
    CHECK(sanitized("index.html") == "index.html");
    CHECK(sanitized("/css/site.css") == "css/site.css");
    CHECK(sanitized("/dir/") == "dir");
    SUBCASE("the root itself") {
        CHECK(sanitized("") == "");
        CHECK(sanitized("/") == "");
        CHECK(sanitized("///./") == "");
    }
}

TEST_CASE("sanitize_request_path: duplicate slashes and dot segments collapse") {
    CHECK(sanitized("//a///b/./c") == "a/b/c");
    CHECK(sanitized("./a") == "a");
    CHECK(sanitized("a/.") == "a");
    CHECK(sanitized("/a/%2e/b") == "a/b");
    // Names that merely contain dots are ordinary names.
    CHECK(sanitized("/a/...") == "a/...");
    CHECK(sanitized("/.well-known/x") == ".well-known/x");
    CHECK(sanitized("/a..b/c.") == "a..b/c.");
}

TEST_CASE("sanitize_request_path: percent-decoding") {
    CHECK(sanitized("/hello%20world.txt") == "hello world.txt");
    CHECK(sanitized("/%41%62") == "Ab");
    CHECK(sanitized("/%e2%82%ac") == "\xe2\x82\xac");
    CHECK(sanitized("/%25") == "%");  // a decoded '%' is not decoded again
    CHECK(sanitized("/%252e%252e/x") == "%2e%2e/x");
}

TEST_CASE("sanitize_request_path: traversal is rejected in every spelling") {
    CHECK_FALSE(sanitize_request_path("/../etc/passwd"));
    CHECK_FALSE(sanitize_request_path(".."));
    CHECK_FALSE(sanitize_request_path("/a/../../b"));
    CHECK_FALSE(sanitize_request_path("/a/.."));
    CHECK_FALSE(sanitize_request_path("%2e%2e/"));
    CHECK_FALSE(sanitize_request_path("/%2E%2E/x"));
    CHECK_FALSE(sanitize_request_path("/.%2e/x"));
    CHECK_FALSE(sanitize_request_path("/%2e./x"));
    // An encoded slash is refused outright, so "..%2f" cannot act as "../".
    CHECK_FALSE(sanitize_request_path("..%2f"));
    CHECK_FALSE(sanitize_request_path("/..%2Fetc/passwd"));
    CHECK_FALSE(sanitize_request_path("/a%2fb"));
}

TEST_CASE("sanitize_request_path: malformed escapes and NUL are rejected") {
    CHECK_FALSE(sanitize_request_path("%00"));
    CHECK_FALSE(sanitize_request_path("/index.html%00.png"));
    CHECK_FALSE(sanitize_request_path(std::string_view("/a\0b", 4)));
    CHECK_FALSE(sanitize_request_path("/%"));
    CHECK_FALSE(sanitize_request_path("/%4"));
    CHECK_FALSE(sanitize_request_path("/%4/"));
    CHECK_FALSE(sanitize_request_path("/%g1"));
    CHECK_FALSE(sanitize_request_path("/%1g"));
    CHECK_FALSE(sanitize_request_path("/a%"));
}
