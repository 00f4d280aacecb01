#include "parser_harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

using namespace parser_harness;
using namespace std::string_view_literals;

namespace {

// ---- request bytes -------------------------------------------------------------------------------------

constexpr std::string_view simple_get = "GET /index.html HTTP/1.1\r\n"
                                        "Host: example.com\r\n"
                                        "User-Agent: doctest\r\n"
                                        "Accept: */*\r\n"
                                        "\r\n";
constexpr std::string_view get_with_query = "GET /search/a%20b?q=1&r=two HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view get_with_empty_query = "GET /p? HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view mixed_case_headers = "GET / HTTP/1.1\r\n"
                                                "HOST: Example.COM\r\n"
                                                "X-Custom-Header:   padded value \t \r\n"
                                                "Set-Thing: a\r\n"
                                                "set-THING: b\r\n"
                                                "X-Empty:\r\n"
                                                "\r\n";
constexpr std::string_view post_with_length = "POST /submit HTTP/1.1\r\n"
                                              "Host: x\r\n"
                                              "Content-Length: 11\r\n"
                                              "\r\n"
                                              "hello world";
constexpr std::string_view chunked_post = "POST /upload HTTP/1.1\r\n"
                                          "Host: x\r\n"
                                          "Transfer-Encoding: chunked\r\n"
                                          "\r\n"
                                          // llhttp 8.1 rejects an extension after one with a value
                                          // ("5;a=b;c=d"): a bug fixed in later versions.
                                          "5;flag;name=value\r\n"
                                          "hello\r\n"
                                          "6\r\n"
                                          " world\r\n"
                                          "0\r\n"
                                          "X-Trailer: yes\r\n"
                                          "\r\n";
constexpr std::string_view http10_default = "GET / HTTP/1.0\r\n\r\n";
constexpr std::string_view http10_keep_alive = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
constexpr std::string_view http11_close = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
constexpr std::string_view expect_continue = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                                             "Content-Length: 3\r\n\r\nabc";
constexpr std::string_view head_request = "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view upgrade_request = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                             "Upgrade: websocket\r\n\r\n";
constexpr std::string_view upgrade_with_body = "POST /up HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n"
                                               "Upgrade: h2c\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view next_get = "GET /next HTTP/1.1\r\nHost: y\r\n\r\n";

// Rejected with bad_request.
constexpr std::string_view tls_client_hello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"sv;
constexpr std::string_view bad_chunk_size = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                            "zz\r\nhello\r\n0\r\n\r\n";
constexpr std::string_view length_and_chunked = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
constexpr std::string_view duplicate_equal_length = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                                    "Content-Length: 3\r\n\r\nabc";
constexpr std::string_view cr_only_lines = "GET / HTTP/1.1\rHost: x\r\r";
constexpr std::string_view bare_lf_everywhere = "GET / HTTP/1.1\nHost: x\n\n";
constexpr std::string_view bare_lf_after_request_line = "GET / HTTP/1.1\nHost: x\r\n\r\n";
constexpr std::string_view bare_lf_blank_line = "GET / HTTP/1.1\r\nHost: x\r\n\n";
constexpr std::string_view bare_lf_http10 = "GET / HTTP/1.0\n\n";
constexpr std::string_view obs_fold = "GET / HTTP/1.1\r\nHost: x\r\nX-Long: first\r\n second\r\n\r\n";
constexpr std::string_view space_before_colon = "GET / HTTP/1.1\r\nHost: x\r\nX-Name : v\r\n\r\n";
constexpr std::string_view tab_before_colon = "GET / HTTP/1.1\r\nHost: x\r\nX-Name\t: v\r\n\r\n";
constexpr std::string_view nul_in_value = "GET / HTTP/1.1\r\nHost: x\r\nX-V: a\0b\r\n\r\n"sv;
constexpr std::string_view control_in_value = "GET / HTTP/1.1\r\nHost: x\r\nX-V: a\x01z\r\n\r\n";
constexpr std::string_view del_in_value = "GET / HTTP/1.1\r\nHost: x\r\nX-V: a\x7fz\r\n\r\n";
constexpr std::string_view empty_header_name = "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n";
constexpr std::string_view missing_host = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n";
constexpr std::string_view two_hosts = "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n";
constexpr std::string_view two_hosts_http10 = "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n";
constexpr std::string_view host_with_space = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n";
constexpr std::string_view http20 = "GET / HTTP/2.0\r\nHost: x\r\n\r\n";
constexpr std::string_view http09 = "GET / HTTP/0.9\r\nHost: x\r\n\r\n";
constexpr std::string_view http12 = "GET / HTTP/1.2\r\nHost: x\r\n\r\n";
constexpr std::string_view chunked_then_gzip = "POST / HTTP/1.1\r\nHost: x\r\n"
                                               "Transfer-Encoding: chunked, gzip\r\n\r\n";
constexpr std::string_view chunked_then_gzip_headers = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                                       "Transfer-Encoding: gzip\r\n\r\n";
constexpr std::string_view chunked_twice = "POST / HTTP/1.1\r\nHost: x\r\n"
                                           "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n";

// Rejected with not_implemented.
constexpr std::string_view gzip_only = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc";
constexpr std::string_view gzip_then_chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                                               "3\r\nabc\r\n0\r\n\r\n";
constexpr std::string_view gzip_then_chunked_headers = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                                                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
// Rejected with bad_request, before the unsupported coding: Transfer-Encoding in HTTP/1.0 is faulty framing.
constexpr std::string_view http10_chunked = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
                                            "Connection: keep-alive\r\n\r\n0\r\n\r\n";
constexpr std::string_view http10_gzip = "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n";

// Smuggling attempts (issue 12). Each is sent followed by smuggled_get: the first request must be refused
// with bad_request before it completes, so the second is never parsed.
constexpr std::string_view smuggled_get = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
#define CHUNKED_HEAD "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
constexpr std::string_view fold_after_empty_length = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\nhello";
constexpr std::string_view fold_after_empty_transfer_encoding = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n"
                                                                " chunked\r\n\r\n0\r\n\r\n";
constexpr std::string_view tab_fold_after_empty_value = "GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\tb\r\n\r\n";
constexpr std::string_view space_before_first_header = "GET / HTTP/1.1\r\n Host: a\r\n\r\n";
constexpr std::string_view bare_lf_inside_head = "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n";
constexpr std::string_view bare_cr_inside_head = "GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n";
constexpr std::string_view chunk_data_overrun = CHUNKED_HEAD "5\r\nhelloXX0\r\n\r\n";
constexpr std::string_view chunk_data_then_cr_cr = CHUNKED_HEAD "2\r\nxx\r\r4\r\nabcd\r\n0\r\n\r\n";
constexpr std::string_view chunk_data_then_bare_lf = CHUNKED_HEAD "2\r\nxx\n4\r\nabcd\r\n0\r\n\r\n";
constexpr std::string_view chunk_size_cr_then_other = CHUNKED_HEAD "5\rXhello\r\n0\r\n\r\n";
constexpr std::string_view chunk_size_bare_lf = CHUNKED_HEAD "5\nhello\r\n0\r\n\r\n";
constexpr std::string_view last_chunk_bare_lf = CHUNKED_HEAD "0\n\r\n";
constexpr std::string_view trailers_end_with_bare_lf = CHUNKED_HEAD "0\r\nX: y\r\n\n";
constexpr std::string_view no_trailers_end_with_bare_lf = CHUNKED_HEAD "0\r\n\n";
constexpr std::string_view trailer_line_bare_lf = CHUNKED_HEAD "0\r\nX: y\nZ: w\r\n\r\n";
constexpr std::string_view trailer_line_bare_cr = CHUNKED_HEAD "0\r\nX: y\rZ: w\r\n\r\n";
constexpr std::string_view trailer_fold = CHUNKED_HEAD "0\r\nX: y\r\n z\r\n\r\n";
constexpr std::string_view trailer_fold_after_empty_value = CHUNKED_HEAD "0\r\nX:\r\n\tz\r\n\r\n";
constexpr std::string_view trailer_starts_with_space = CHUNKED_HEAD "0\r\n X: y\r\n\r\n";
// RFC 9110 6.5.1: fields a trailer section must not carry (framing, routing, modifiers, authentication, content
// metadata), whatever their case, also after an allowed one; and RFC 9112 5.1's whitespace before a colon.
constexpr std::string_view trailer_content_length = CHUNKED_HEAD "0\r\nContent-Length: 37\r\n\r\n";
constexpr std::string_view trailer_transfer_encoding = CHUNKED_HEAD "0\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr std::string_view trailer_host = CHUNKED_HEAD "0\r\nhOsT: evil.example\r\n\r\n";
constexpr std::string_view trailer_authorization_after_allowed = CHUNKED_HEAD "0\r\nX-A: 1\r\n"
                                                                              "Authorization: Basic eDp5\r\n\r\n";
constexpr std::string_view trailer_if_none_match = CHUNKED_HEAD "1\r\nz\r\n0\r\nIf-None-Match: *\r\n\r\n";
constexpr std::string_view trailer_content_type = CHUNKED_HEAD "0\r\nContent-Type: text/plain\r\n\r\n";
constexpr std::string_view trailer_expect = CHUNKED_HEAD "0\r\nExpect: 100-continue\r\n\r\n";
constexpr std::string_view trailer_space_before_colon = CHUNKED_HEAD "0\r\nX-A : 1\r\n\r\n";
constexpr std::string_view host_not_ascii = "GET / HTTP/1.1\r\nHost: \x85\xb1\x61\r\n\r\n";
constexpr std::string_view host_plus_space = "GET / HTTP/1.1\r\nHost:+ 127.0.0.1\r\n\r\n";
constexpr std::string_view host_bad_port = "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n";
constexpr std::string_view host_open_bracket = "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n";
constexpr std::string_view host_invalid_http10 = "GET / HTTP/1.0\r\nHost: a/b\r\nConnection: keep-alive\r\n\r\n";

// Framing that must keep working next to those.
constexpr std::string_view chunked_quoted_extension = CHUNKED_HEAD "3;name=\"a b\"\r\nabc\r\n0;last\r\n\r\n";
constexpr std::string_view chunked_crlf_in_data = CHUNKED_HEAD "7\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n";
constexpr std::string_view chunked_two_trailers = CHUNKED_HEAD "1\r\nz\r\n0\r\nA: 1\r\nB:\r\n\r\n";
constexpr std::string_view chunked_empty = CHUNKED_HEAD "0\r\n\r\n";
constexpr std::string_view chunked_allowed_trailers = CHUNKED_HEAD "2\r\nok\r\n0\r\nX-Checksum: abc\r\n"
                                                                   "Server-Timing: db;dur=1\r\nHostname: h\r\n\r\n";
constexpr std::string_view empty_host = "GET / HTTP/1.1\r\nHost:\r\n\r\n";
constexpr std::string_view ipv6_host = "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n";
constexpr std::string_view ipv4_host = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n";
constexpr std::string_view ipv_future_host = "GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n";
constexpr std::string_view reg_name_host = "GET / HTTP/1.1\r\nHost: xn--bcher-kva.example.%41~!$&'()*+,;=\r\n\r\n";
constexpr std::string_view http10_length_keep_alive = "POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
                                                      "Content-Length: 2\r\n\r\nok";
#undef CHUNKED_HEAD

} // namespace

