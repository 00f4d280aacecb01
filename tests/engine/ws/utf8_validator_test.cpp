#include "ws/utf8_validator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using engine::ws::is_valid_utf8;
using engine::ws::Utf8Validator;

namespace {

// "κόσμε" (Autobahn 6.2) and one character of each length, including the extremes.
constexpr std::string_view greek_kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
constexpr std::string_view max_code_point = "\xf4\x8f\xbf\xbf";             // U+10FFFF
constexpr std::string_view last_before_surrogates = "\xed\x9f\xbf";       // U+D7FF
constexpr std::string_view first_after_surrogates = "\xee\x80\x80";       // U+E000
constexpr std::string_view euro_sign = "\xe2\x82\xac";
constexpr std::string_view smallest_four_byte = "\xf0\x90\x80\x80";       // U+10000

/// Feeds `text` one byte at a time; true when it is valid and complete.
bool valid_bytewise(std::string_view text) {
    Utf8Validator validator;
    for (char c : text)
        if (!validator.feed(std::string_view(&c, 1))) return false;
    return validator.complete();
}

} // namespace

TEST_CASE("valid UTF-8, whole and byte by byte") {
    for (std::string_view text : {std::string_view(""), std::string_view("plain ascii, longer than one word!"),
                                  greek_kosme, max_code_point, last_before_surrogates, first_after_surrogates,
                                  euro_sign, smallest_four_byte, std::string_view("\xc2\x80"),
                                  std::string_view("\xdf\xbf"), std::string_view("\x00", 1)}) {
        CAPTURE(text);
        CHECK(is_valid_utf8(text));
        CHECK(valid_bytewise(text));
    }
}

TEST_CASE("invalid UTF-8 is rejected") {
    for (std::string_view text : {
             std::string_view("\x80"),              // lone continuation
             std::string_view("\xbf"),
             std::string_view("\xc0\xaf"),          // overlong '/'
             std::string_view("\xc1\xbf"),          // overlong
             std::string_view("\xe0\x80\xaf"),      // overlong 3-byte
             std::string_view("\xe0\x9f\xbf"),      // overlong U+07FF
             std::string_view("\xf0\x8f\xbf\xbf"),  // overlong U+FFFF
             std::string_view("\xed\xa0\x80"),      // surrogate U+D800
             std::string_view("\xed\xbf\xbf"),      // surrogate U+DFFF
             std::string_view("\xf4\x90\x80\x80"),  // U+110000
             std::string_view("\xf5\x80\x80\x80"),
             std::string_view("\xfe"),
             std::string_view("\xff"),
             std::string_view("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "tail"),
             std::string_view("\xc2\x41"),          // lead byte followed by ASCII
         }) {
        CAPTURE(text);
        CHECK_FALSE(is_valid_utf8(text));
        CHECK_FALSE(valid_bytewise(text));
    }
}

TEST_CASE("a truncated sequence is not complete, but not failed either") {
    Utf8Validator validator;
    CHECK(validator.feed("abc\xe2\x82"));
    CHECK_FALSE(validator.complete());
    CHECK_FALSE(validator.failed());
    CHECK(validator.feed("\xac"));
    CHECK(validator.complete());
}

TEST_CASE("a code point split across feeds at every position") {
    const std::string text = std::string("ascii prefix ") + std::string(greek_kosme) + std::string(max_code_point);
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        Utf8Validator validator;
        CAPTURE(cut);
        CHECK(validator.feed(std::string_view(text).substr(0, cut)));
        CHECK(validator.feed(std::string_view(text).substr(cut)));
        CHECK(validator.complete());
    }
}

TEST_CASE("failure is sticky until reset; invalid bytes after a long ASCII run are found") {
    Utf8Validator validator;
    const std::string long_ascii(100, 'a');
    CHECK(validator.feed(long_ascii));
    CHECK_FALSE(validator.feed(std::string(17, 'b') + "\xff" + "cc"));
    CHECK(validator.failed());
    CHECK_FALSE(validator.feed("ok"));
    CHECK_FALSE(validator.complete());
    validator.reset();
    CHECK(validator.feed("ok"));
    CHECK(validator.complete());
}
