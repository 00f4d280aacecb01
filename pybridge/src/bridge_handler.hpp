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
    // No on_batch_end: DispatchQueue::push wakes the loop at most once per drain already (see its header).

  private:
    struct SlotGate {
        std::uint32_t generation = 0;
        std::shared_ptr<BodyGate> gate;
    };
    /// Body gates of the requests whose bodies are still arriving, by connection slot: a slot's next request
    /// replaces the entry, so an exchange that ended without a last body part or an abort leaves nothing
    /// behind for long. Only the reactor's own thread touches its map, so there is no lock.
    struct alignas(64) ReactorGates {
        std::unordered_map<std::uint32_t, SlotGate> by_slot;
    };

    ReactorGates &gates_of(std::uint32_t reactor) noexcept { return gates_[reactor % gates_.size()]; }

    std::shared_ptr<DispatchQueue> queue_;
    std::vector<ReactorGates> gates_;
};

} // namespace bridge
