#include "files/ascii.hpp"

#include <doctest/doctest.h>

using namespace engine::files;

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
