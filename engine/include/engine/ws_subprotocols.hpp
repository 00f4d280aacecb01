#pragma once
// The subprotocols a WebSocket opening handshake offers (RFC 6455 4.2.1), for handlers that choose one. The rest
// of the handshake (checks, accept key, 101 head) stays private to the engine in ws/handshake.hpp.

#include <string_view>
#include <vector>

#include "engine/request.hpp"

namespace engine::ws {

/// The subprotocols offered in every Sec-WebSocket-Protocol header, in order, as views into the
/// request; empty items and surrounding whitespace are dropped.
std::vector<std::string_view> requested_subprotocols(const engine::Request &request);

} // namespace engine::ws
