#include "ws/deflate_offer.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::ws::deflate_response_value;
using engine::ws::DeflatePolicy;
using engine::ws::negotiate_deflate;

TEST_CASE("permessage-deflate: the plain offer is accepted under the policy") {
    DeflatePolicy policy;  // 15 bits, context takeover: nothing to announce
    const auto agreement = negotiate_deflate("permessage-deflate", policy);
    REQUIRE(agreement);
    CHECK(deflate_response_value(*agreement) == "permessage-deflate");
    policy.server_max_window_bits = 12;
    policy.server_no_context_takeover = true;
    const auto limited = negotiate_deflate("permessage-deflate", policy);
    REQUIRE(limited);
    // A smaller server window may be announced unasked; the client's cannot be limited without its parameter.
    CHECK(deflate_response_value(*limited) == "permessage-deflate; server_no_context_takeover; server_max_window_bits=12");
}

TEST_CASE("permessage-deflate: the browser offer gets both windows limited") {
    DeflatePolicy policy;
    policy.server_max_window_bits = 12;
    policy.client_max_window_bits = 12;
    const auto agreement = negotiate_deflate("permessage-deflate; client_max_window_bits", policy);
    REQUIRE(agreement);
    CHECK(agreement->client_window_bits == 12);
    CHECK(deflate_response_value(*agreement) ==
          "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
}

TEST_CASE("permessage-deflate: the client's limits and requests are honoured") {
    DeflatePolicy policy;
    const auto agreement = negotiate_deflate(
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"9\"",
        policy);
    REQUIRE(agreement);
    CHECK(agreement->server_window_bits == 10);
    CHECK(agreement->client_window_bits == 9);
    CHECK(agreement->server_no_context_takeover);
    CHECK(deflate_response_value(*agreement) ==
          "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9");
}

TEST_CASE("permessage-deflate: unacceptable offers are declined, the next one is tried") {
    DeflatePolicy policy;
    for (const char *bad : {"permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=16",
                            "permessage-deflate; client_max_window_bits=7", "permessage-deflate; unknown_parameter",
                            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                            "permessage-deflate; server_no_context_takeover=1", "permessage-deflate;",
                            "permessage-deflate; server_max_window_bits=010", "x-webkit-deflate-frame"}) {
        const std::string shown = bad;
        CAPTURE(shown);
        CHECK_FALSE(negotiate_deflate(bad, policy));
    }
    // zlib cannot compress raw deflate within 256 bytes, so a cap of 8 on our window is declined...
    CHECK_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=8", policy));
    // ...and the client's fallback offer is taken instead.
    const auto agreement =
        negotiate_deflate("permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits=8",
                          policy);
    REQUIRE(agreement);
    CHECK(agreement->client_window_bits == 8);
    CHECK(agreement->server_window_bits == 15);
}
