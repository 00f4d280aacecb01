#pragma once
// The bridge's engine::files::StaticAnswerObserver: each request a static route answered on a reactor becomes a
// DispatchEvent (Kind::static_answer) on the queue the server already drains, so the access log and the request
// metrics see static requests without the reactor ever waiting for the GIL. The event rides the batch the queue
// already wakes the loop for (one eventfd write per drain). Installed only when an observer is on.

#include <memory>

#include <pybind11/pybind11.h>

#include "dispatch_queue.hpp"
#include "engine/static_routes.hpp"

namespace bridge {

class StaticAnswerQueue final : public engine::files::StaticAnswerObserver {
  public:
    explicit StaticAnswerQueue(std::shared_ptr<DispatchQueue> queue) : queue_(std::move(queue)) {}

    void on_static_answer(engine::ExchangeId id, std::unique_ptr<engine::Request> request, std::uint16_t status,
                          std::uint64_t body_bytes, std::chrono::nanoseconds elapsed) override;

  private:
    std::shared_ptr<DispatchQueue> queue_;
};

/// Loop or WSGI thread, GIL held: calls `observer(request_mapping, status, seconds, size)` for one static answer;
/// a Python error is logged on `logger` with its traceback (log_current_error) and goes no further.
void report_static_answer(pybind11::handle observer, pybind11::handle logger, pybind11::handle request_mapping,
                          const DispatchEvent &event);

} // namespace bridge
