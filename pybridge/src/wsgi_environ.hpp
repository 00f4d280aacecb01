#pragma once
// Builds the PEP 3333 environ dict of one request from an engine Request, on a WSGI thread (GIL held).

#include <string_view>

#include <pybind11/pybind11.h>

#include "engine/request.hpp"

namespace bridge {

struct EnvironContext {
    std::string_view root_path;       ///< url_path_prefix (no trailing '/'), empty if none
    pybind11::handle root_path_str;   ///< the same as a Python str (SCRIPT_NAME)
    pybind11::handle errors_stream;   ///< wsgi.errors
    pybind11::handle file_wrapper;    ///< wsgi.file_wrapper
    bool multiprocess = false;        ///< wsgi.multiprocess
};

/// The environ dict, with `input` as wsgi.input. PATH_INFO is percent-decoded and given as Latin-1 (each byte
/// one code point, as PEP 3333 asks), without the SCRIPT_NAME prefix. Repeated headers are joined with ", "
/// ("; " for Cookie); a header whose name holds '_' is dropped, since "X_User" and "X-User" would both become
/// HTTP_X_USER and a client could shadow a header set by a proxy (nginx and gunicorn drop them too).
/// Throws pybind11::error_already_set on Python errors (out of memory).
pybind11::object build_environ(const engine::Request &request, const EnvironContext &context, pybind11::handle input);

/// Interns the environ keys and constant values; called once at module import.
void register_wsgi_environ(pybind11::module_ &m);

} // namespace bridge
