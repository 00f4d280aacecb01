#include "files/etag.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

using engine::files::EntityTag;
using engine::files::etags_match_strong;
using engine::files::if_none_match_matches;

TEST_CASE("EntityTag: hex fields of size, mtime ns and inode") {
    CHECK(EntityTag(0, 0, 0).view() == "\"0-0-0\"");
    CHECK(EntityTag(0x1234, 0x17a2b3c4d5e6f708, 42).view() == "\"1234-17a2b3c4d5e6f708-2a\"");
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    CHECK(EntityTag(max, std::numeric_limits<std::int64_t>::max(), max).view() ==
          "\"ffffffffffffffff-7fffffffffffffff-ffffffffffffffff\"");
    SUBCASE("each field changes the tag") {
        std::string base(EntityTag(10, 20, 30).view());
        CHECK(EntityTag(11, 20, 30).view() != base);
        CHECK(EntityTag(10, 21, 30).view() != base);
        CHECK(EntityTag(10, 20, 31).view() != base);
    }
}

TEST_CASE("etags_match_strong: RFC 9110 §8.8.3.2 table") {
    CHECK_FALSE(etags_match_strong("W/\"1\"", "W/\"1\""));
    CHECK_FALSE(etags_match_strong("W/\"1\"", "W/\"2\""));
    CHECK_FALSE(etags_match_strong("W/\"1\"", "\"1\""));
    CHECK(etags_match_strong("\"1\"", "\"1\""));
    CHECK_FALSE(etags_match_strong("\"1\"", "\"2\""));
    CHECK(etags_match_strong("  \"1\" ", "\"1\""));
    SUBCASE("malformed tags never match") {
        CHECK_FALSE(etags_match_strong("1", "1"));
        CHECK_FALSE(etags_match_strong("\"1", "\"1"));
        CHECK_FALSE(etags_match_strong("\"1\"x", "\"1\"x"));
        CHECK_FALSE(etags_match_strong("w/\"1\"", "w/\"1\""));  // W/ is case-sensitive
        CHECK_FALSE(etags_match_strong("", ""));
    }
}

TEST_CASE("if_none_match_matches: weak comparison over a list") {
    const std::string_view current = "\"abc-1\"";
    CHECK(if_none_match_matches("\"abc-1\"", current));
    CHECK(if_none_match_matches("W/\"abc-1\"", current));
    CHECK(if_none_match_matches("\"x\", \"abc-1\"", current));
    CHECK(if_none_match_matches("\"x\",W/\"abc-1\",\"y\"", current));
    CHECK(if_none_match_matches(" , ,\"abc-1\" ,", current));  // empty list elements are ignored
    CHECK(if_none_match_matches("*", current));
    CHECK(if_none_match_matches("  *  ", current));
    CHECK_FALSE(if_none_match_matches("\"abc-2\"", current));
    CHECK_FALSE(if_none_match_matches("\"x\", \"y\"", current));
    CHECK_FALSE(if_none_match_matches("", current));
    CHECK_FALSE(if_none_match_matches("abc-1", current));  // unquoted
    CHECK_FALSE(if_none_match_matches("\"ABC-1\"", current));  // opaque tags compare byte for byte
    SUBCASE("a comma inside a tag is part of the tag") {
        CHECK(if_none_match_matches("\"a,b\"", "\"a,b\""));
        CHECK_FALSE(if_none_match_matches("\"a,b\"", "\"a\""));
    }
    SUBCASE("a malformed list matches nothing, even if a good tag precedes the damage") {
        CHECK_FALSE(if_none_match_matches("\"abc-1\" junk", current));
        CHECK_FALSE(if_none_match_matches("\"abc-1\", \"unterminated", current));
        CHECK_FALSE(if_none_match_matches("*, \"abc-1\"", current));  // "*" must stand alone
        CHECK_FALSE(if_none_match_matches("*, \"x\"", current));
    }
}
