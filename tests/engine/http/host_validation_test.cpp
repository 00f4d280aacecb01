#include "http/host_validation.hpp"

#include <doctest/doctest.h>

#include <string_view>

using engine::http::is_valid_host;
using namespace std::string_view_literals;

TEST_CASE("host validation: reg-name and IPv4, with or without a port") {
    for (const std::string_view host : {""sv, "a"sv, "example.com"sv, "EXAMPLE.com"sv, "localhost:8000"sv, "a:"sv,
                                        ":80"sv, "127.0.0.1"sv, "127.0.0.1:65535"sv, "xn--bcher-kva.example"sv,
                                        "a-b_c~d.e"sv, "%41%7e"sv, "!$&'()*+,;="sv, "999.1.1.1"sv, "a:0123456789"sv}) {
        CAPTURE(host);
        CHECK(is_valid_host(host));
    }
}

TEST_CASE("host validation: characters outside the authority grammar") {
    for (const std::string_view host :
         {"a b"sv, "+ 127.0.0.1"sv, "\x85\xb1\x61"sv, "a\tb"sv, "a/b"sv, "a?b"sv, "a#b"sv, "user@a"sv, "a\"b"sv,
          "a<b"sv, "a\\b"sv, "a^b"sv, "a`b"sv, "a{b"sv, "a|b"sv, "a%"sv, "a%4"sv, "a%zz"sv, "a%4g"sv, "\x7f"sv,
          "a\0b"sv, "a:8x"sv, "a:-1"sv, "a:80:80"sv, "a: 80"sv, " a"sv}) {
        CAPTURE(host);
        CHECK(!is_valid_host(host));
    }
}

TEST_CASE("host validation: IPv6 literals") {
    for (const std::string_view host :
         {"[::]"sv, "[::1]"sv, "[::1]:8080"sv, "[::1]:"sv, "[2001:db8::1]"sv, "[2001:DB8:0:0:8:800:200C:417A]"sv,
          "[1:2:3:4:5:6:7:8]"sv, "[1::]"sv, "[1:2:3:4:5:6:7::]"sv, "[::2:3:4:5:6:7:8]"sv, "[1::8]"sv,
          "[::ffff:192.0.2.1]"sv, "[1:2:3:4:5:6:1.2.3.4]"sv, "[::1.2.3.4]"sv, "[fe80::1:2]"sv}) {
        CAPTURE(host);
        CHECK(is_valid_host(host));
    }
    for (const std::string_view host :
         {"[]"sv, "[::1"sv, "::1"sv, "[::1]x"sv, "[::1]:x"sv, "[::1]]"sv, "[:::]"sv, "[1:2:3:4:5:6:7]"sv,
          "[1:2:3:4:5:6:7:8:9]"sv, "[1:2:3:4:5:6:7:8::]"sv, "[::1:2:3:4:5:6:7:8]"sv, "[1::2::3]"sv, "[:1]"sv,
          "[1:]"sv, "[12345::]"sv, "[g::]"sv, "[1.2.3.4]"sv, "[::1.2.3]"sv, "[::1.2.3.4.5]"sv, "[::256.1.1.1]"sv,
          "[::01.1.1.1]"sv, "[::1.2.3.4:5]"sv, "[1:2:3:4:5:6:7:1.2.3.4]"sv, "[::1%25eth0]"sv, "[a b]"sv}) {
        CAPTURE(host);
        CHECK(!is_valid_host(host));
    }
}

TEST_CASE("host validation: IPvFuture literals") {
    for (const std::string_view host : {"[v1.x]"sv, "[V7.a:b]"sv, "[vF.fe80::a+en1]:80"sv, "[v1a.~!$]"sv}) {
        CAPTURE(host);
        CHECK(is_valid_host(host));
    }
    for (const std::string_view host : {"[v.x]"sv, "[v1.]"sv, "[v1]"sv, "[vg.x]"sv, "[v1.a b]"sv, "[v1.a/b]"sv,
                                        "[w1.x]"sv}) {
        CAPTURE(host);
        CHECK(!is_valid_host(host));
    }
}
