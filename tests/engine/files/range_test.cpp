#include "files/range.hpp"

#include <doctest/doctest.h>

#include <string>

#include "files/etag.hpp"

using engine::files::ByteRange;
using engine::files::if_range_allows_range;
using engine::files::parse_range;
using engine::files::RangeOutcome;

namespace {
bool is_range(ByteRange range, std::uint64_t offset, std::uint64_t length) {
    return range.outcome == RangeOutcome::satisfiable && range.offset == offset && range.length == length;
}
bool is_whole(ByteRange range) { return range.outcome == RangeOutcome::whole_file; }
bool is_unsatisfiable(ByteRange range) { return range.outcome == RangeOutcome::unsatisfiable; }
} // namespace

TEST_CASE("parse_range: the three forms") {
    CHECK(is_range(parse_range("bytes=0-99", 1000), 0, 100));
    CHECK(is_range(parse_range("bytes=5-5", 1000), 5, 1));
    CHECK(is_range(parse_range("bytes=500-", 1000), 500, 500));
    CHECK(is_range(parse_range("bytes=-100", 1000), 900, 100));
    CHECK(is_range(parse_range("bytes=999-", 1000), 999, 1));
    CHECK(is_range(parse_range("BYTES=0-0", 1000), 0, 1));  // the unit is case-insensitive
    CHECK(is_range(parse_range("bytes= 0-9 ", 1000), 0, 10));
}

TEST_CASE("parse_range: clamping at the end of the file") {
    CHECK(is_range(parse_range("bytes=900-2000", 1000), 900, 100));
    CHECK(is_range(parse_range("bytes=0-99999999999999999999999999", 1000), 0, 1000));  // overlong last-pos
    CHECK(is_range(parse_range("bytes=-5000", 1000), 0, 1000));  // suffix longer than the file
    CHECK(is_range(parse_range("bytes=-99999999999999999999999999", 1000), 0, 1000));
}

TEST_CASE("parse_range: unsatisfiable -> 416") {
    CHECK(is_unsatisfiable(parse_range("bytes=1000-", 1000)));
    CHECK(is_unsatisfiable(parse_range("bytes=1000-1001", 1000)));
    CHECK(is_unsatisfiable(parse_range("bytes=99999999999999999999999999-", 1000)));  // overlong first-pos
    CHECK(is_unsatisfiable(parse_range("bytes=5-2", 1000)));  // last < first
    CHECK(is_unsatisfiable(parse_range("bytes=-0", 1000)));
}

TEST_CASE("parse_range: empty file") {
    CHECK(is_unsatisfiable(parse_range("bytes=0-", 0)));
    CHECK(is_unsatisfiable(parse_range("bytes=0-0", 0)));
    CHECK(is_unsatisfiable(parse_range("bytes=-0", 0)));
    // "the last 10 bytes" of nothing is nothing; no Content-Range can say that, so the empty 200 it is.
    CHECK(is_whole(parse_range("bytes=-10", 0)));
}

TEST_CASE("parse_range: ignored -> whole file") {
    CHECK(is_whole(parse_range("items=0-5", 1000)));  // unknown unit
    CHECK(is_whole(parse_range("bytes=0-1,5-6", 1000)));  // several ranges
    CHECK(is_whole(parse_range("bytes=0-1, -5", 1000)));
    CHECK(is_whole(parse_range("bytes", 1000)));
    CHECK(is_whole(parse_range("bytes=", 1000)));
    CHECK(is_whole(parse_range("bytes=,", 1000)));
    CHECK(is_whole(parse_range("bytes=abc", 1000)));
    CHECK(is_whole(parse_range("bytes=1-x", 1000)));
    CHECK(is_whole(parse_range("bytes=-", 1000)));
    CHECK(is_whole(parse_range("bytes=--5", 1000)));
    CHECK(is_whole(parse_range("bytes=+1-2", 1000)));
    CHECK(is_whole(parse_range("bytes =0-1", 1000)));  // no whitespace allowed around '='
    CHECK(is_whole(parse_range("", 1000)));
    SUBCASE("empty list elements are not extra ranges") {
        CHECK(is_range(parse_range("bytes=,0-1,", 1000), 0, 2));
    }
}

TEST_CASE("if_range_allows_range") {
    const engine::files::EntityTag etag(1000, 1'700'000'000'000'000'000, 7);
    const std::time_t modified = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
    const std::time_t now = modified + 3600;
    SUBCASE("entity tags compare strongly") {
        CHECK(if_range_allows_range(etag.view(), etag.view(), modified, now));
        CHECK_FALSE(if_range_allows_range("\"other\"", etag.view(), modified, now));
        CHECK_FALSE(if_range_allows_range(std::string("W/") + std::string(etag.view()), etag.view(), modified, now));
    }
    SUBCASE("dates must equal Last-Modified exactly") {
        CHECK(if_range_allows_range("Sun, 06 Nov 1994 08:49:37 GMT", etag.view(), modified, now));
        CHECK_FALSE(if_range_allows_range("Sun, 06 Nov 1994 08:49:38 GMT", etag.view(), modified, now));
        CHECK_FALSE(if_range_allows_range("Sun, 06 Nov 1994 08:49:36 GMT", etag.view(), modified, now));
    }
    SUBCASE("a date is not a strong validator within the modification second") {
        CHECK_FALSE(if_range_allows_range("Sun, 06 Nov 1994 08:49:37 GMT", etag.view(), modified, modified));
        CHECK(if_range_allows_range("Sun, 06 Nov 1994 08:49:37 GMT", etag.view(), modified, modified + 1));
    }
    SUBCASE("garbage means the whole file") {
        CHECK_FALSE(if_range_allows_range("yesterday", etag.view(), modified, now));
        CHECK_FALSE(if_range_allows_range("", etag.view(), modified, now));
    }
}
