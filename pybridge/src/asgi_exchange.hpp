#pragma once
// One HTTP request/response of an ASGI app, on the loop thread: the object behind the app's receive() and
// send(). It holds Python references (pending futures, the task, its server), so its type implements GC
// traversal (see asgi.cpp), and it drops every one of them in finish(), which runs on every path.

#include <Python.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "engine/response.hpp"
#include "live_objects.hpp"
#include "send_window.hpp"

namespace bridge {

class AsgiServer;

class AsgiExchange {
  public:
    AsgiExchange(pybind11::object owner, AsgiServer *server, engine::ExchangeId id, std::shared_ptr<BodyGate> gate,
                 bool expects_body);
    ~AsgiExchange();
    AsgiExchange(const AsgiExchange &) = delete;
    AsgiExchange &operator=(const AsgiExchange &) = delete;

    // --- the app's side (ASGI receive/send) ---
    pybind11::object receive();
    pybind11::object send(pybind11::handle message);

    // --- the request runner's side (uring_granian/asgi.py) ---
    /// The app returned. Answers 500 if it sent no response, cuts the connection if it left one unfinished.
    /// Returns (logging level, line) to log (log_note.hpp), or None.
    pybind11::object app_returned();
    /// The app raised `error`. Same answers as app_returned(); returns whether the error deserves an error log
    /// (not for cancellation, nor for ClientDisconnected after the client left).
    bool app_failed(pybind11::handle error);

    // --- the server's side (events from the reactor) ---
    void on_body(std::string &&data, bool last);
    void on_abort();
    void on_sent();
    /// The connection moved on (its next request arrived): a receive() still waiting gets http.disconnect.
    void end_lingering_receive();
    void set_task(pybind11::object task);
    pybind11::handle task() const noexcept { return task_; }
    bool disconnected() const noexcept { return disconnected_; }
    bool finished() const noexcept { return finished_; }
    engine::ExchangeId id() const noexcept { return id_; }
    /// Ends the exchange without the app (never started, or the server is closing): drops every reference.
    void finish();

    // --- garbage collector support ---
    int traverse(visitproc visit, void *arg) const;
    void clear();

  private:
    /// awaiting_trailers: the body is complete and http.response.start set "trailers": the response ends with the
    /// last http.response.trailers (more_trailers False).
    enum class Response : std::uint8_t { awaiting_start, start_held, streaming, awaiting_trailers, complete };

    pybind11::object request_message();
    void answer_unfinished_response();
    void response_completed();
    void resolve_receive(pybind11::handle message);
    void consume_body_credit(std::size_t bytes);
    void release_body_gate();
    pybind11::object new_future();
    void post(engine::ResponsePart &&part);
    pybind11::object send_path(pybind11::handle message);
    pybind11::object send_trailers(pybind11::handle message);

    LiveCount live_;
    pybind11::object owner_;    ///< the AsgiServer's Python object, keeping server_ valid
    AsgiServer *server_;
    engine::ExchangeId id_;
    std::shared_ptr<BodyGate> gate_;

    std::vector<std::string> body_chunks_;
    bool body_complete_;             ///< the last body bytes arrived (or the request has none)
    bool final_request_delivered_ = false;  ///< the http.request with more_body=False went to the app

    Response response_ = Response::awaiting_start;
    std::optional<engine::ResponseHead> held_head_;  ///< http.response.start, sent with the first body
    bool trailers_announced_ = false;  ///< http.response.start set "trailers": True
    std::string trailer_lines_;        ///< of the http.response.trailers messages so far, sent with the last one
    /// Send backpressure (send_window.hpp). A waiting send() resumes at half the high-water mark, before the
    /// queue runs dry, so a body sent in many pieces (Django's 64 KiB) keeps flowing: waking a future is cheap.
    SendWindow send_window_{SendWindow::high_water_bytes / 2};

    bool disconnected_ = false;
    bool finished_ = false;

    pybind11::object receive_future_;
    pybind11::object send_future_;
    pybind11::object task_;
};

} // namespace bridge
