#pragma once
// One WebSocket connection of an ASGI app (www spec 2.4, `websocket` scope), on the loop thread: the object
// behind the app's receive() and send(). It answers the handshake (accept, close -> 403, or the
// websocket.http.response denial; an app that returns or raises without answering is refused with 403 too),
// queues the client's messages until receive() takes them (pausing the session above a bound,
// websocket_flow.hpp), and posts the app's messages without copying large ones, making
// send() wait while more than the high-water mark is posted but unsent.
//
// Its Python references and their teardown on every path are AsgiSession's (asgi_session.hpp).

#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "asgi_session.hpp"
#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "engine/response.hpp"
#include "engine/server.hpp"

namespace bridge {

class AsgiServer;

class AsgiWebSocket final : public AsgiSession {
  public:
    static constexpr Kind session_kind = Kind::websocket;

    AsgiWebSocket(pybind11::object owner, AsgiServer *server, engine::ExchangeId id, std::shared_ptr<BodyGate> gate,
                  std::vector<std::string> offered_subprotocols);

    // --- the app's side (ASGI receive/send) ---
    pybind11::object receive();
    pybind11::object send(pybind11::handle message);

    // --- the server's side (events from the reactor) ---
    void on_message(std::string &&payload, bool text);
    /// The session ended (on_ws_close): `code`/`reason` are what websocket.disconnect reports.
    void on_close(std::uint16_t code, std::string &&reason);
    /// The connection ended before the 101 was written.
    void on_abort() override;
    void on_sent() override;

  private:
    enum class State : std::uint8_t {
        handshake,       ///< the app has not answered the handshake yet
        open,            ///< accepted
        app_closed,      ///< the app sent websocket.close on the open session
        denial_started,  ///< websocket.http.response.start held until its first body
        denial_body,     ///< denial body parts are going out
        denied,          ///< the handshake was refused (403 or the app's complete denial response)
    };
    struct Message {
        std::string payload;
        bool text;
    };

    /// The app returned: a session it left open is closed with 1000; a handshake it never answered gets a 403.
    /// The note: INFO for a handshake the app refused by returning or by websocket.close, ERROR for a denial
    /// response it left unfinished; or None.
    pybind11::object answer_return() override;
    /// The app raised: 403 before the handshake was answered, 500 for a denial response whose start is held,
    /// close 1011 on an open session, a cut connection for a half-sent denial.
    void answer_failure() override { answer_unfinished(1011); }  // RFC 6455: the server met an unexpected condition
    pybind11::object disconnect_message() const override;
    void drop_input() noexcept override { messages_.clear(); }
    pybind11::object take_message();
    pybind11::object accept(pybind11::handle message);
    pybind11::object send_message(pybind11::handle message);
    pybind11::object close(pybind11::handle message);
    pybind11::object send_denial(pybind11::handle message, bool start);
    /// Posts a frame; returns a ready awaitable, or a future while too much is posted and unsent.
    pybind11::object post_frame(engine::WebSocketOutbound::Kind kind, engine::Body &&payload, std::size_t size,
                                std::uint16_t close_code = 1000);
    void post_response(engine::ResponsePart &&part);
    void answer_unfinished(std::uint16_t close_code);
    void ended(std::uint16_t code, std::string &&reason);
    /// Releases the engine's held close frame (engine::ws_close_awaits_handler) and reports the disconnect.
    void end_held_disconnect();
    void resolve_send_waiters();

    std::vector<std::string> offered_subprotocols_;

    State state_ = State::handshake;
    bool connect_delivered_ = false;
    bool held_disconnect_ = false;  ///< a protocol violation ended the session; the app is still answering
    bool closed_before_accept_ = false;  ///< the app's websocket.close refused the handshake: a 403 went out
    std::uint16_t close_code_ = 1006;  ///< websocket.disconnect's code: 1006 until the engine says otherwise
    std::string close_reason_;

    std::deque<Message> messages_;            ///< received, not yet taken by receive()
    std::optional<engine::ResponseHead> held_head_;  ///< the denial's start, sent with its first body

    // App -> client backpressure: bytes posted, and bytes known sent (through the notified frames' marks).
    std::uint64_t posted_bytes_ = 0;
    std::uint64_t sent_bytes_ = 0;
    std::deque<std::uint64_t> notify_marks_;  ///< posted_bytes_ after each frame posted with notify_sent
};

} // namespace bridge
