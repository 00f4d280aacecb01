#include "wsgi_server.hpp"

#include "static_answers.hpp"
#include "engine_lifecycle.hpp"

#include <cerrno>
#include <csignal>
#include <utility>

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "error_log.hpp"
#include "errors.hpp"
#include "lent_bytes.hpp"
#include "settings.hpp"
#include "static_answers.hpp"
#include "wsgi_environ.hpp"
#include "wsgi_input.hpp"
#include "wsgi_response.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// Releases what a part holds when it cannot reach the engine any more (the reactors have exited).
void release_part(engine::ResponsePart &part) noexcept {
    if (auto *lent = std::get_if<engine::ExternalBuffer>(&part.body)) engine::give_back(*lent);
    if (auto *file = std::get_if<engine::FileRegion>(&part.body); file && file->fd >= 0) ::close(file->fd);
    part.body = std::monostate{};
}

/// Whether the pending Python error is the client having left (nothing worth an error log).
bool client_left(const py::error_already_set &error) { return error.matches(client_disconnected_error()); }

} // namespace

WsgiServer::WsgiServer(py::handle engine_settings, WsgiCallables callables, WsgiOptions options)
    : live_(live_objects().servers), config_(engine_config_from(engine_settings)), options_(std::move(options)),
      callables_(std::move(callables)) {
    queue_ = std::make_shared<DispatchQueue>(config_.threads);
    lent_bytes_ = std::make_shared<LentBytes>(queue_);
    handler_ = std::make_shared<BridgeHandler>(queue_, config_.threads);
    std::shared_ptr<StaticAnswerQueue> static_answers;
    if (!callables_.static_observer.is_none()) static_answers = std::make_shared<StaticAnswerQueue>(queue_);
    engine_ = std::make_unique<engine::Server>(config_,
                                               with_static_route(engine_settings, handler_, std::move(static_answers)));
    root_path_str_ = py::str(options_.root_path);
}

WsgiServer::~WsgiServer() {
    if (started_) {
        // Python always stops, waits and closes; this only guards against a server dropped mid-run.
        py::gil_scoped_release unlocked;
        engine_->stop();
        engine_->wait();
    }
    if (pump_thread_.joinable()) {
        pump_stop_.store(true);
        queue_->wake_loop();
        py::gil_scoped_release unlocked;
        pump_thread_.join();
    }
    lent_bytes_->drop_released();
}

void WsgiServer::start() {
    start_engine(*engine_, started_);
    engine_running_.store(true);
    pump_thread_ = std::thread([this] { pump(); });
}

void WsgiServer::stop() { stop_engine(*engine_, started_); }

py::list WsgiServer::stats() const { return engine_stats(*engine_, started_); }

void WsgiServer::wait() {
    wait_engine(*engine_, started_);
    if (started_) engine_running_.store(false);
}

// --- the pump thread (never holds the GIL) -------------------------------------------------------------------

void WsgiServer::pump() {
    // Signals are for the Python main thread; keep them off this one.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::vector<DispatchEvent> events;
    pollfd readable{queue_->wake_fd(), POLLIN, 0};
    for (;;) {
        const bool last_round = pump_stop_.load();
        if (!last_round && ::poll(&readable, 1, -1) < 0 && errno != EINTR) break;
        queue_->take(events);
        route(events);
        events.clear();
        if (last_round) break;
    }
}

void WsgiServer::route(std::vector<DispatchEvent> &events) {
    std::size_t new_requests = 0;
    bool housekeeping = false;
    {
        std::lock_guard lock(mutex_);
        for (DispatchEvent &event : events) {
            if (event.kind == DispatchEvent::Kind::static_answer) {
                static_answers_.push_back(std::move(event));
                housekeeping = housekeeping_ = true;  // a thread with the GIL reports them
                continue;
            }
            if (event.kind == DispatchEvent::Kind::request) {
                if (closing_) continue;
                auto channel = std::make_shared<WsgiChannel>(this, event.id, std::move(event.body_gate),
                                                             event.request->has_body());
                channels_[event.id] = channel;
                ready_.push_back(Pending{std::move(event.request), std::move(channel)});
                ++new_requests;
                continue;
            }
            auto found = channels_.find(event.id);
            if (found == channels_.end()) continue;  // the request is over: a late sent/abort, nothing to tell
            WsgiChannel &channel = *found->second;
            switch (event.kind) {
            case DispatchEvent::Kind::body: channel.deliver_body(std::move(event.data), event.last); break;
            case DispatchEvent::Kind::abort: channel.mark_aborted(); break;
            case DispatchEvent::Kind::sent: channel.mark_sent(); break;
            case DispatchEvent::Kind::request: break;
            case DispatchEvent::Kind::ws_message:  // WSGI has no WebSockets: its engine runs with them off
            case DispatchEvent::Kind::ws_close:
            case DispatchEvent::Kind::static_answer: break;
            }
        }
        // Lent response bytes come back on reactor threads and wait for a thread with the GIL to drop them.
        // Running requests do it as they go; when none runs, one idle thread is woken for it.
        if (new_requests == 0 && in_flight_.load() == 0 && live_objects().external_buffers.load() > 0) {
            housekeeping = housekeeping_ = true;
        }
    }
    for (std::size_t i = 0; i < new_requests; ++i) work_ready_.notify_one();
    if (housekeeping) work_ready_.notify_one();
}

// --- WSGI threads --------------------------------------------------------------------------------------------

