#include "files/conditional.hpp"

#include <doctest/doctest.h>

using engine::files::is_not_modified;

TEST_CASE("is_not_modified") {
    const std::string_view etag = "\"3e8-1-7\"";
    const std::time_t modified = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
    const std::optional<std::string_view> absent;

    SUBCASE("no conditional headers: full response") { CHECK_FALSE(is_not_modified(absent, absent, etag, modified)); }
    SUBCASE("If-None-Match") {
        CHECK(is_not_modified("\"3e8-1-7\"", absent, etag, modified));
        CHECK(is_not_modified("W/\"3e8-1-7\"", absent, etag, modified));
        CHECK(is_not_modified("\"a\", \"3e8-1-7\"", absent, etag, modified));
        CHECK(is_not_modified("*", absent, etag, modified));
        CHECK_FALSE(is_not_modified("\"3e8-1-8\"", absent, etag, modified));
    }
    SUBCASE("If-Modified-Since") {
        CHECK(is_not_modified(absent, "Sun, 06 Nov 1994 08:49:37 GMT", etag, modified));
        CHECK(is_not_modified(absent, "Sun, 06 Nov 1994 08:49:38 GMT", etag, modified));
        CHECK(is_not_modified(absent, "Sunday, 06-Nov-94 08:49:37 GMT", etag, modified));  // RFC 850 form
        CHECK(is_not_modified(absent, "Sun Nov  6 08:49:37 1994", etag, modified));         // asctime form
        CHECK_FALSE(is_not_modified(absent, "Sun, 06 Nov 1994 08:49:36 GMT", etag, modified));
        CHECK_FALSE(is_not_modified(absent, "not a date", etag, modified));
        CHECK_FALSE(is_not_modified(absent, "", etag, modified));
    }
    SUBCASE("If-Modified-Since is ignored when If-None-Match is present") {
        CHECK_FALSE(is_not_modified("\"other\"", "Sun, 06 Nov 1994 08:49:37 GMT", etag, modified));
        CHECK(is_not_modified("\"3e8-1-7\"", "Sun, 06 Nov 1994 08:00:00 GMT", etag, modified));
    }
}
