#include "files/static_files_options.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using engine::files::cache_control_line;
using engine::files::StaticFilesOptions;
using engine::files::validate_static_files_options;

TEST_CASE("validate_static_files_options") {
    StaticFilesOptions options;
    options.root = "/srv/www";
    CHECK_NOTHROW(validate_static_files_options(options));
    SUBCASE("no index file is allowed") {
        options.index_file = "";
        CHECK_NOTHROW(validate_static_files_options(options));
    }
    SUBCASE("empty root") {
        options.root = "";
        CHECK_THROWS_AS(validate_static_files_options(options), std::invalid_argument);
    }
    SUBCASE("index file must be a plain name") {
        for (const char *bad : {"sub/index.html", "..", ".", "/index.html"}) {
            options.index_file = bad;
            CHECK_THROWS_WITH_AS(validate_static_files_options(options),
                                 doctest::Contains("must be a plain file name"), std::invalid_argument);
        }
    }
}

TEST_CASE("cache_control_line") {
    StaticFilesOptions options;
    CHECK(cache_control_line(options).empty());
    options.expires_seconds = 3600;
    CHECK(cache_control_line(options) == "Cache-Control: max-age=3600\r\n");
    options.expires_seconds = 0;
    CHECK(cache_control_line(options) == "Cache-Control: max-age=0\r\n");
}
