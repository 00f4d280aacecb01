#include "websocket_names.hpp"

#include "py_objects.hpp"

namespace bridge {

namespace {

WebSocketNames make_names() {
    WebSocketNames n{};
    n.websocket = intern("websocket");
    n.ws = intern("ws");
    n.wss = intern("wss");
    n.subprotocols = intern("subprotocols");
    n.denial_extension = intern("websocket.http.response");
    n.subprotocol = intern("subprotocol");
    n.bytes = intern("bytes");
    n.text = intern("text");
    n.code = intern("code");
    n.reason = intern("reason");
    n.connect = intern("websocket.connect");
    n.accept = intern("websocket.accept");
    n.receive = intern("websocket.receive");
    n.send = intern("websocket.send");
    n.disconnect = intern("websocket.disconnect");
    n.close = intern("websocket.close");
    n.response_start = intern("websocket.http.response.start");
    n.response_body = intern("websocket.http.response.body");
    return n;
}

} // namespace

const WebSocketNames &websocket_names() {
    static const WebSocketNames interned = make_names();
    return interned;
}

} // namespace bridge
