#pragma once
// The opening handshake (RFC 6455 4.2): checking a client's upgrade request, the accept key, the
// subprotocols it offers, and the 101 (or 426) response head. Runs once per connection, so it may
// allocate; nothing here touches a socket.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/request.hpp"
#include "engine/response.hpp"
#include "engine/ws_subprotocols.hpp"  // requested_subprotocols

namespace engine::ws {

enum class UpgradeVerdict : std::uint8_t {
    accept,               ///< a valid WebSocket opening handshake
    not_websocket,        ///< no "websocket" in Upgrade: an ordinary HTTP request (or another protocol)
    bad_request,          ///< asks for websocket but breaks a rule of 4.2.1 -> 400
    unsupported_version,  ///< Sec-WebSocket-Version is not 13 -> 426 with Sec-WebSocket-Version: 13
};

struct UpgradeCheck {
    UpgradeVerdict verdict = UpgradeVerdict::not_websocket;
    std::string_view key;     ///< accept: the Sec-WebSocket-Key value (a view into the request)
    std::string_view reason;  ///< otherwise: what was wrong, for logs and the 400 body
};

/// Checks an upgrade request: GET, HTTP/1.1 or later, Upgrade listing "websocket", Connection listing
/// "upgrade" (both case-insensitive token lists), Sec-WebSocket-Version 13 and a Sec-WebSocket-Key
/// that is the base64 form of 16 bytes.
UpgradeCheck check_upgrade(const engine::Request &request) noexcept;

/// A Sec-WebSocket-Key must decode to exactly 16 bytes: 22 base64 characters and "==".
bool is_valid_key(std::string_view key) noexcept;

/// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), 28 characters.
std::string accept_key(std::string_view key);

/// requested_subprotocols() as one string, "a,b,", kept after the request is gone (a handler's choice is
/// checked against it when the answer comes, possibly from another thread).
std::string join_subprotocols(const std::vector<std::string_view> &protocols);

/// Whether `chosen` is a token and exactly (case-sensitively, as clients compare it) one of the names
/// in `joined` (from join_subprotocols): a server may only pick what the client offered (4.2.2).
bool subprotocol_offered(std::string_view joined, std::string_view chosen) noexcept;

/// The 101 head: Upgrade, Connection, Sec-WebSocket-Accept, then Sec-WebSocket-Protocol when
/// `subprotocol` is not empty, then `extra_header_lines` ("Name: value\r\n" lines, already validated,
/// e.g. headers the application adds on accept).
engine::ResponseHead accept_response_head(std::string_view key, std::string_view subprotocol = {},
                                          std::string_view extra_header_lines = {});

/// The 426 head for an unsupported Sec-WebSocket-Version (4.4): it names the version we speak.
engine::ResponseHead unsupported_version_response_head();

} // namespace engine::ws
