#include "http/trailer_fields.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using engine::http::is_forbidden_trailer;
using engine::http::TrailerFieldName;

namespace {

// The name fed in pieces of `piece_size` bytes, as llhttp reports one split across feed() calls.
const char *fault_of(std::string_view name, std::size_t piece_size) {
    TrailerFieldName check;
    check.reset();
    for (std::size_t at = 0; at < name.size(); at += piece_size) check.append(name.substr(at, piece_size));
    return check.fault();
}

} // namespace

TEST_CASE("trailer_fields: RFC 9110 6.5.1's kinds of fields are forbidden") {
    for (const std::string_view name : {
             "content-length", "transfer-encoding",                                      // framing
             "host",                                                                     // routing
             "cache-control", "expect", "max-forwards", "pragma", "range", "te",         // controls
             "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "if",
             "if-schedule-tag-match",                                                    // conditionals
             "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "cookie",
             "set-cookie",                                                               // authentication
             "content-encoding", "content-type", "content-range", "trailer",             // content metadata
         }) {
        CAPTURE(name);
        CHECK(is_forbidden_trailer(name));
    }
}

TEST_CASE("trailer_fields: other fields are allowed") {
    for (const std::string_view name : {"x-checksum", "server-timing", "authentication-info", "digest", "etag",
                                        "content-md5", "hostname", "x-host", "i", "iff", "t", "tee", "trailers",
                                        "content-lengthx", "cookies", ""}) {
        CAPTURE(name);
        CHECK(!is_forbidden_trailer(name));
    }
}

TEST_CASE("trailer_fields: a name arriving in pieces, in any case") {
    for (const std::size_t piece_size : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{100}}) {
        CAPTURE(piece_size);
        CHECK(fault_of("Content-Length", piece_size) != nullptr);
        CHECK(fault_of("HOST", piece_size) != nullptr);
        CHECK(fault_of("If-None-Match", piece_size) != nullptr);
        CHECK(fault_of("X-Checksum", piece_size) == nullptr);
        // Longer than what is kept: no forbidden name, unless If-*.
        CHECK(fault_of("X-" + std::string(60, 'a'), piece_size) == nullptr);
        CHECK(fault_of("Content-Length" + std::string(30, 'x'), piece_size) == nullptr);
        CHECK(fault_of("If-" + std::string(60, 'a'), piece_size) != nullptr);
        // RFC 9112 5.1: no whitespace before the colon, in trailers as in the head.
        CHECK(fault_of("X-Checksum ", piece_size) != nullptr);
        CHECK(fault_of("X-Checksum\t", piece_size) != nullptr);
    }
}

TEST_CASE("trailer_fields: reset between names") {
    TrailerFieldName check;
    check.append("Ho");
    check.append("st");
    CHECK(check.fault() != nullptr);
    check.reset();
    check.append("X-A");
    CHECK(check.fault() == nullptr);
    check.reset();
    CHECK(check.fault() == nullptr); // an empty name is llhttp's to refuse
}

TEST_CASE("trailer_fields: what a response may send as a trailer, in any case") {
    CHECK(engine::http::may_send_as_trailer("Grpc-Status"));
    CHECK(engine::http::may_send_as_trailer("Server-Timing"));
    CHECK_FALSE(engine::http::may_send_as_trailer("Content-Length"));
    CHECK_FALSE(engine::http::may_send_as_trailer("SET-COOKIE"));
    CHECK_FALSE(engine::http::may_send_as_trailer("If-A-Conditional-Name-Longer-Than-Any-Kept"));
    CHECK(engine::http::may_send_as_trailer("X-A-Name-Much-Longer-Than-The-Kept-Prefix-Is"));
}

TEST_CASE("trailer_fields: field lines split one by one, values trimmed, nameless lines skipped") {
    std::string_view lines = "A: 1\r\n: skipped\r\nno colon\r\nB:two  \r\nC: last";
    engine::http::FieldLineView field;
    REQUIRE(engine::http::next_field_line(lines, field));
    CHECK(field.name == "A");
    CHECK(field.value == "1");
    CHECK(field.line == "A: 1");
    REQUIRE(engine::http::next_field_line(lines, field));
    CHECK(field.name == "B");
    CHECK(field.value == "two");
    REQUIRE(engine::http::next_field_line(lines, field));
    CHECK(field.line == "C: last");
    CHECK_FALSE(engine::http::next_field_line(lines, field));
}
