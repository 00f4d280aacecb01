#include "bridge_handler.hpp"

#include "websocket_flow.hpp"

namespace bridge {

BridgeHandler::BridgeHandler(std::shared_ptr<DispatchQueue> queue, unsigned reactor_count)
    : queue_(std::move(queue)), gates_(reactor_count == 0 ? 1 : reactor_count) {}

void BridgeHandler::on_request(engine::Exchange &exchange) {
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::request;
    event.id = exchange.id();
    event.request = exchange.take_request();
    // A WebSocket handshake's gate meters its messages; a body it might carry is dropped (see on_body).
    const bool websocket = event.request->websocket;
    if (websocket || event.request->has_body()) {
        event.body_gate = std::make_shared<BodyGate>();
        gates_of(event.id.reactor).by_slot[event.id.slot] = SlotGate{event.id.generation, event.body_gate, websocket};
    } else {
        gates_of(event.id.reactor).by_slot.erase(event.id.slot);
    }
    queue_->push(event.id.reactor, std::move(event));
}

engine::BodyFlow BridgeHandler::on_body(engine::ExchangeId id, std::string_view data, bool last) {
    auto &gates = gates_of(id.reactor).by_slot;
    auto found = gates.find(id.slot);
    if (found == gates.end() || found->second.generation != id.generation) {
        return engine::BodyFlow::proceed;  // not a request we track: let it drain
    }
    // ASGI has no body event for a WebSocket scope: such a body is drained unread.
    if (found->second.websocket) return engine::BodyFlow::proceed;
    std::shared_ptr<BodyGate> &gate = found->second.gate;
    if (gate->discard.load(std::memory_order_acquire)) {
        if (last) gates.erase(found);
        return engine::BodyFlow::proceed;
    }
    const auto size = static_cast<std::int64_t>(data.size());
    const std::int64_t unconsumed = gate->unconsumed.fetch_add(size, std::memory_order_acq_rel) + size;
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::body;
    event.id = id;
    event.last = last;
    event.data.assign(data);
    queue_->push(id.reactor, std::move(event));
    if (last) {
        gates.erase(found);
        return engine::BodyFlow::proceed;
    }
    return unconsumed > body_high_water_bytes ? engine::BodyFlow::pause : engine::BodyFlow::proceed;
}

void BridgeHandler::on_abort(engine::ExchangeId id) {
    forget_gate(id);
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::abort;
    event.id = id;
    queue_->push(id.reactor, std::move(event));
}

void BridgeHandler::on_sent(engine::ExchangeId id) {
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::sent;
    event.id = id;
    queue_->push(id.reactor, std::move(event));
}

engine::MessageFlow BridgeHandler::on_ws_message(engine::ExchangeId id, bool text, std::string_view payload) {
    SlotGate *entry = gate_of(id);
    if (entry == nullptr || !entry->websocket) return engine::MessageFlow::proceed;  // not a session we track
    BodyGate &gate = *entry->gate;
    // The app returned: nobody will receive() this, and the session must never stall on it.
    if (gate.discard.load(std::memory_order_acquire)) return engine::MessageFlow::proceed;
    const std::int64_t weight = ws_message_weight(payload.size());
    const std::int64_t unreceived = gate.unconsumed.fetch_add(weight, std::memory_order_acq_rel) + weight;
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::ws_message;
    event.id = id;
    event.text = text;
    event.data.assign(payload);  // the one copy: payload lives in the reactor's buffer only during this call
    queue_->push(id.reactor, std::move(event));
    return unreceived > body_high_water_bytes ? engine::MessageFlow::pause : engine::MessageFlow::proceed;
}

void BridgeHandler::on_ws_close(engine::ExchangeId id, std::uint16_t code, std::string_view reason) {
    forget_gate(id);
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::ws_close;
    event.id = id;
    event.close_code = code;
    event.data.assign(reason);
    queue_->push(id.reactor, std::move(event));
}

BridgeHandler::SlotGate *BridgeHandler::gate_of(engine::ExchangeId id) noexcept {
    auto &gates = gates_of(id.reactor).by_slot;
    auto found = gates.find(id.slot);
    if (found == gates.end() || found->second.generation != id.generation) return nullptr;
    return &found->second;
}

void BridgeHandler::forget_gate(engine::ExchangeId id) noexcept {
    auto &gates = gates_of(id.reactor).by_slot;
    if (auto found = gates.find(id.slot); found != gates.end() && found->second.generation == id.generation) {
        gates.erase(found);
    }
}

} // namespace bridge
