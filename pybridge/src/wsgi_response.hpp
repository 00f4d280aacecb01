#pragma once
// The response side of one WSGI request: start_response() and write() (the app's callables, PEP 3333), and the
// sending of the returned iterable as engine response parts. Bodies stream as they are produced: bytes of
// 16 KiB or more are lent to the engine without a copy, a wsgi.file_wrapper over a real file goes out as a
// zero-copy FileRegion, and a client slower than the app blocks the app's thread (GIL released) once 1 MiB is
// unsent. Holds no Python object, so nothing the app keeps can make it part of a reference cycle.

#include <Python.h>

#include <memory>
#include <optional>

#include <pybind11/pybind11.h>

#include "engine/response.hpp"
#include "lent_bytes.hpp"
#include "live_objects.hpp"
#include "wsgi_channel.hpp"

namespace bridge {

class WsgiResponder {
  public:
    /// `lender`: the server's, for the large bytes of the response.
    WsgiResponder(std::shared_ptr<WsgiChannel> channel, std::shared_ptr<LentBytes> lender);

    // --- the app's side ---
    /// start_response(status, headers, exc_info=None): keeps the head until the first body bytes. With exc_info
    /// it may replace a head not yet sent, and re-raises exc_info once the head has gone out.
    void start_response(pybind11::handle status, pybind11::handle headers, pybind11::handle exc_info);
    /// The write() callable start_response returns: sends the head (if still held) and `data` now.
    void write(pybind11::handle data);

    // --- the server's side (uring_granian's WSGI thread, GIL held) ---
    /// Sends the iterable the app returned, then ends the response. Raises (error_already_set / ProtocolError)
    /// what the iterable or a protocol check raised; returns early if the client left.
    void send_result(pybind11::handle result, pybind11::handle file_wrapper_type);
    /// The app failed: a 500 if nothing was sent yet, else the connection is cut (no fake success).
    void fail();
    bool started() const noexcept { return head_sent_; }

  private:
    bool send_file(pybind11::handle wrapper);
    bool send_sequence(PyObject *sequence);
    bool send_iterable(pybind11::handle result);
    /// Posts `chunk` (bytes), with the held head first if it has not gone out. False once the client is gone.
    bool send_chunk(PyObject *chunk, bool end);
    bool post(engine::Body &&body, std::size_t size, bool end);
    void require_started(const char *what) const;

    LiveCount live_;
    std::shared_ptr<WsgiChannel> channel_;
    std::shared_ptr<LentBytes> lender_;
    std::optional<engine::ResponseHead> held_head_;  ///< from start_response, not sent yet
    bool head_given_ = false;                        ///< start_response has been called
    bool head_sent_ = false;
    bool ended_ = false;
};

void register_wsgi_response(pybind11::module_ &m);

} // namespace bridge
