#pragma once
// Turns the app's http.response.* messages into engine response parts: header validation, the headers the
// engine owns, and body bytes (copied when small or mutable, lent without a copy when large and immutable).

#include <Python.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/response.hpp"
#include "errors.hpp"  // ProtocolError, which these functions throw
#include "lent_bytes.hpp"

namespace bridge {

/// `bytes` bodies at least this long are lent to the engine instead of copied.
inline constexpr std::size_t lend_threshold_bytes = 16 * 1024;

/// Reads status and headers of an http.response.start message into `head`. Content-Length goes into
/// head.content_length; Transfer-Encoding, Connection, Date and Server are the engine's and are left out
/// (Connection: close from the app still closes the connection after this response). Throws ProtocolError
/// (its message starts with `where`, the message type), or pybind11::error_already_set if reading it raised.
engine::ResponseHead response_head_from(PyObject *start_message, std::string_view where = "http.response.start");

/// The `headers` of a message (an iterable of [name, value] bytes pairs, or None/nullptr for none), each
/// through add_response_header.
void add_response_headers(engine::ResponseHead &head, PyObject *headers, std::string_view where);

/// Validates one response header and adds it to `head` (shared by ASGI and WSGI): a token name and a value
/// without CR/LF/NUL; Content-Length goes into head.content_length, Connection: close into head.close, and
/// Transfer-Encoding, Date and Server (the engine's) are left out. Throws ProtocolError whose message starts
/// with `where` (the API the app called) and names header number `index`.
void add_response_header(engine::ResponseHead &head, std::string_view name, std::string_view value, std::size_t index,
                         std::string_view where);

/// Converts a body value (bytes, bytearray, memoryview or any C-contiguous buffer) into an engine Body;
/// `size` receives its length; large bytes are lent through `lender`. Throws ProtocolError for anything else.
engine::Body response_body_from(PyObject *body, std::size_t &size, LentBytes &lender);

} // namespace bridge
