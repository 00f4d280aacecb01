#include "http/line_rules.hpp"

#include <doctest/doctest.h>

#include <string_view>

using engine::http::ChunkedLineCheck;
using engine::http::head_line_fault;
using namespace std::string_view_literals;

TEST_CASE("line rules: heads") {
    for (const std::string_view head : {"GET / HTTP/1.1\r\nHost: a\r\n\r\n"sv, "GET / HTTP/1.0\r\n\r\n"sv,
                                        "GET / HTTP/1.1\r\nHost: a\r\nX: b\tc \r\nY:\r\n\r\n"sv}) {
        CAPTURE(head);
        CHECK(head_line_fault(head) == nullptr);
    }
    for (const std::string_view head :
         {"GET / HTTP/1.1\nHost: a\r\n\r\n"sv, "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"sv,
          "GET / HTTP/1.1\r\nHost: a\r\n\n"sv, "\nGET / HTTP/1.1\r\n\r\n"sv,
          "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"sv, "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"sv,
          "GET / HTTP/1.1\r\nX:\r\n 5\r\n\r\n"sv, "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"sv,
          "GET / HTTP/1.1\r\n Host: a\r\n\r\n"sv, "GET / HTTP/1.1\r\nHost: a\r\n"sv,
          "GET / HTTP/1.1\r\nHost: a\r\n\r"sv}) {
        CAPTURE(head);
        CHECK(head_line_fault(head) != nullptr);
    }
}

namespace {

// Drives the checker as the parser does for `3\r\nabc\r\n0\r\n<trailers>`: llhttp announces each chunk as it
// consumes its size line, before the checker sees that line's last byte; data is reported as it arrives.
const char *check_body_with_trailers(ChunkedLineCheck &check, std::string_view trailers) {
    check.reset();
    check.announce_chunk(3);
    if (const char *fault = check.framing("3;ext=\"q v\"\r\n")) return fault;
    if (const char *fault = check.data(1)) return fault;
    if (const char *fault = check.data(2)) return fault;
    check.announce_chunk(0);
    if (const char *fault = check.framing("\r\n0\r\n")) return fault;
    return check.framing(trailers);
}

} // namespace

TEST_CASE("line rules: chunked bodies") {
    ChunkedLineCheck check;
    SUBCASE("well-formed, with and without trailers") {
        for (const std::string_view trailers : {"\r\n"sv, "X: y\r\n\r\n"sv, "X:\r\nY: a b\r\n\r\n"sv}) {
            CAPTURE(trailers);
            CHECK(check_body_with_trailers(check, trailers) == nullptr);
            CHECK(check.complete());
        }
    }
    SUBCASE("incomplete until the blank line's LF") {
        CHECK(check_body_with_trailers(check, "X: y\r\n\r") == nullptr);
        CHECK(!check.complete());
        CHECK(check.framing("\n") == nullptr);
        CHECK(check.complete());
        CHECK(check.framing("G") != nullptr); // nothing belongs to the body after its end
    }
    SUBCASE("faulty trailer sections") {
        for (const std::string_view trailers : {"\n"sv, "X: y\r\n\n"sv, "X: y\nZ: w\r\n\r\n"sv, "X: y\rZ\r\n\r\n"sv,
                                                " X: y\r\n\r\n"sv, "X: y\r\n z\r\n\r\n"sv, "X:\r\n\tz\r\n\r\n"sv,
                                                "\r\r\n"sv}) {
            CAPTURE(trailers);
            CHECK(check_body_with_trailers(check, trailers) != nullptr);
            CHECK(!check.complete());
        }
    }
    SUBCASE("the CRLF after chunk data is checked byte for byte") {
        for (const std::string_view after : {"XX"sv, "\r\r"sv, "\n\n"sv, "\nX"sv, "\rX"sv, "X\n"sv}) {
            CAPTURE(after);
            check.reset();
            check.announce_chunk(5);
            CHECK(check.framing("5\r\n") == nullptr);
            CHECK(check.data(5) == nullptr);
            CHECK(check.framing(after) != nullptr);
        }
    }
    SUBCASE("chunk-size lines end in CRLF") {
        for (const std::string_view line : {"5\n"sv, "5\rX"sv, "5;a\r\r"sv}) {
            CAPTURE(line);
            check.reset();
            check.announce_chunk(5);
            CHECK(check.framing(line) != nullptr);
        }
    }
    SUBCASE("data must match the announced size") {
        check.announce_chunk(2);
        CHECK(check.framing("2\r\n") == nullptr);
        CHECK(check.data(3) != nullptr);

        check.reset();
        check.announce_chunk(2);
        CHECK(check.framing("2\r\n") == nullptr);
        CHECK(check.data(1) == nullptr);
        CHECK(check.framing("\r") != nullptr); // framing where one data byte is still due

        check.reset();
        check.announce_chunk(0);
        CHECK(check.framing("0\r\n") == nullptr);
        CHECK(check.data(1) != nullptr); // data after the last chunk

        check.reset();
        check.announce_chunk(4);
        CHECK(check.framing("4\r\n") == nullptr);
        CHECK(check.framing("\r") != nullptr); // the size promised data
    }
    SUBCASE("empty data reports change nothing") {
        check.announce_chunk(1);
        CHECK(check.framing("1\r\n") == nullptr);
        CHECK(check.data(0) == nullptr);
        CHECK(check.data(1) == nullptr);
        CHECK(check.data(0) == nullptr);
        check.announce_chunk(0);
        CHECK(check.framing("\r\n0\r\n\r\n") == nullptr);
        CHECK(check.complete());
    }
    SUBCASE("a fault is final until reset") {
        CHECK(check.framing("\n") != nullptr);
        CHECK(check.framing("5\r\n") != nullptr);
        CHECK(check.data(1) != nullptr);
        CHECK(check_body_with_trailers(check, "\r\n") == nullptr); // resets first
        CHECK(check.complete());
    }
}
