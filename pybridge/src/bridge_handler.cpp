#include "bridge_handler.hpp"

namespace bridge {

BridgeHandler::BridgeHandler(std::shared_ptr<DispatchQueue> queue, unsigned reactor_count)
    : queue_(std::move(queue)), gates_(reactor_count == 0 ? 1 : reactor_count) {}

void BridgeHandler::on_request(engine::Exchange &exchange) {
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::request;
    event.id = exchange.id();
    event.request = exchange.take_request();
    if (event.request->has_body()) {
        event.body_gate = std::make_shared<BodyGate>();
        gates_of(event.id.reactor).by_slot[event.id.slot] = SlotGate{event.id.generation, event.body_gate};
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
    auto &gates = gates_of(id.reactor).by_slot;
    if (auto found = gates.find(id.slot); found != gates.end() && found->second.generation == id.generation) {
        gates.erase(found);
    }
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


} // namespace bridge
