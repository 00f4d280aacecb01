#pragma once
// The request-handler interface. Callbacks run on reactor threads (several at once, one per
// reactor), never holding the GIL. A handler answers at once through Exchange::send(), or later
// from any thread through Server::post() with the exchange's id.

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/request.hpp"
#include "engine/response.hpp"

namespace engine {

/// Names one request/response exchange. Stale ids (the connection closed, or moved on to its
/// next request) are recognised by the generation and ignored safely.
struct ExchangeId {
    std::uint32_t reactor = 0;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
    friend bool operator==(const ExchangeId &, const ExchangeId &) = default;
};

/// The reactor-thread view of the exchange being dispatched; valid only during Handler::on_request.
class Exchange {
  public:
    virtual ~Exchange() = default;
    virtual ExchangeId id() const noexcept = 0;
    virtual const Request &request() const noexcept = 0;
    /// Moves the request out (for handing it to another thread); request() is invalid afterwards.
    virtual std::unique_ptr<Request> take_request() noexcept = 0;
    /// Sends a response part now (reactor thread only).
    virtual void send(ResponsePart &&part) = 0;
};

enum class BodyFlow : std::uint8_t {
    proceed,  ///< keep reading
    pause,    ///< stop reading the body until Server::resume_body(id)
};

/// What a handler answers to a WebSocket message: keep feeding, or stop reading the connection (TCP's
/// window then pushes back on the client; pings wait with the data) until Server::resume_websocket(id).
enum class MessageFlow : std::uint8_t {
    proceed,
    pause,
};

/// Whether on_ws_close with this code leaves the engine holding its close frame for the handler's last
/// answers (a protocol violation: 1002, 1007, 1009; see Handler::on_ws_close).
constexpr bool ws_close_awaits_handler(std::uint16_t code) noexcept {
    return code == 1002 || code == 1007 || code == 1009;
}

class Handler {
  public:
    virtual ~Handler() = default;
    /// A request head is complete. Body bytes follow through on_body().
    virtual void on_request(Exchange &exchange) = 0;
    /// Request body bytes, de-chunked and in order; `last` marks the end (data may then be empty).
    /// `data` is valid only during the call. Requests without a body get no on_body call.
    virtual BodyFlow on_body(ExchangeId, std::string_view /*data*/, bool /*last*/) { return BodyFlow::proceed; }
    /// The exchange ended before its response completed (client gone, protocol error, shutdown).
    /// No further callbacks for this id; later posts for it are dropped and their buffers released.
    virtual void on_abort(ExchangeId) {}
    /// A part posted with notify_sent was fully handed to the kernel.
    virtual void on_sent(ExchangeId) {}

    // WebSockets. A request with Request::websocket set is an opening handshake the engine has already
    // validated (RFC 6455 4.2.1). The handler answers it either with Server::accept_websocket(id, ...) --
    // the engine writes the 101 and the exchange becomes a WebSocket session under the same id -- or
    // with an ordinary response through post()/send() (a denial; the connection closes after it).
    // Until the 101 is written, the end of the exchange is reported by on_abort; after it, by
    // on_ws_close only.
    //
    // Flow control is the handler's, as for bodies: return MessageFlow::pause while its queue of
    // received messages is long (the engine stops reading; TCP pushes back on the client), and post
    // outbound messages with notify_sent to count what is still unsent (on_sent arrives in posting
    // order, also for a message dropped because the session was already closing; none after on_ws_close).

    /// A whole message from the client (fragments joined; text already validated as UTF-8).
    /// `payload` is valid only during the call.
    virtual MessageFlow on_ws_message(ExchangeId, bool /*text*/, std::string_view /*payload*/) {
        return MessageFlow::proceed;
    }
    /// The session ended, once per accepted session; the id is dead afterwards. `code` is the peer's
    /// close code (1005 when its close frame had none), 1006 when the connection was lost without a
    /// close frame, the code the engine failed the connection with (1002 protocol error, 1007 invalid
    /// UTF-8, 1009 message too big, 1011 keepalive timeout, 1001 server shutting down), or the code
    /// the handler closed with once the peer answered. `reason` is valid only during the call.
    ///
    /// After 1002, 1007 or 1009 (a protocol violation) the engine holds its close frame: RFC 6455 lets
    /// nothing follow it, and the messages delivered before the violation deserve their answers first.
    /// Post those answers, then a close (its code is ignored: the violation's goes out); without it the
    /// close frame leaves after WebSocketConfig::close_timeout. Until then the id still takes posts, and
    /// their on_sent still arrives.
    virtual void on_ws_close(ExchangeId, std::uint16_t /*code*/, std::string_view /*reason*/) {}

    /// After each batch of completions on `reactor`: the place to flush queued work to other threads
    /// with one wake per batch.
    virtual void on_batch_end(std::uint32_t /*reactor*/) {}
};

} // namespace engine
