#pragma once
// Interned Python strings of the ASGI websocket scope and messages (names.hpp holds the http ones), created
// on first use with the GIL held, kept for the life of the process.

#include <Python.h>

namespace bridge {

struct WebSocketNames {
    // scope
    PyObject *websocket, *ws, *wss, *subprotocols, *denial_extension;
    // message keys
    PyObject *subprotocol, *bytes, *text, *code, *reason;
    // message types
    PyObject *connect, *accept, *receive, *send, *disconnect, *close, *response_start, *response_body;
};

const WebSocketNames &websocket_names();

} // namespace bridge
