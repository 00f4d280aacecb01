#include "static_answers.hpp"

#include "error_log.hpp"

namespace py = pybind11;

namespace bridge {

void StaticAnswerQueue::on_static_answer(engine::ExchangeId id, std::unique_ptr<engine::Request> request,
                                         std::uint16_t status, std::uint64_t body_bytes,
                                         std::chrono::nanoseconds elapsed) {
    DispatchEvent event;
    event.kind = DispatchEvent::Kind::static_answer;
    event.id = id;
    event.request = std::move(request);
    event.close_code = status;
    event.body_bytes = body_bytes;
    event.elapsed_ns = elapsed.count();
    queue_->push(id.reactor, std::move(event));
}

void report_static_answer(py::handle observer, py::handle logger, py::handle request_mapping,
                          const DispatchEvent &event) {
    try {
        observer(request_mapping, event.close_code, static_cast<double>(event.elapsed_ns) / 1e9, event.body_bytes);
    } catch (py::error_already_set &error) {
        // A failing observer (a log handler that raises) must not stop the drain: say so, with the cause; if the
        // logger fails too, that goes to sys.unraisablehook rather than nowhere.
        error.restore();
        log_current_error(logger, "error while observing a static-file request");
    }
}

} // namespace bridge
