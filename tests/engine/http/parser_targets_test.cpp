// The parser and the four request-target forms (RFC 9112 3.2): whatever the form, a request reads as origin-form
// + Host; a form the method may not use is refused before the request completes, however the bytes are split.

#include "parser_harness.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace parser_harness;

namespace {

constexpr std::string_view smuggled_get = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

// Accepted.
constexpr std::string_view absolute_form = "GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
                                           "Accept: */*\r\n\r\n";
constexpr std::string_view absolute_form_other_host = "GET http://b.example/p?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n";
constexpr std::string_view absolute_form_no_path = "GET HTTPS://b.example?x=y HTTP/1.1\r\nHost: a.example\r\n\r\n";
constexpr std::string_view absolute_form_http10 = "GET http://b.example/p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
constexpr std::string_view absolute_form_post = "POST http://[::1]:8000/up HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                                "\r\nok";
constexpr std::string_view options_asterisk = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";

// Refused with bad_request.
constexpr std::string_view get_asterisk = "GET * HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view post_asterisk = "POST * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
constexpr std::string_view options_asterisk_more = "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view get_authority_form = "GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view ftp_scheme = "GET ftp://example.com/f HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view userinfo = "GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n";
constexpr std::string_view empty_authority = "GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view bad_authority_port = "GET http://a:8x/ HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view absolute_form_missing_host = "GET http://a/ HTTP/1.1\r\n\r\n";
constexpr std::string_view absolute_form_two_hosts = "GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
constexpr std::string_view absolute_form_invalid_host = "GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n";
constexpr std::string_view connect_origin_form = "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view connect_absolute_form = "CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view connect_asterisk = "CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n";
constexpr std::string_view connect_without_port = "CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n";

// Refused with method_not_allowed.
constexpr std::string_view connect = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
constexpr std::string_view connect_ipv6 = "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n";

// Followed by smuggled_get, refused with `expected` at the head (nothing dispatched), however split.
void check_refused_every_way(std::string_view attempt, ParseError expected) {
    for_every_split(std::string(attempt) + std::string(smuggled_get), [expected](const Outcome &outcome) {
        CHECK(outcome.error == expected);
        CHECK(outcome.heads == 0);
        CHECK(outcome.messages.empty());
    });
}

// The Host header values of a request, in order.
std::string host_headers(const Request &request) {
    std::string hosts;
    for (const auto &header : request.headers)
        if (header.name == "host") hosts.append("[").append(header.value).append("]");
    return hosts;
}

} // namespace

TEST_CASE("parser targets: absolute-form reads as origin-form + Host") {
    SUBCASE("path, query and host; the raw target kept") {
        const Message m = parse_every_way(absolute_form);
        const Request &r = *m.request;
        CHECK(r.target == "http://example.com:8080/p?q=1");
        CHECK(r.path == "/p");
        CHECK(r.query == "q=1");
        CHECK(r.host == "example.com:8080");
        CHECK(host_headers(r) == "[example.com:8080]");
        CHECK(r.headers.size() == 2);
    }
    SUBCASE("the target's authority replaces a different Host, in the header list too") {
        const Message m = parse_every_way(absolute_form_other_host);
        CHECK(m.request->path == "/p");
        CHECK(m.request->host == "b.example");
        CHECK(host_headers(*m.request) == "[b.example]");
        CHECK(m.request->header("host") == "b.example");
    }
    SUBCASE("no path is '/'; the scheme in any case") {
        const Message m = parse_every_way(absolute_form_no_path);
        CHECK(m.request->path == "/");
        CHECK(m.request->query == "x=y");
        CHECK(m.request->host == "b.example");
    }
    SUBCASE("HTTP/1.0 without Host gets the authority as its Host header") {
        const Message m = parse_every_way(absolute_form_http10);
        CHECK(m.request->path == "/p");
        CHECK(m.request->host == "b.example");
        CHECK(host_headers(*m.request) == "[b.example]");
        CHECK(m.request->keep_alive);
    }
    SUBCASE("with a body") {
        const Message m = parse_every_way(absolute_form_post);
        CHECK(m.request->path == "/up");
        CHECK(m.request->host == "[::1]:8000");
        CHECK(m.body == "ok");
    }
    SUBCASE("then a pipelined origin-form request, with its own Host") {
        const Outcome outcome =
            parse_stream(std::string(absolute_form_other_host) + "GET /next HTTP/1.1\r\nHost: y\r\n\r\n");
        REQUIRE(outcome.error == ParseError::none);
        REQUIRE(outcome.messages.size() == 2);
        CHECK(outcome.messages[0].request->host == "b.example");
        CHECK(outcome.messages[1].request->path == "/next");
        CHECK(outcome.messages[1].request->host == "y");
        CHECK(host_headers(*outcome.messages[1].request) == "[y]");
    }
}

TEST_CASE("parser targets: OPTIONS * is accepted, with path '*'") {
    const Message m = parse_every_way(options_asterisk);
    CHECK(m.request->method == "OPTIONS");
    CHECK(m.request->target == "*");
    CHECK(m.request->path == "*");
    CHECK(m.request->query.empty());
    CHECK(m.request->host == "a");
}

constexpr Rejection refused_targets[] = {
    {"asterisk-form with GET", get_asterisk, ParseError::bad_request},
    {"asterisk-form with POST", post_asterisk, ParseError::bad_request},
    {"'*x' with OPTIONS", options_asterisk_more, ParseError::bad_request},
    {"authority-form with GET", get_authority_form, ParseError::bad_request},
    {"absolute-form with the ftp scheme", ftp_scheme, ParseError::bad_request},
    {"absolute-form with userinfo", userinfo, ParseError::bad_request},
    {"absolute-form with an empty host", empty_authority, ParseError::bad_request},
    {"absolute-form with a non-digit port", bad_authority_port, ParseError::bad_request},
    {"absolute-form on HTTP/1.1 without Host", absolute_form_missing_host, ParseError::bad_request},
    {"absolute-form with two Host headers", absolute_form_two_hosts, ParseError::bad_request},
    {"absolute-form with an invalid Host header", absolute_form_invalid_host, ParseError::bad_request},
    {"CONNECT with an origin-form target", connect_origin_form, ParseError::bad_request},
    {"CONNECT with an absolute-form target", connect_absolute_form, ParseError::bad_request},
    {"CONNECT with the asterisk-form", connect_asterisk, ParseError::bad_request},
    {"CONNECT without a port", connect_without_port, ParseError::bad_request},
    {"CONNECT host:port", connect, ParseError::method_not_allowed},
    {"CONNECT [IPv6]:port", connect_ipv6, ParseError::method_not_allowed},
};

TEST_CASE("parser targets: a form the method may not use is refused before the request completes") {
    for (const Rejection &refused : refused_targets) {
        SUBCASE(refused.what) { check_refused_every_way(refused.bytes, refused.expected); }
    }
}