TEST_CASE("parser: well-formed requests") {
    SUBCASE("simple GET") {
        const Message m = parse_one(simple_get);
        const Request &r = *m.request;
        CHECK(r.method == "GET");
        CHECK(r.target == "/index.html");
        CHECK(r.path == "/index.html");
        CHECK(r.query.empty());
        CHECK(r.http_major == 1);
        CHECK(r.http_minor == 1);
        REQUIRE(r.headers.size() == 3);
        CHECK(r.headers[0].name == "host");
        CHECK(r.headers[0].value == "example.com");
        CHECK(r.headers[2].name == "accept");
        CHECK(r.headers[2].value == "*/*");
        CHECK(r.host == "example.com");
        CHECK(!r.content_length);
        CHECK(!r.chunked);
        CHECK(r.keep_alive);
        CHECK(!r.expect_continue);
        CHECK(!r.upgrade);
        CHECK(!r.is_head);
        CHECK(!r.has_body());
        CHECK(m.body.empty());
    }
    SUBCASE("query split at the first '?'") {
        const Message m = parse_one(get_with_query);
        CHECK(m.request->target == "/search/a%20b?q=1&r=two");
        CHECK(m.request->path == "/search/a%20b");
        CHECK(m.request->query == "q=1&r=two");
        const Message empty_query = parse_one(get_with_empty_query);
        CHECK(empty_query.request->path == "/p");
        CHECK(empty_query.request->query.empty());
    }
    SUBCASE("header names lowercased, values trimmed, order and duplicates kept") {
        const Message m = parse_one(mixed_case_headers);
        const Request &r = *m.request;
        REQUIRE(r.headers.size() == 5);
        CHECK(r.headers[0].name == "host");
        CHECK(r.headers[0].value == "Example.COM");
        CHECK(r.headers[1].name == "x-custom-header");
        CHECK(r.headers[1].value == "padded value");
        CHECK(r.headers[2].name == "set-thing");
        CHECK(r.headers[2].value == "a");
        CHECK(r.headers[3].name == "set-thing");
        CHECK(r.headers[3].value == "b");
        CHECK(r.headers[4].name == "x-empty");
        CHECK(r.headers[4].value.empty());
        CHECK(r.header("set-thing") == "a");
        CHECK(r.host == "Example.COM");
    }
    SUBCASE("POST with Content-Length body") {
        const Message m = parse_one(post_with_length);
        CHECK(m.request->method == "POST");
        CHECK(m.request->content_length == 11u);
        CHECK(m.request->has_body());
        CHECK(m.body == "hello world");
    }
    SUBCASE("chunked body with extensions and trailers") {
        const Message m = parse_one(chunked_post);
        CHECK(m.request->chunked);
        CHECK(!m.request->content_length);
        CHECK(m.body == "hello world");
        // Trailers are not headers of the request.
        CHECK(!m.request->header("x-trailer"));
    }
    SUBCASE("HTTP/1.0 closes by default, keeps alive when asked; HTTP/1.1 closes when asked") {
        const Message plain = parse_one(http10_default);
        CHECK(plain.request->http_minor == 0);
        CHECK(!plain.request->keep_alive);
        CHECK(plain.request->host.empty());
        CHECK(parse_one(http10_keep_alive).request->keep_alive);
        CHECK(!parse_one(http11_close).request->keep_alive);
    }
    SUBCASE("Expect: 100-continue, case-insensitive") {
        const Message m = parse_one(expect_continue);
        CHECK(m.request->expect_continue);
        CHECK(m.body == "abc");
    }
    SUBCASE("HEAD flag") {
        const Message m = parse_one(head_request);
        CHECK(m.request->is_head);
        CHECK(m.request->method == "HEAD");
    }
}

