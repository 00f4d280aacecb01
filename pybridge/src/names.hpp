#pragma once
// Interned Python strings the bridge uses as dict keys and constant values, created once at import so the
// hot paths build scopes and messages without creating or hashing strings.

#include <Python.h>

#include <pybind11/pybind11.h>

namespace bridge {

struct Names {
    // scope keys
    PyObject *type, *asgi, *version, *spec_version, *http_version, *method, *scheme, *path, *raw_path,
        *query_string, *root_path, *headers, *client, *server, *state, *extensions;
    // scope values
    PyObject *http, *https, *asgi_version, *asgi_spec_version, *http_1_1, *http_1_0, *http_2, *pathsend_extension;
    // message keys and types
    PyObject *body, *more_body, *status, *trailers;
    PyObject *http_request, *http_disconnect, *http_response_start, *http_response_body,
        *http_response_pathsend, *http_response_trailers;
    // methods of other objects
    PyObject *set_result, *set_exception, *done, *cancel, *loop, *eager_start;
    // the common request methods, so their scope values are shared
    PyObject *GET, *POST, *PUT, *DELETE_, *HEAD, *OPTIONS, *PATCH;
};

/// Valid after register_names() ran (module import).
const Names &names() noexcept;

void register_names(pybind11::module_ &m);

} // namespace bridge
