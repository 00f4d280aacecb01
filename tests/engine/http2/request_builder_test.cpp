#include "http2/request_builder.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::http2::RequestBuilder;
using Verdict = engine::http2::RequestBuilder::Verdict;

namespace {

void add_request_line(RequestBuilder &builder, std::string_view method = "GET", std::string_view path = "/p?q=1") {
    builder.add(":method", method);
    builder.add(":scheme", "https");
    builder.add(":authority", "example.test:8443");
    builder.add(":path", path);
}

} // namespace

TEST_CASE("request builder: pseudo-header fields become the request line and Host") {
    engine::Limits limits;
    RequestBuilder builder(limits);
    add_request_line(builder);
    builder.add("cookie", "a=1");
    builder.add("accept", "*/*");
    builder.add("cookie", "b=2");
    builder.add("host", "ignored.test");
    REQUIRE(builder.finish(true) == Verdict::ok);
    const auto request = builder.take_request();
    CHECK(request->method == "GET");
    CHECK(request->target == "/p?q=1");
    CHECK(request->path == "/p");
    CHECK(request->query == "q=1");
    CHECK(request->http_major == 2);
    CHECK(request->host == "example.test:8443");
    CHECK_FALSE(request->has_body());
    REQUIRE(request->headers.size() == 3);
    CHECK(request->headers[0].name == "host");
    CHECK(request->headers[0].value == "example.test:8443");  // :authority wins over a Host field
    CHECK(request->headers[1].name == "cookie");
    CHECK(request->headers[1].value == "a=1; b=2");  // RFC 9113 8.2.3
    CHECK(request->headers[2].name == "accept");
}

TEST_CASE("request builder: bodies with and without content-length") {
    engine::Limits limits;
    SUBCASE("declared") {
        RequestBuilder builder(limits);
        add_request_line(builder, "POST");
        builder.add("content-length", "11");
        REQUIRE(builder.finish(false) == Verdict::ok);
        const auto request = builder.take_request();
        CHECK(request->content_length == 11u);
        CHECK_FALSE(request->chunked);
    }
    SUBCASE("unknown length reads as chunked") {
        RequestBuilder builder(limits);
        add_request_line(builder, "POST");
        REQUIRE(builder.finish(false) == Verdict::ok);
        const auto request = builder.take_request();
        CHECK(request->chunked);
        CHECK(request->has_body());
    }
    SUBCASE("a bad content-length") {
        RequestBuilder builder(limits);
        add_request_line(builder, "POST");
        builder.add("content-length", "1x");
        CHECK(builder.finish(false) == Verdict::bad_request);
    }
}

TEST_CASE("request builder: limits, CONNECT and missing fields") {
    engine::Limits limits;
    limits.max_header_bytes = 256;
    limits.max_header_count = 3;
    SUBCASE("too many bytes") {
        RequestBuilder builder(limits);
        add_request_line(builder);
        builder.add("x-big", std::string(300, 'x'));
        CHECK(builder.finish(true) == Verdict::too_large);
    }
    SUBCASE("too many fields") {
        RequestBuilder builder(limits);
        add_request_line(builder);
        for (int i = 0; i < 4; ++i) builder.add("x-f", "v");
        CHECK(builder.finish(true) == Verdict::too_large);
    }
    SUBCASE("CONNECT") {
        RequestBuilder builder(limits);
        builder.add(":method", "CONNECT");
        builder.add(":authority", "example.test:443");
        CHECK(builder.finish(false) == Verdict::connect);
    }
    SUBCASE("no :path") {
        RequestBuilder builder(limits);
        builder.add(":method", "GET");
        builder.add(":scheme", "http");
        builder.add(":authority", "example.test");
        CHECK(builder.finish(true) == Verdict::bad_request);
    }
}
