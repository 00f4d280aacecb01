#include "http/date_cache.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::http::DateCache;
using engine::http::format_http_date;
using engine::http::http_date_length;
using engine::http::parse_http_date;

namespace {

std::string formatted(std::time_t when) {
    char text[http_date_length];
    format_http_date(when, text);
    return std::string(text, http_date_length);
}

constexpr std::time_t rfc_example = 784111777;  // the example date of RFC 9110 5.6.7
constexpr std::time_t year_2025 = 1735689600;   // 2025-01-01T00:00:00Z

} // namespace

TEST_CASE("format_http_date writes IMF-fixdate") {
    SUBCASE("the RFC example") { CHECK(formatted(rfc_example) == "Sun, 06 Nov 1994 08:49:37 GMT"); }
    SUBCASE("the epoch") { CHECK(formatted(0) == "Thu, 01 Jan 1970 00:00:00 GMT"); }
    SUBCASE("a leap day") { CHECK(formatted(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT"); }
    SUBCASE("last second of a year") { CHECK(formatted(year_2025 - 1) == "Tue, 31 Dec 2024 23:59:59 GMT"); }
    SUBCASE("beyond 2038") { CHECK(formatted(4102444800) == "Fri, 01 Jan 2100 00:00:00 GMT"); }
    SUBCASE("before the epoch") { CHECK(formatted(-1) == "Wed, 31 Dec 1969 23:59:59 GMT"); }
}

TEST_CASE("parse_http_date accepts the three forms") {
    SUBCASE("IMF-fixdate") { CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", year_2025) == rfc_example); }
    SUBCASE("RFC 850") { CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", year_2025) == rfc_example); }
    SUBCASE("asctime with a space-padded day") {
        CHECK(parse_http_date("Sun Nov  6 08:49:37 1994", year_2025) == rfc_example);
    }
    SUBCASE("asctime with a two-digit day") {
        CHECK(parse_http_date("Wed Nov 16 08:49:37 1994", year_2025) == rfc_example + 10 * 86400);
    }
    SUBCASE("a leap second counts as the next minute") {
        CHECK(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", year_2025) == 1483228800);
    }
    SUBCASE("round trip over many instants") {
        for (std::time_t when = 0; when < 4'000'000'000; when += 9'876'543)
            CHECK(parse_http_date(formatted(when), year_2025) == when);
    }
    SUBCASE("the one-argument form reads the clock") {
        CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == rfc_example);
    }
}

TEST_CASE("RFC 850 two-digit years are resolved against now") {
    // RFC 9110: a year more than 50 years in the future means the most recent past such year.
    SUBCASE("the near future stays in this century") {
        CHECK(parse_http_date("Monday, 01-Jan-74 00:00:00 GMT", year_2025) ==
              parse_http_date("Mon, 01 Jan 2074 00:00:00 GMT", year_2025));
    }
    SUBCASE("more than 50 years ahead goes back a century") {
        CHECK(parse_http_date("Saturday, 01-Jan-76 00:00:00 GMT", year_2025) ==
              parse_http_date("Thu, 01 Jan 1976 00:00:00 GMT", year_2025));
    }
    SUBCASE("this year") {
        CHECK(parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT", year_2025) == year_2025);
    }
}

TEST_CASE("parse_http_date rejects everything else") {
    const char *garbage[] = {
        "",
        "garbage",
        "Sun, 06 Nov 1994 08:49:37",          // no zone
        "Sun, 06 Nov 1994 08:49:37 UTC",      // zone must be GMT
        "Sun, 06 Nov 1994 08:49:37 GMT ",     // trailing byte
        " Sun, 06 Nov 1994 08:49:37 GMT",     // leading byte
        "Sun, 6 Nov 1994 08:49:37 GMT",       // one-digit day
        "Sun, 06 Nov 94 08:49:37 GMT",        // two-digit year in IMF-fixdate
        "Sun, 06 nov 1994 08:49:37 GMT",      // month is case-sensitive
        "Sun, 06 Foo 1994 08:49:37 GMT",      // no such month
        "Xyz, 06 Nov 1994 08:49:37 GMT",      // no such day
        "Sun, 31 Apr 1994 08:49:37 GMT",      // no such date
        "Sun, 29 Feb 1900 08:49:37 GMT",      // 1900 is not a leap year
        "Sun, 00 Nov 1994 08:49:37 GMT",      // day zero
        "Sun, 06 Nov 1994 24:00:00 GMT",      // hour 24
        "Sun, 06 Nov 1994 08:60:00 GMT",      // minute 60
        "Sun, 06 Nov 1994 08:49:61 GMT",      // second 61
        "Sun, 06 Nov 1994 08-49-37 GMT",      // wrong separators
        "Sun, 06 Nov 1994 08:49:3",           // truncated
        "Sunday, 06-Nov-1994 08:49:37 GMT",   // four-digit year in RFC 850
        "Sunday, 06 Nov 94 08:49:37 GMT",     // RFC 850 needs dashes
        "Sun Nov 6 08:49:37 1994",            // asctime needs a padded day
        "Sun Nov  6 08:49:37 94",             // asctime needs four year digits
        "Sun Nov  6 08:49:37 1994 GMT",       // asctime has no zone
    };
    for (const char *text : garbage) {
        CAPTURE(text);
        CHECK_FALSE(parse_http_date(text, year_2025).has_value());
    }
    SUBCASE("embedded NUL") {
        CHECK_FALSE(parse_http_date(std::string_view("Sun, 06 Nov 1994 08:49:37 GMT\0", 30), year_2025));
    }
}

TEST_CASE("DateCache") {
    SUBCASE("refresh pins the value until now() sees another second") {
        DateCache cache;
        cache.refresh(rfc_example);
        CHECK(cache.current() == "Sun, 06 Nov 1994 08:49:37 GMT");
        // now() reads the real clock, which is not 1994, so it must move on.
        CHECK(cache.now() != "Sun, 06 Nov 1994 08:49:37 GMT");
        CHECK(cache.current() == cache.now());
    }
    SUBCASE("now() is the wall clock's second") {
        DateCache cache;
        const std::time_t before = std::time(nullptr);
        const auto parsed = parse_http_date(cache.now());
        const std::time_t after = std::time(nullptr);
        REQUIRE(parsed.has_value());
        // The coarse clock may lag the precise one by a tick, never by a second.
        CHECK(*parsed >= before - 1);
        CHECK(*parsed <= after);
    }
    SUBCASE("repeated calls in one second return the same bytes") {
        DateCache cache;
        const std::string first(cache.now());
        const std::string second(cache.now());
        if (first != second) {
            // The second just rolled over; then the next pair is certainly within one second.
            CHECK(std::string(cache.now()) == std::string(cache.now()));
        }
    }
}
