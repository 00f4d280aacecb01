#pragma once
// The bridge's own answer when an application fails before its response started (ASGI, WSGI, a WebSocket denial).

#include "engine/response.hpp"

namespace bridge {

/// A complete 500 "Internal Server Error" in text/plain.
engine::ResponsePart internal_error_response();

} // namespace bridge
