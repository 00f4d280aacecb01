#pragma once
// One HTTP request/response of an ASGI app, on the loop thread: the object behind the app's receive() and
// send(). Its Python references and their teardown on every path are AsgiSession's (asgi_session.hpp).

#include <Python.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "asgi_session.hpp"
#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "engine/response.hpp"
#include "send_window.hpp"

namespace bridge {

class AsgiServer;

class AsgiExchange final : public AsgiSession {
  public:
    static constexpr Kind session_kind = Kind::http;

    AsgiExchange(pybind11::object owner, AsgiServer *server, engine::ExchangeId id, std::shared_ptr<BodyGate> gate,
                 bool expects_body);

    // --- the app's side (ASGI receive/send) ---
    pybind11::object receive();
    pybind11::object send(pybind11::handle message);

    // --- the server's side (events from the reactor) ---
    void on_body(std::string &&data, bool last);
    void on_abort() override;
    void on_sent() override;
    /// The connection moved on (its next request arrived): a receive() still waiting gets http.disconnect.
    void end_lingering_receive();

  private:
    /// awaiting_trailers: the body is complete and http.response.start set "trailers": the response ends with the
    /// last http.response.trailers (more_trailers False).
    enum class Response : std::uint8_t { awaiting_start, start_held, streaming, awaiting_trailers, complete };

    /// Answers 500 if the app sent no response, cuts the connection if it left one unfinished.
    pybind11::object answer_return() override;
    void answer_failure() override { answer_unfinished_response(); }
    pybind11::object disconnect_message() const override;
    void drop_input() noexcept override { body_chunks_.clear(); }

    pybind11::object request_message();
    void answer_unfinished_response();
    void response_completed();
    void post(engine::ResponsePart &&part);
    pybind11::object send_body(pybind11::handle message);
    pybind11::object send_path(pybind11::handle message);
    pybind11::object send_trailers(pybind11::handle message);

    std::vector<std::string> body_chunks_;
    bool final_request_delivered_ = false;  ///< the http.request with more_body=False went to the app

    Response response_ = Response::awaiting_start;
    std::optional<engine::ResponseHead> held_head_;  ///< http.response.start, sent with the first body
    bool trailers_announced_ = false;  ///< http.response.start set "trailers": True
    std::string trailer_lines_;        ///< of the http.response.trailers messages so far, sent with the last one
    /// Send backpressure (send_window.hpp). A waiting send() resumes at half the high-water mark, before the
    /// queue runs dry, so a body sent in many pieces (Django's 64 KiB) keeps flowing: waking a future is cheap.
    SendWindow send_window_{SendWindow::high_water_bytes / 2};
};

} // namespace bridge
