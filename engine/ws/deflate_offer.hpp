#pragma once
// permessage-deflate negotiation (RFC 7692 5 and 7.1): the client's Sec-WebSocket-Extensions offers in,
// the parameters both sides will use and the response header value out. Pure: no zlib here.
//
// The server's rules, per offer, in the client's order of preference (the first acceptable one wins):
//   - an unknown parameter, a repeated one, a value where none belongs or a window size outside 8..15
//     makes the offer unacceptable (7.1, "decline");
//   - server_no_context_takeover: granted when asked for, and sent whenever our policy wants it;
//   - client_no_context_takeover: sent when our policy wants it (the client must comply);
//   - server_max_window_bits=N: we answer with at most N; without it we may still announce a smaller one;
//   - client_max_window_bits (with or without a value): only then may we limit the client's window.
// zlib cannot compress raw deflate with an 8-bit window (deflateInit2 refuses -8; its own fix is to use 9,
// which the peer's 256-byte window could not follow), so an offer capping our window at 8 is declined.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace engine::ws {

/// What the server is willing to use; from WebSocketConfig.
struct DeflatePolicy {
    std::uint8_t server_max_window_bits = 15;  ///< the window we compress with, at most (9..15)
    bool server_no_context_takeover = false;   ///< reset our compressor after every message
    std::uint8_t client_max_window_bits = 15;  ///< the window we ask the client to stay within (8..15)
    bool client_no_context_takeover = false;   ///< ask the client to reset its compressor per message
};

/// The agreed parameters of one session.
struct DeflateAgreement {
    std::uint8_t server_window_bits = 15;  ///< we compress with this window
    bool server_no_context_takeover = false;
    std::uint8_t client_window_bits = 15;  ///< the client compresses within this window
    bool client_no_context_takeover = false;
    // Whether the response names the window sizes: it must when the offer did (7.1.2), and may announce
    // a smaller server window unasked; the client's window can only be limited when it offered the parameter.
    bool announce_server_window = false;
    bool announce_client_window = false;
};

/// The first acceptable permessage-deflate offer in `header_values` (every Sec-WebSocket-Extensions
/// header of the request, joined with ", "), answered under `policy`; nullopt when there is none.
std::optional<DeflateAgreement> negotiate_deflate(std::string_view header_values, const DeflatePolicy &policy);

/// The Sec-WebSocket-Extensions value that tells the client what was agreed.
std::string deflate_response_value(const DeflateAgreement &agreement);

} // namespace engine::ws
