#include "engine/ascii.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace engine;

TEST_CASE("ascii helpers") {
    CHECK(to_lower_ascii('A') == 'a');
    CHECK(to_lower_ascii('Z') == 'z');
    CHECK(to_lower_ascii('a') == 'a');
    CHECK(to_lower_ascii('[') == '[');
    CHECK(to_lower_ascii('\xc3') == '\xc3');  // bytes above ASCII are left alone, whatever the locale
    CHECK(equals_ignoring_ascii_case("Bytes", "bYTES"));
    CHECK_FALSE(equals_ignoring_ascii_case("bytes", "byte"));
    CHECK_FALSE(equals_ignoring_ascii_case("bytes", "bytez"));
    CHECK(trim_whitespace(" \t a b \t") == "a b");
    CHECK(trim_whitespace(" \t ").empty());
    CHECK(trim_leading_whitespace("  a ") == "a ");
    CHECK(trim_whitespace("\na") == "\na");  // only SP and HTAB are OWS
}

TEST_CASE("lowercase_ascii_in_place and starts_with_ignoring_ascii_case") {
    std::string name = "Content-TYPE@[`{\xc3";
    lowercase_ascii_in_place(name.data(), name.data() + name.size());
    CHECK(name == "content-type@[`{\xc3");  // only A-Z change: the neighbours of the ranges and high bytes stay
    CHECK(starts_with_ignoring_ascii_case("Sec-WebSocket-Protocol: chat", "sec-websocket-protocol: "));
    CHECK(starts_with_ignoring_ascii_case("abc", ""));
    CHECK_FALSE(starts_with_ignoring_ascii_case("sec", "sec-"));
    CHECK_FALSE(starts_with_ignoring_ascii_case("sec-websocket-key: x", "sec-websocket-protocol: "));
}

TEST_CASE("list_contains_token") {
    CHECK(list_contains_token("upgrade", "upgrade"));
    CHECK(list_contains_token(" keep-alive ,\tUpgrade ", "upgrade"));
    CHECK(list_contains_token(",,upgrade,,", "upgrade"));
    CHECK_FALSE(list_contains_token("upgraded", "upgrade"));
    CHECK_FALSE(list_contains_token("", "upgrade"));
    CHECK_FALSE(list_contains_token("keep-alive", "upgrade"));
}

TEST_CASE("is_token") {
    CHECK(is_token("chat"));
    CHECK(is_token("v2.bin+json"));
    CHECK_FALSE(is_token(""));
    CHECK_FALSE(is_token("two words"));
    CHECK_FALSE(is_token("a,b"));
    CHECK_FALSE(is_token("quote\""));
}
