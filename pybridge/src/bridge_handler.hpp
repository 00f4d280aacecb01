#pragma once
// The engine::Handler of the Python bridge. Runs on reactor threads and never touches Python: every callback
// becomes a DispatchEvent for the loop thread, in the order the reactor produced them.

#include <memory>
#include <unordered_map>
#include <vector>

#include "body_gate.hpp"
#include "dispatch_queue.hpp"
#include "engine/handler.hpp"

namespace bridge {

class BridgeHandler final : public engine::Handler {
  public:
    BridgeHandler(std::shared_ptr<DispatchQueue> queue, unsigned reactor_count);

    void on_request(engine::Exchange &exchange) override;
    engine::BodyFlow on_body(engine::ExchangeId id, std::string_view data, bool last) override;
    void on_abort(engine::ExchangeId id) override;
    void on_sent(engine::ExchangeId id) override;
    engine::MessageFlow on_ws_message(engine::ExchangeId id, bool text, std::string_view payload) override;
    void on_ws_close(engine::ExchangeId id, std::uint16_t code, std::string_view reason) override;
    // No on_batch_end: DispatchQueue::push wakes the loop at most once per drain already (see its header).

  private:
    struct SlotGate {
        std::uint32_t generation = 0;
        std::shared_ptr<BodyGate> gate;
        bool websocket = false;  ///< the gate counts the session's messages (websocket_flow.hpp), not a body
    };
    /// Body gates of the requests whose bodies are still arriving, and message gates of WebSocket sessions, by
    /// connection slot: a slot's next request replaces the entry, so an exchange that ended without a last body
    /// part or an abort leaves nothing behind for long (a session's entry goes at on_ws_close). Only the
    /// reactor's own thread touches its map, so there is no lock.
    struct alignas(64) ReactorGates {
        std::unordered_map<std::uint32_t, SlotGate> by_slot;
    };

    ReactorGates &gates_of(std::uint32_t reactor) noexcept { return gates_[reactor % gates_.size()]; }
    /// The gate registered for exactly this exchange (slot and generation), or nullptr.
    SlotGate *gate_of(engine::ExchangeId id) noexcept;
    void forget_gate(engine::ExchangeId id) noexcept;

    std::shared_ptr<DispatchQueue> queue_;
    std::vector<ReactorGates> gates_;
};

} // namespace bridge
