#pragma once
// Thread-safe work queue into one reactor. Any thread posts; the reactor drains everything in one
// swap. The eventfd is written only when the queue goes from "drained" to "has work", so a burst of
// posts costs one wake.

#include "engine/handler.hpp"
#include "engine/response.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace engine::core {

struct Command {
    enum class Kind : std::uint8_t { response_part, resume_body, abort, stop };
    Kind kind = Kind::response_part;
    ExchangeId id;
    ResponsePart part;
};

class Inbox {
  public:
    Inbox();
    ~Inbox();
    Inbox(const Inbox &) = delete;
    Inbox &operator=(const Inbox &) = delete;

    int eventfd() const noexcept { return eventfd_; }
    /// Thread-safe.
    void post(Command &&command);
    /// Reactor thread: takes every queued command (into `out`, which is cleared first).
    void drain(std::vector<Command> &out);

  private:
    int eventfd_ = -1;
    std::mutex mutex_;
    std::vector<Command> queue_;
    std::atomic<bool> wake_pending_{false};
};

} // namespace engine::core
