#include "http2/preface.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::http2::client_preface;
using engine::http2::match_client_preface;
using engine::http2::PrefaceMatch;

TEST_CASE("preface: the client preface and its prefixes") {
    CHECK(match_client_preface(client_preface) == PrefaceMatch::http2);
    CHECK(match_client_preface(std::string(client_preface) + std::string("\x00\x00\x00\x04", 4)) == PrefaceMatch::http2);
    CHECK(match_client_preface("PRI ") == PrefaceMatch::http2);
    // Fewer than four bytes could still start POST, PUT or PATCH.
    CHECK(match_client_preface("P") == PrefaceMatch::need_more);
    CHECK(match_client_preface("PRI") == PrefaceMatch::need_more);
    CHECK(match_client_preface("") == PrefaceMatch::need_more);
}

TEST_CASE("preface: HTTP/1 requests and a preface gone wrong") {
    CHECK(match_client_preface("POST / HTTP/1.1\r\n") == PrefaceMatch::http1);
    CHECK(match_client_preface("PUT") == PrefaceMatch::http1);
    CHECK(match_client_preface("GET / HTTP/1.1\r\n") == PrefaceMatch::http1);
    CHECK(match_client_preface("PRI * HTTP/1.1\r\n") == PrefaceMatch::http1);  // not the preface past byte 11
}
