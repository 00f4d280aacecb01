#include "ws/handshake.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using engine::Request;
using engine::ws::accept_key;
using engine::ws::accept_response_head;
using engine::ws::check_upgrade;
using engine::ws::is_valid_key;
using engine::ws::join_subprotocols;
using engine::ws::requested_subprotocols;
using engine::ws::subprotocol_offered;
using engine::ws::unsupported_version_response_head;
using engine::ws::UpgradeVerdict;

namespace {

// RFC 6455 1.3 / 4.2.2: the sample nonce and its accept value.
constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A request as the HTTP parser leaves it: lowercase names, trimmed values, views into storage.
struct TestRequest {
    Request request;
    std::vector<std::string> strings;  // owns what the views point to (stable: reserved up front)

    TestRequest(std::string_view method, const std::vector<std::pair<std::string, std::string>> &headers,
                std::uint8_t http_minor = 1) {
        strings.reserve(2 * headers.size() + 1);
        request.method = strings.emplace_back(method);
        request.http_minor = http_minor;
        for (auto &[name, value] : headers) {
            const std::string_view stored_name = strings.emplace_back(name);
            const std::string_view stored_value = strings.emplace_back(value);
            request.headers.push_back({stored_name, stored_value});
        }
    }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

HeaderList valid_headers() {
    return {{"host", "example.com"},
            {"upgrade", "websocket"},
            {"connection", "Upgrade"},
            {"sec-websocket-key", std::string(rfc_key)},
            {"sec-websocket-version", "13"}};
}

TestRequest valid_upgrade(std::string_view method = "GET", std::uint8_t http_minor = 1) {
    return TestRequest(method, valid_headers(), http_minor);
}

/// valid_upgrade() with one header replaced (or removed when `value` is empty).
TestRequest with_header(std::string_view name, std::string_view value) {
    HeaderList headers = valid_headers();
    std::erase_if(headers, [name](const auto &header) { return header.first == name; });
    if (!value.empty()) headers.emplace_back(name, value);
    return TestRequest("GET", headers);
}

UpgradeVerdict verdict_with(std::string_view name, std::string_view value) {
    const TestRequest request = with_header(name, value);
    return check_upgrade(request.request).verdict;
}

} // namespace

TEST_CASE("accept_key: the RFC sample") {
    CHECK(accept_key(rfc_key) == rfc_accept);
    CHECK(accept_key("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");  // RFC 6455 1.2
}

TEST_CASE("check_upgrade accepts a valid handshake, with token lists in any case") {
    auto valid = valid_upgrade();
    const auto check = check_upgrade(valid.request);
    CHECK(check.verdict == UpgradeVerdict::accept);
    CHECK(check.key == rfc_key);
    CHECK(verdict_with("connection", "keep-alive, UPGRADE") == UpgradeVerdict::accept);
    CHECK(verdict_with("upgrade", "WebSocket") == UpgradeVerdict::accept);
    CHECK(verdict_with("upgrade", "h2c, websocket") == UpgradeVerdict::accept);
    auto http2 = valid_upgrade();
    http2.request.http_major = 2;
    http2.request.http_minor = 0;
    CHECK(check_upgrade(http2.request).verdict == UpgradeVerdict::accept);
}

TEST_CASE("check_upgrade: not a websocket request at all") {
    auto plain = TestRequest("GET", {{"host", "example.com"}});
    CHECK(check_upgrade(plain.request).verdict == UpgradeVerdict::not_websocket);
    CHECK(verdict_with("upgrade", "h2c") == UpgradeVerdict::not_websocket);
    CHECK(verdict_with("upgrade", "websockets") == UpgradeVerdict::not_websocket);
}

TEST_CASE("check_upgrade: broken handshakes -> 400") {
    auto post = valid_upgrade("POST");
    CHECK(check_upgrade(post.request).verdict == UpgradeVerdict::bad_request);
    auto http10 = valid_upgrade("GET", 0);
    CHECK(check_upgrade(http10.request).verdict == UpgradeVerdict::bad_request);
    CHECK(verdict_with("connection", "keep-alive") == UpgradeVerdict::bad_request);
    CHECK(verdict_with("sec-websocket-key", "") == UpgradeVerdict::bad_request);
    CHECK(verdict_with("sec-websocket-key", "dGhlIHNhbXBsZQ==") == UpgradeVerdict::bad_request);
    auto no_version = with_header("sec-websocket-version", "");
    const auto check = check_upgrade(no_version.request);
    CHECK(check.verdict == UpgradeVerdict::bad_request);
    CHECK_FALSE(check.reason.empty());
}

TEST_CASE("check_upgrade: another version -> 426 naming version 13") {
    for (std::string_view version : {"8", "12", "14", "13, 8"}) {
        CHECK(verdict_with("sec-websocket-version", version) == UpgradeVerdict::unsupported_version);
    }
    const auto head = unsupported_version_response_head();
    CHECK(head.status == 426);
    CHECK(head.header_lines.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(head.content_length == 0u);
}

TEST_CASE("is_valid_key: the base64 form of 16 bytes") {
    CHECK(is_valid_key(rfc_key));
    CHECK(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    CHECK(is_valid_key("+/+/+/+/+/+/+/+/+/+/+/=="));
    CHECK_FALSE(is_valid_key(""));
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));     // 23 characters
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=a"));    // padding wrong
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQAA"));    // 18 bytes' worth, no padding
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j-Q=="));    // URL-safe alphabet is not base64 here
    CHECK_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ== "));
}

TEST_CASE("requested_subprotocols gathers every Sec-WebSocket-Protocol header, in order") {
    auto request = TestRequest("GET", {{"sec-websocket-protocol", "chat, superchat"},
                                       {"host", "x"},
                                       {"sec-websocket-protocol", " v2.bin ,, json "}});
    CHECK(requested_subprotocols(request.request) == std::vector<std::string_view>{"chat", "superchat", "v2.bin", "json"});
    auto none = valid_upgrade();
    CHECK(requested_subprotocols(none.request).empty());
}

TEST_CASE("subprotocol_offered: only a token the client offered, compared exactly") {
    auto request = TestRequest("GET", {{"sec-websocket-protocol", "chat, v2.bin"}, {"sec-websocket-protocol", "json"}});
    const std::string joined = join_subprotocols(requested_subprotocols(request.request));
    CHECK(joined == "chat,v2.bin,json,");
    CHECK(subprotocol_offered(joined, "chat"));
    CHECK(subprotocol_offered(joined, "v2.bin"));
    CHECK(subprotocol_offered(joined, "json"));
    CHECK_FALSE(subprotocol_offered(joined, "Chat"));       // case matters
    CHECK_FALSE(subprotocol_offered(joined, "cha"));        // whole names only
    CHECK_FALSE(subprotocol_offered(joined, "chat,v2.bin"));  // not a token
    CHECK_FALSE(subprotocol_offered(joined, ""));
    CHECK_FALSE(subprotocol_offered("", "chat"));
    // An offered item that is no token can never be chosen.
    auto odd = TestRequest("GET", {{"sec-websocket-protocol", "a b, ok"}});
    const std::string odd_joined = join_subprotocols(requested_subprotocols(odd.request));
    CHECK_FALSE(subprotocol_offered(odd_joined, "a b"));
    CHECK(subprotocol_offered(odd_joined, "ok"));
}

TEST_CASE("accept_response_head: the 101 lines") {
    const auto plain = accept_response_head(rfc_key);
    CHECK(plain.status == 101);
    CHECK(plain.header_lines == "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
    const auto chosen = accept_response_head(rfc_key, "chat", "X-Extra: 1\r\n");
    CHECK(chosen.header_lines == "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                                 "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nX-Extra: 1\r\n");
    CHECK_FALSE(chosen.content_length.has_value());
}
