#pragma once
// A connection's WebSocket mode (RFC 6455), kept apart from the HTTP state machine in connection.cpp.
// The Connection members declared under "WebSockets" in connection.hpp are defined in
// websocket_connection.cpp; this header holds the state they share.
//
// How an upgrade goes:
//   1. head-complete: check_websocket_offer() runs ws::check_upgrade (when ServerConfig::websocket
//      is enabled). A broken handshake is answered 400 (426 for another Sec-WebSocket-Version) and
//      the connection closes; a valid one is dispatched as an ordinary exchange with
//      Request::websocket set, and the key and offered subprotocols are kept here, because the
//      request may move to another thread.
//   2. The handler answers on the reactor thread through the inbox: Server::accept_websocket
//      writes the 101 and switches the connection for good (the parser and request storage are
//      freed; bytes after the head are the first frames); any ordinary response is a denial, sent
//      with Connection: close.
//   3. WebSocket mode: received bytes are unmasked in place (provided-buffer ring memory or the TLS
//      session's plaintext array, both ours and writable) by ws::WebSocketSession; whole messages
//      go to Handler::on_ws_message, which may pause reading (the rest is stashed, recv stops, TCP's
//      window pushes back) until Server::resume_websocket. Frames the session writes (pongs, close
//      replies, pings) move to the output queue after every step; app messages up to a few KiB are
//      framed by the session too (they coalesce with pongs), larger ones go out as a separate
//      frame header plus the app's own buffer (an ExternalBuffer is never copied).
//   4. The end is reported once through Handler::on_ws_close: the peer's close code, the code a
//      protocol violation failed the connection with (1002, 1007, 1009), 1011 on a keepalive
//      timeout, 1006 when the connection is lost without a close frame (or our close frame goes
//      unanswered within WebSocketConfig::close_timeout). Once the session is closed and its last
//      frames are sent the connection half-closes and lingers, as after a last HTTP response.
//   5. Server shutdown sends 1001 to every open session and waits for the replies, bounded by
//      Timeouts::graceful_shutdown.
//
//   6. Our close frame (the handler's, or the shutdown's 1001) lifts a handler's pause: no message
//      reaches the handler after it, and the peer's close reply must be read.
//
// Idle cost: the Connection slot plus this struct (~0.5 KiB with the session); the session's
// assembly and output buffers are freed when empty above idle_buffer_capacity, and no timer is
// armed unless keepalive pings are on. Measured with uring-serve --ws-echo: about 2.5 KiB of server
// RSS per idle session, the echo handler's own bookkeeping included
// (tests/python/engine/test_engine_websocket.py, test_idle_sessions_cost_little_memory). permessage-deflate
// adds the decompressor of the client's window (12 bits by default) once the client compresses; our
// compressor exists only while a message is compressed (perf/results/2026-12-02-ws-deflate.md).
//
// Negotiation: check_websocket_offer() keeps the Sec-WebSocket-Extensions offers; accept_websocket() answers
// them (ws/deflate_offer.hpp) under WebSocketConfig, adds the response header and gives the agreement to
// the session, which inflates and deflates (ws/deflate_codec.hpp). Messages it would compress are framed by
// the session whatever their size (compression copies anyway).

#include "ws/session.hpp"

#include <optional>
#include <string>

namespace engine::http {

struct WebSocketState {
    // The offer, from check_websocket_offer() until the 101 is written.
    std::string key;                   ///< Sec-WebSocket-Key
    std::string offered_subprotocols;  ///< ws::join_subprotocols of what the client offered
    std::string offered_extensions;    ///< every Sec-WebSocket-Extensions value, joined with ", "
    // After the 101.
    std::optional<ws::WebSocketSession> session;
};

/// Session buffers larger than this are freed once empty: idle connections stay small, busy ones keep
/// a buffer that fits their usual message.
inline constexpr std::size_t idle_buffer_capacity = 4096;

} // namespace engine::http
