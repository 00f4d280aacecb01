#include "http/request_target.hpp"

#include <doctest/doctest.h>

#include <string_view>

using engine::http::split_request_target;
using engine::http::TargetForm;
using engine::http::TargetParts;

namespace {

struct Split {
    TargetForm form;
    std::string_view path, query, authority;
};

// Splits `target`, requiring success and views into it.
Split split(std::string_view target) {
    TargetParts parts;
    const char *fault = split_request_target(target, parts);
    CAPTURE(target);
    REQUIRE(fault == nullptr);
    const auto inside = [target](std::string_view part) {
        const char *end = target.data() + target.size();
        return part.empty() || (part.data() >= target.data() && part.data() + part.size() <= end);
    };
    for (const std::string_view part : {parts.path, parts.query, parts.authority}) CHECK(inside(part));
    return {parts.form, parts.path, parts.query, parts.authority};
}

bool refused(std::string_view target) {
    TargetParts parts;
    return split_request_target(target, parts) != nullptr;
}

} // namespace

TEST_CASE("request_target: origin-form") {
    const Split s = split("/p/q?x=1?y");
    CHECK(s.form == TargetForm::origin);
    CHECK(s.path == "/p/q");
    CHECK(s.query == "x=1?y");
    CHECK(s.authority.empty());
    CHECK(split("/").path == "/");
    CHECK(split("/a?").query.empty());
}

TEST_CASE("request_target: absolute-form becomes path, query and authority") {
    SUBCASE("path and query") {
        const Split s = split("http://example.com:8080/p?q=1");
        CHECK(s.form == TargetForm::absolute);
        CHECK(s.path == "/p");
        CHECK(s.query == "q=1");
        CHECK(s.authority == "example.com:8080");
    }
    SUBCASE("no path is '/'") {
        const Split bare = split("http://example.com");
        CHECK(bare.path == "/");
        CHECK(bare.query.empty());
        CHECK(bare.authority == "example.com");
        const Split query_only = split("http://example.com?a=b/c");
        CHECK(query_only.path == "/");
        CHECK(query_only.query == "a=b/c");
        CHECK(query_only.authority == "example.com");
    }
    SUBCASE("https, and schemes in any case") {
        CHECK(split("https://a/x").path == "/x");
        CHECK(split("HTTP://A/").authority == "A");
        CHECK(split("hTtPs://a").form == TargetForm::absolute);
    }
    SUBCASE("IP literals, ports, percent-encoding kept raw") {
        CHECK(split("http://[::1]:8000/").authority == "[::1]:8000");
        CHECK(split("http://127.0.0.1/a%20b").path == "/a%20b");
        CHECK(split("http://a:/").authority == "a:");
    }
}

TEST_CASE("request_target: asterisk-form and authority-form") {
    const Split asterisk = split("*");
    CHECK(asterisk.form == TargetForm::asterisk);
    CHECK(asterisk.path == "*");
    CHECK(asterisk.query.empty());
    const Split authority = split("example.com:443");
    CHECK(authority.form == TargetForm::authority);
    CHECK(authority.authority == "example.com:443");
    CHECK(authority.path.empty());
    CHECK(split("[2001:db8::1]:443").authority == "[2001:db8::1]:443");
    // "http:80" is a host named http, not a scheme: no "//" follows the colon.
    CHECK(split("http:80").form == TargetForm::authority);
}

TEST_CASE("request_target: refused") {
    for (const std::string_view target : {
             "",
             "ftp://example.com/",           // scheme other than http/https
             "ws://example.com/",
             "httpx://a/",
             "http://user@example.com/",     // userinfo (RFC 9110 4.2.4)
             "http://user:pw@example.com/",
             "http:///x",                    // empty host (RFC 9110 4.2.1)
             "http://",
             "http://:80/",
             "http://a b/",
             "http://a#frag",                // '#' is not part of an authority
             "http://[::1/",
             "http://a:8x/",
             "*x",                           // only "*" alone
             "**",
             "example.com",                  // authority-form needs a port
             "example.com:",
             ":443",
             "[::1]",
             "a/b",
         }) {
        CAPTURE(target);
        CHECK(refused(target));
    }
}