TEST_CASE("parser: any split of the bytes gives the same result") {
    for (const std::string_view bytes : {simple_get, get_with_query, mixed_case_headers, post_with_length,
                                         chunked_post, http10_keep_alive, expect_continue}) {
        CAPTURE(bytes);
        const std::string whole = describe(parse_one(bytes));
        for (const std::size_t recv_size : {1u, 2u, 3u, 7u, 16u}) {
            CAPTURE(recv_size);
            CHECK(describe(parse_one(bytes, recv_size)) == whole);
        }
    }
}

TEST_CASE("parser: head is reported before the body") {
    RequestParser parser{Limits{}};
    CollectingSink sink;
    CHECK(!parser.in_message());
    auto result = parser.feed(post_with_length, sink);
    CHECK(result.status == RequestParser::Status::head_complete);
    CHECK(result.consumed == post_with_length.size() - 11);
    CHECK(parser.in_message());
    CHECK(sink.body.empty());
    CHECK(parser.request().content_length == 11u);

    result = parser.feed(post_with_length.substr(result.consumed, 5), sink);
    CHECK(result.status == RequestParser::Status::need_more);
    CHECK(result.consumed == 5);
    CHECK(sink.body == "hello");
    CHECK(parser.body_bytes_received() == 5);

    result = parser.feed(post_with_length.substr(post_with_length.size() - 6), sink);
    CHECK(result.status == RequestParser::Status::message_complete);
    CHECK(result.consumed == 6);
    CHECK(sink.body == "hello world");
    // Until next_message(), nothing more is parsed.
    CHECK(parser.feed(next_get, sink).status == RequestParser::Status::message_complete);
    CHECK(parser.feed(next_get, sink).consumed == 0);

    // The request kept by the parser is reused after next_message(), its views renewed.
    parser.next_message();
    CHECK(!parser.in_message());
    CHECK(parser.body_bytes_received() == 0);
    result = parser.feed(next_get, sink);
    CHECK(result.status == RequestParser::Status::head_complete);
    CHECK(parser.request().path == "/next");
    CHECK(parser.request().host == "y");
    CHECK(!parser.request().content_length);
    CHECK(parser.request().headers.size() == 1);
    check_views_point_into_storage(parser.request());
    CHECK(parser.feed({}, sink).status == RequestParser::Status::message_complete);
}

