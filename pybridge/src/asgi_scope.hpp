#pragma once
// Builds the ASGI `http` and `websocket` connection scopes (www spec 2.4) from an engine Request, on the loop
// thread.

#include <string>
#include <string_view>

#include <pybind11/pybind11.h>

#include "engine/request.hpp"

namespace bridge {

struct ScopeContext {
    std::string_view root_path;   ///< url_path_prefix (no trailing '/'), empty if none
    pybind11::handle root_path_str;  ///< the same as a Python str
    pybind11::handle state;          ///< lifespan state dict, shallow-copied into every scope; may be None
    pybind11::handle server_cert;    ///< the TLS extension's `server_cert`: server_certificate_pem(), or None
};

/// The first PEM block of `engine_settings.tls.certificate_file` as a str, for the `server_cert` of the server's
/// TLS scopes: read once when the server is made, not per request. None when tls is None, and for an unreadable
/// file (the engine then refuses to start anyway).
pybind11::object server_certificate_pem(pybind11::handle engine_settings);

/// The scope dict, or a null object when the percent-decoded path is not valid UTF-8 (the bridge answers
/// 400: ASGI's `path` is text, and lone surrogates would break every framework that encodes it again).
/// On TLS connections it carries scope["extensions"]["tls"] (the ASGI TLS extension, built from
/// Request::tls_info per request: a small dict, beside a handshake's cost); plain HTTP pays nothing for it.
/// Throws pybind11::error_already_set on Python errors (out of memory).
pybind11::object build_http_scope(const engine::Request &request, const ScopeContext &context);

/// The `websocket` scope of a WebSocket handshake (Request::websocket), like the http scope without `method`:
/// scheme ws/wss, `subprotocols` from Sec-WebSocket-Protocol, and the websocket.http.response (denial)
/// extension instead of pathsend. Null for a path that is not UTF-8, as above.
pybind11::object build_websocket_scope(const engine::Request &request, const ScopeContext &context);

} // namespace bridge
