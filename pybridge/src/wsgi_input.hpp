#pragma once
// environ["wsgi.input"]: the request body as a binary stream (PEP 3333: read, readline, readlines, iteration).
// Reads block with the GIL released until the engine has delivered enough of the body; what the app consumes
// lets a paused body flow again, so an upload of any size keeps memory bounded.

#include <Python.h>

#include <memory>

#include <pybind11/pybind11.h>

#include "live_objects.hpp"
#include "wsgi_channel.hpp"

namespace bridge {

class WsgiInput {
  public:
    explicit WsgiInput(std::shared_ptr<WsgiChannel> channel);

    /// Up to `size` bytes (all that is left when size < 0); b"" at the end of the body.
    pybind11::bytes read(Py_ssize_t size);
    /// One line with its "\n", at most `size` bytes when size >= 0; b"" at the end.
    pybind11::bytes readline(Py_ssize_t size);
    /// Lines until the end, or until their total length reaches `hint` when hint > 0.
    pybind11::list readlines(Py_ssize_t hint);
    /// Iteration protocol: the next line, or StopIteration at the end.
    pybind11::bytes next_line();

  private:
    LiveCount live_;
    std::shared_ptr<WsgiChannel> channel_;
};

void register_wsgi_input(pybind11::module_ &m);

} // namespace bridge