TEST_CASE("parser: pipelined requests in one buffer") {
    const std::string three = std::string(simple_get) + std::string(post_with_length) + std::string(next_get);
    for (const std::size_t recv_size : {SIZE_MAX, std::size_t{1}, std::size_t{10}}) {
        CAPTURE(recv_size);
        const Outcome outcome = parse_stream(three, recv_size);
        REQUIRE(outcome.error == ParseError::none);
        REQUIRE(outcome.messages.size() == 3);
        CHECK(outcome.heads == 3);
        CHECK(outcome.messages[0].request->path == "/index.html");
        CHECK(outcome.messages[1].request->path == "/submit");
        CHECK(outcome.messages[1].body == "hello world");
        CHECK(outcome.messages[2].request->path == "/next");
        CHECK(outcome.messages[2].body.empty());
        for (const auto &m : outcome.messages) check_views_point_into_storage(*m.request);
    }
}

TEST_CASE("parser: upgrade requests") {
    SUBCASE("flagged, then the following bytes parse as HTTP") {
        const Outcome outcome = parse_stream(std::string(upgrade_request) + std::string(next_get));
        REQUIRE(outcome.error == ParseError::none);
        REQUIRE(outcome.messages.size() == 2);
        CHECK(outcome.messages[0].request->upgrade);
        CHECK(outcome.messages[0].request->header("upgrade") == "websocket");
        CHECK(!outcome.messages[1].request->upgrade);
        CHECK(outcome.messages[1].request->path == "/next");
    }
    SUBCASE("the body of a refused upgrade is still delivered (uvicorn #2722)") {
        for (const std::size_t recv_size : {SIZE_MAX, std::size_t{1}}) {
            const Outcome outcome = parse_stream(std::string(upgrade_with_body) + std::string(next_get), recv_size);
            REQUIRE(outcome.error == ParseError::none);
            REQUIRE(outcome.messages.size() == 2);
            CHECK(outcome.messages[0].request->upgrade);
            CHECK(outcome.messages[0].body == "hello");
            CHECK(outcome.messages[1].request->path == "/next");
        }
    }
    SUBCASE("CONNECT is refused (405) before it completes: no tunnel, and nothing after it is parsed") {
        const Outcome outcome = parse_stream("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" +
                                             std::string(next_get));
        CHECK(outcome.error == ParseError::method_not_allowed);
        CHECK(outcome.heads == 0);
        CHECK(outcome.messages.empty());
    }
    SUBCASE("Upgrade without Connection: upgrade is an ordinary request") {
        const Message m = parse_one("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
        CHECK(!m.request->upgrade);
    }
}

TEST_CASE("parser: take_request leaves a fresh request behind") {
    RequestParser parser{Limits{}};
    CollectingSink sink;
    REQUIRE(parser.feed(simple_get, sink).status == RequestParser::Status::head_complete);
    auto taken = parser.take_request();
    REQUIRE(taken);
    CHECK(taken->path == "/index.html");
    CHECK(parser.request().method.empty());
    CHECK(parser.request().headers.empty());
    CHECK(parser.feed({}, sink).status == RequestParser::Status::message_complete);
    parser.next_message();
    REQUIRE(parser.feed(next_get, sink).status == RequestParser::Status::head_complete);
    CHECK(parser.request().path == "/next");
    CHECK(taken->path == "/index.html"); // untouched by the parser
}

constexpr Rejection rejections[] = {
    {"garbage (a TLS client hello)", tls_client_hello, ParseError::bad_request},
    {"bad chunk size", bad_chunk_size, ParseError::bad_request},
    {"Content-Length with Transfer-Encoding", length_and_chunked, ParseError::bad_request},
    {"duplicate Content-Length, even equal", duplicate_equal_length, ParseError::bad_request},
    {"CR-only line endings", cr_only_lines, ParseError::bad_request},
    {"bare LF line endings", bare_lf_everywhere, ParseError::bad_request},
    {"bare LF after the request line", bare_lf_after_request_line, ParseError::bad_request},
    {"bare LF as the blank line", bare_lf_blank_line, ParseError::bad_request},
    {"bare LF in an HTTP/1.0 head without headers", bare_lf_http10, ParseError::bad_request},
    {"obs-fold continuation line", obs_fold, ParseError::bad_request},
    {"space between header name and colon", space_before_colon, ParseError::bad_request},
    {"tab between header name and colon", tab_before_colon, ParseError::bad_request},
    {"NUL in a header value", nul_in_value, ParseError::bad_request},
    {"control character in a header value", control_in_value, ParseError::bad_request},
    {"DEL in a header value", del_in_value, ParseError::bad_request},
    {"empty header name", empty_header_name, ParseError::bad_request},
    {"Host missing on HTTP/1.1", missing_host, ParseError::bad_request},
    {"two Host headers", two_hosts, ParseError::bad_request},
    {"two Host headers on HTTP/1.0", two_hosts_http10, ParseError::bad_request},
    {"HTTP/2.0 request line", http20, ParseError::bad_request},
    {"HTTP/0.9 request line", http09, ParseError::bad_request},
    {"HTTP/1.2 request line", http12, ParseError::bad_request},
    {"chunked before gzip in one header", chunked_then_gzip, ParseError::bad_request},
    {"chunked before gzip in two headers", chunked_then_gzip_headers, ParseError::bad_request},
    {"chunked twice", chunked_twice, ParseError::bad_request},
    {"gzip only", gzip_only, ParseError::not_implemented},
    {"gzip before chunked in one header", gzip_then_chunked, ParseError::not_implemented},
    {"gzip before chunked in two headers", gzip_then_chunked_headers, ParseError::not_implemented},
    {"invalid Host", host_with_space, ParseError::bad_request},
    {"HTTP/1.0 with Transfer-Encoding: chunked", http10_chunked, ParseError::bad_request},
    {"HTTP/1.0 with Transfer-Encoding: gzip", http10_gzip, ParseError::bad_request},
};

TEST_CASE("parser: rejections") {
    for (const Rejection &rejection : rejections) {
        SUBCASE(rejection.what) { CHECK(rejection_of(rejection.bytes) == rejection.expected); }
    }
    SUBCASE("an error is final") {
        RequestParser parser{Limits{}};
        CollectingSink sink;
        CHECK(parser.feed(missing_host, sink).status == RequestParser::Status::error);
        CHECK(parser.error() == ParseError::bad_request);
        CHECK(parser.error_reason() == "missing Host header");
        CHECK(parser.feed(simple_get, sink).status == RequestParser::Status::error);
    }
}

void check_each_split(std::string_view bytes, const Limits &limits, ParseError expected) {
    for (const std::size_t recv_size : {SIZE_MAX, std::size_t{1}, std::size_t{5}}) {
        CAPTURE(recv_size);
        CHECK(parse_stream(bytes, recv_size, limits).error == expected);
    }
}

// `bytes` pass with the limit at `exact` and fail with `over` one below it, however the bytes are split.
template <typename Value>
void check_limit(std::string_view bytes, Value Limits::*limit, Value exact, ParseError over) {
    Limits limits;
    limits.*limit = exact;
    check_each_split(bytes, limits, ParseError::none);
    limits.*limit = exact - 1;
    check_each_split(bytes, limits, over);
}

TEST_CASE("parser: limits at the limit and one byte over") {
    SUBCASE("request line (method, target and version)") {
        const std::string line = "GET /" + repeated('a', 100) + " HTTP/1.1";
        check_limit(line + "\r\nHost: x\r\n\r\n", &Limits::max_request_line, line.size(), ParseError::uri_too_long);
    }
    SUBCASE("header section bytes (after the request line, through the blank line)") {
        const std::string section = "Host: x\r\nX-Pad: " + repeated('p', 200) + "\r\n\r\n";
        check_limit("GET / HTTP/1.1\r\n" + section, &Limits::max_header_bytes, section.size(),
                    ParseError::header_fields_too_large);
    }
    SUBCASE("header count") {
        check_limit("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n"sv, &Limits::max_header_count, std::size_t{3},
                    ParseError::header_fields_too_large);
    }
    SUBCASE("Content-Length body, refused at head time") {
        check_limit(post_with_length, &Limits::max_body_bytes, std::uint64_t{11}, ParseError::payload_too_large);
        // Refused before any body byte is delivered.
        Limits limits;
        limits.max_body_bytes = 10;
        const Outcome head_only = parse_stream(post_with_length.substr(0, post_with_length.size() - 11), 1, limits);
        CHECK(head_only.error == ParseError::payload_too_large);
        CHECK(head_only.heads == 0);
    }
    SUBCASE("chunked body, counted while de-chunking") {
        check_limit(chunked_post, &Limits::max_body_bytes, std::uint64_t{11}, ParseError::payload_too_large);
    }
    SUBCASE("max_body_bytes 0 means unlimited") {
        Limits limits;
        limits.max_body_bytes = 0;
        const std::string big = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000000\r\n\r\n";
        const Outcome outcome = parse_stream(big, SIZE_MAX, limits);
        CHECK(outcome.error == ParseError::none);
        CHECK(outcome.heads == 1);
        CHECK(outcome.left_incomplete);
    }
    SUBCASE("trailer section (field and value bytes)") {
        const std::string bytes = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                                  "X-Trailer: " + repeated('t', 40) + "\r\n\r\n";
        // The head's header section is 39 bytes; the trailer's field and value 9 + 40.
        check_limit(bytes, &Limits::max_header_bytes, std::size_t{49}, ParseError::header_fields_too_large);
    }
}

TEST_CASE("parser: a trickled endless head is stopped at the limit") {
    Limits limits;
    limits.max_request_line = 64;
    limits.max_header_bytes = 128;
    CollectingSink sink;
    const auto bytes_fed_until_error = [&](std::string_view start, char filler) {
        RequestParser parser(limits);
        std::size_t fed = 0;
        auto result = parser.feed(start, sink);
        fed += start.size();
        const char one[1] = {filler};
        while (result.status == RequestParser::Status::need_more && fed < 100000) {
            result = parser.feed(std::string_view(one, 1), sink);
            ++fed;
        }
        CHECK(result.status == RequestParser::Status::error);
        return std::pair{fed, parser.error()};
    };
    SUBCASE("endless target") {
        const auto [fed, error] = bytes_fed_until_error("GET /", 'a');
        CHECK(error == ParseError::uri_too_long);
        CHECK(fed <= limits.max_request_line + 3);
    }
    SUBCASE("endless header value") {
        const std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        const auto [fed, error] = bytes_fed_until_error(start, 'v');
        CHECK(error == ParseError::header_fields_too_large);
        CHECK(fed == 16 + limits.max_header_bytes + 1); // the first byte over the limit
    }
    SUBCASE("endless whitespace before a value") {
        const auto [fed, error] = bytes_fed_until_error("GET / HTTP/1.1\r\nX-Slow:", ' ');
        CHECK(error == ParseError::header_fields_too_large);
        CHECK(fed == 16 + limits.max_header_bytes + 1);
    }
}

struct SmugglingAttempt {
    const char *what;
    std::string_view bytes;
};
constexpr SmugglingAttempt smuggling_attempts[] = {
    {"obs-fold after an empty Content-Length", fold_after_empty_length},
    {"obs-fold after an empty Transfer-Encoding", fold_after_empty_transfer_encoding},
    {"obs-fold with a tab after an empty value", tab_fold_after_empty_value},
    {"first header line starts with a space", space_before_first_header},
    {"non-empty obs-fold", obs_fold},
    {"bare LF inside the head", bare_lf_inside_head},
    {"bare CR inside the head", bare_cr_inside_head},
    {"bare LF as the head's blank line", bare_lf_blank_line},
    {"chunk data longer than its size", chunk_data_overrun},
    {"chunk data followed by CR CR", chunk_data_then_cr_cr},
    {"chunk data followed by a bare LF", chunk_data_then_bare_lf},
    {"chunk-size line CR followed by another byte", chunk_size_cr_then_other},
    {"chunk-size line ended by a bare LF", chunk_size_bare_lf},
    {"last-chunk line ended by a bare LF", last_chunk_bare_lf},
    {"trailer section ended by a bare LF", trailers_end_with_bare_lf},
    {"empty trailer section ended by a bare LF", no_trailers_end_with_bare_lf},
    {"trailer line ended by a bare LF", trailer_line_bare_lf},
    {"bare CR in a trailer line", trailer_line_bare_cr},
    {"obs-fold in the trailers", trailer_fold},
    {"obs-fold after an empty trailer value", trailer_fold_after_empty_value},
    {"trailer section starting with a space", trailer_starts_with_space},
    {"HTTP/1.0 with Transfer-Encoding: chunked", http10_chunked},
    {"HTTP/1.0 with Transfer-Encoding: gzip (faulty framing before unsupported coding)", http10_gzip},
    {"Host with a space", host_with_space},
    {"Host with bytes outside ASCII", host_not_ascii},
    {"Host '+ 127.0.0.1'", host_plus_space},
    {"Host with a non-digit port", host_bad_port},
    {"Host with an unclosed IP literal", host_open_bracket},
    {"invalid Host on HTTP/1.0", host_invalid_http10},
    {"Content-Length as a trailer", trailer_content_length},
    {"Transfer-Encoding as a trailer", trailer_transfer_encoding},
    {"Host as a trailer, in mixed case", trailer_host},
    {"Authorization as a trailer after an allowed one", trailer_authorization_after_allowed},
    {"If-None-Match as a trailer after data", trailer_if_none_match},
    {"Content-Type as a trailer", trailer_content_type},
    {"Expect as a trailer", trailer_expect},
    {"whitespace between a trailer name and its colon", trailer_space_before_colon},
};

TEST_CASE("parser: smuggling attempts are refused before the request completes, however the bytes are split") {
    for (const SmugglingAttempt &attempt : smuggling_attempts) {
        SUBCASE(attempt.what) {
            // No message completes: the smuggled request behind the first is never reached.
            for_every_split(std::string(attempt.bytes) + std::string(smuggled_get), [](const Outcome &outcome) {
                CHECK(outcome.error == ParseError::bad_request);
                CHECK(outcome.messages.empty());
            });
        }
    }
}

TEST_CASE("parser: chunk data after faulty framing never reaches the sink") {
    const auto check_body = [](std::string_view attempt, std::string_view delivered) {
        const std::string bytes = std::string(attempt) + std::string(smuggled_get);
        for (std::size_t split = 0; split < bytes.size(); ++split) {
            CAPTURE(split);
            const Outcome outcome = parse_split(bytes, split);
            CHECK(outcome.error == ParseError::bad_request);
            CHECK(outcome.heads == 1);
            CHECK(outcome.unfinished_body == delivered);
        }
        CHECK(parse_stream(bytes, 1).unfinished_body == delivered);
    };
    SUBCASE("CR CR after the first chunk: the second chunk is held back") { check_body(chunk_data_then_cr_cr, "xx"); }
    SUBCASE("bytes after the data: the message never completes") { check_body(chunk_data_overrun, "hello"); }
}

TEST_CASE("parser: valid framing next to the smuggling checks, split at every byte boundary") {
    struct Valid {
        std::string_view bytes;
        std::string_view body;
        std::string_view host;
    };
    const Valid valid[] = {
        {chunked_post, "hello world", "x"},
        {chunked_quoted_extension, "abc", "a"},
        {chunked_crlf_in_data, "\r\n0\r\n\r\n", "a"},
        {chunked_two_trailers, "z", "a"},
        {chunked_empty, "", "a"},
        {chunked_allowed_trailers, "ok", "a"},
        {empty_host, "", ""},
        {ipv6_host, "", "[2001:db8::1]:8080"},
        {ipv4_host, "", "127.0.0.1:8000"},
        {ipv_future_host, "", "[v1.fe80::a+en1]"},
        {reg_name_host, "", "xn--bcher-kva.example.%41~!$&'()*+,;="},
        {http10_length_keep_alive, "ok", ""},
        {http10_keep_alive, "", ""},
    };
    for (const Valid &v : valid) {
        const Message whole = parse_every_way(v.bytes);
        CHECK(whole.body == v.body);
        CHECK(whole.request->host == v.host);
        // Trailer fields are dropped, never merged into the headers.
        CHECK(!whole.request->header("x-checksum"));
        CHECK(!whole.request->header("hostname"));
    }
    SUBCASE("a chunked request with trailers, then a pipelined one") {
        const std::string two = std::string(chunked_two_trailers) + std::string(next_get);
        for (std::size_t split = 0; split < two.size(); ++split) {
            CAPTURE(split);
            const Outcome outcome = parse_split(two, split);
            REQUIRE(outcome.error == ParseError::none);
            REQUIRE(outcome.messages.size() == 2);
            CHECK(outcome.messages[0].body == "z");
            CHECK(outcome.messages[1].request->path == "/next");
        }
    }
}