void WsgiServer::serve_requests() {
    std::vector<DispatchEvent> static_answers;
    for (;;) {
        Pending work;
        {
            py::gil_scoped_release unlocked;
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return !ready_.empty() || housekeeping_ || closing_; });
            if (!ready_.empty()) {
                work = std::move(ready_.front());
                ready_.pop_front();
                in_flight_.fetch_add(1);
            } else if (housekeeping_) {
                housekeeping_ = false;
            } else {
                return;  // closing, nothing left to run
            }
            static_answers.swap(static_answers_);
        }
        lent_bytes_->drop_released();
        if (!static_answers.empty()) report_static(static_answers);
        if (!work.channel) continue;
        try {
            run_request(work);
        } catch (py::error_already_set &error) {  // outside the app (out of memory): keep the thread serving
            error.restore();
            log_current_error("WSGI bridge error", py::handle());
            work.channel->finish();
        } catch (const std::exception &error) {
            PyErr_SetString(PyExc_RuntimeError, error.what());
            log_current_error("WSGI bridge error", py::handle());
            work.channel->finish();
        }
        forget(work.channel->id());
        in_flight_.fetch_sub(1);
    }
}

void WsgiServer::report_static(std::vector<DispatchEvent> &answers) {
    EnvironContext context{options_.root_path, root_path_str_, callables_.errors_stream, callables_.file_wrapper,
                           options_.multiprocess};
    for (const DispatchEvent &event : answers) {
        try {
            py::object environ = build_environ(*event.request, context, py::none());
            report_static_answer(callables_.static_observer, callables_.logger, environ, event);
        } catch (py::error_already_set &error) {
            error.restore();
            log_current_error("could not observe a static-file request", py::handle());
        }
    }
    answers.clear();
}

void WsgiServer::run_request(Pending &work) {
    const std::shared_ptr<WsgiChannel> &channel = work.channel;
    if (channel->aborted()) {  // the client left before a thread was free: never run the app
        channel->finish();
        return;
    }
    py::object responder_object = py::cast(std::make_unique<WsgiResponder>(channel, lent_bytes_));
    WsgiResponder &responder = responder_object.cast<WsgiResponder &>();
    py::object result;
    py::object environ;
    const char *failure = nullptr;
    try {
        py::object input = py::cast(std::make_unique<WsgiInput>(channel));
        EnvironContext context{options_.root_path, root_path_str_, callables_.errors_stream, callables_.file_wrapper,
                               options_.multiprocess};
        environ = build_environ(*work.request, context, input);
        work.request.reset();  // the environ has everything; free the head's storage now
        py::object start_response = responder_object.attr("start_response");
        PyObject *args[] = {environ.ptr(), start_response.ptr()};
        result = py::reinterpret_steal<py::object>(PyObject_Vectorcall(callables_.app.ptr(), args, 2, nullptr));
        if (!result) throw py::error_already_set();
        responder.send_result(result, callables_.file_wrapper);
    } catch (py::error_already_set &error) {
        if (!client_left(error)) {
            error.restore();
            failure = "Exception in WSGI application";
        }
    } catch (const std::exception &error) {
        PyErr_SetString(protocol_error(), error.what());
        failure = "WSGI protocol error";
    }
    if (failure) {
        log_current_error(failure, environ);
        responder.fail();
    }

    // PEP 3333: the iterable's close() is called on every path: end, error and client gone.
    if (result && PyObject_HasAttrString(result.ptr(), "close")) {
        try {
            result.attr("close")();
        } catch (py::error_already_set &error) {
            error.restore();
            log_current_error("Exception in the close() of a WSGI response iterable", environ);
            responder.fail();
        }
    }
    result = py::object();
    channel->finish();
    lent_bytes_->drop_released();
}

void WsgiServer::log_current_error(const char *what, py::handle environ) const {
    // Taken before the environ is read: no Python call may run while an error is pending.
    py::object error = take_current_error();
    try {
        py::object method = py::none(), path = py::none();
        if (environ) {
            method = environ.attr("get")("REQUEST_METHOD");
            path = environ.attr("get")("PATH_INFO");
        }
        log_error(callables_.logger, error, "%s (%s %s)", what, method, path);
    } catch (py::error_already_set &) {
        PyErr_WriteUnraisable(callables_.logger.ptr());
    }
}

void WsgiServer::forget(engine::ExchangeId id) {
    std::lock_guard lock(mutex_);
    channels_.erase(id);
}

// --- for channels --------------------------------------------------------------------------------------------

void WsgiServer::post(engine::ExchangeId id, engine::ResponsePart &&part) {
    if (!engine_running_.load()) {
        release_part(part);
        return;
    }
    engine_->post(id, std::move(part));
}

void WsgiServer::resume_body(engine::ExchangeId id) {
    if (engine_running_.load()) engine_->resume_body(id);
}

void WsgiServer::abort(engine::ExchangeId id) {
    if (engine_running_.load()) engine_->abort(id);
}

// --- shutdown ------------------------------------------------------------------------------------------------

void WsgiServer::close() {
    if (pump_thread_.joinable()) {
        // The pump's last round takes what the reactors queued before they exited (the aborts of cut exchanges).
        pump_stop_.store(true);
        queue_->wake_loop();
        py::gil_scoped_release unlocked;
        pump_thread_.join();
    }
    engine_running_.store(false);
    std::deque<Pending> never_started;
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
        never_started.swap(ready_);
        // Threads still blocked on a body or a slow client can never be answered now: wake them.
        for (auto &[id, channel] : channels_) channel->mark_aborted();
    }
    work_ready_.notify_all();
    for (Pending &pending : never_started) {
        pending.channel->finish();
        forget(pending.channel->id());
    }
    lent_bytes_->drop_released();
}

void WsgiServer::drop_references() {
    // After the threads have returned: nothing of the app stays reachable from this object (no GC cycle).
    callables_ = WsgiCallables{};
    root_path_str_ = py::object();
}

} // namespace bridge
