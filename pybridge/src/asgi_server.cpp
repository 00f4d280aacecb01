#include "asgi_server.hpp"

#include "engine_lifecycle.hpp"

#include <utility>

#include "asgi_exchange.hpp"
#include "asgi_scope.hpp"
#include "asgi_websocket.hpp"
#include "lent_bytes.hpp"
#include "names.hpp"
#include "py_objects.hpp"
#include "static_answers.hpp"
#include "engine/ws_subprotocols.hpp"
#include "error_log.hpp"
#include "error_responses.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// How long a receive() still waiting on a completed exchange is left alone once its connection has taken the
/// next request (see end_lingering_receives): far longer than a framework takes to cancel its listener, short
/// enough that an app waiting for the disconnect is not kept noticeably.
constexpr double lingering_receive_grace_seconds = 0.25;

engine::ResponsePart bad_request_response() {
    return engine::make_response(400, "content-type: text/plain; charset=utf-8\r\n",
                                 "Bad Request: the request path is not valid UTF-8 once percent-decoded");
}

} // namespace

AsgiServer::AsgiServer(py::handle engine_settings, AsgiCallables callables, AsgiOptions options)
    : live_(live_objects().servers), config_(engine_config_from(engine_settings)), options_(std::move(options)),
      callables_(std::move(callables)) {
    queue_ = std::make_shared<DispatchQueue>(config_.threads, options_.single_threaded);
    lent_bytes_ = std::make_unique<LentBytes>(queue_);
    handler_ = std::make_shared<BridgeHandler>(queue_, config_.threads);
    std::shared_ptr<StaticAnswerQueue> static_answers;
    if (!callables_.static_observer.is_none()) static_answers = std::make_shared<StaticAnswerQueue>(queue_);
    engine_ = std::make_unique<engine::Server>(config_,
                                               with_static_route(engine_settings, handler_, std::move(static_answers)));
    if (options_.single_threaded) driver_ = std::make_unique<LoopDriver>(*engine_, *queue_);
    root_path_str_ = py::str(options_.root_path);
    server_cert_pem_ = server_certificate_pem(engine_settings);
    create_future_ = callables_.loop.attr("create_future");
    if (options_.eager_tasks) {
        create_task_ = py::module_::import("asyncio").attr("Task");
        eager_kwnames_ = py::make_tuple(py::handle(names().loop), py::handle(names().eager_start));
    } else {
        create_task_ = callables_.loop.attr("create_task");
    }
}

AsgiServer::~AsgiServer() {
    if (driver_) driver_->close();  // no more scheduling: what follows runs the engine to its end here
    if (started_ && !closed_) {
        // The Python side always stops and waits; this only guards against a server dropped mid-run.
        py::gil_scoped_release unlocked;
        engine_->stop();
        engine_->wait();
    }
    clear();
    lent_bytes_->drop_released();
}

void AsgiServer::start(py::handle self) {
    if (!driver_) {
        start_engine(*engine_, started_);
        return;
    }
    if (started_) throw std::logic_error("the server was already started");
    driver_->start(callables_.loop, self.attr("run_ready"));
    started_ = true;
}

void AsgiServer::run_ready(py::handle self) {
    if (!driver_ || !started_ || closed_) return;
    driver_->begin_run();
    bool running = true;
    try {
        running = driver_->run_engine();
        drain(self);
        // What the drain answered (eager tasks, answers without an app) leaves now, not after another turn.
        if (running && engine_->wants_run()) running = driver_->run_engine();
    } catch (...) {
        driver_->after_run(running);
        throw;
    }
    driver_->after_run(running);
}

void AsgiServer::stop() { stop_engine(*engine_, started_); }

void AsgiServer::wait() { wait_engine(*engine_, started_); }

py::list AsgiServer::stats() const { return engine_stats(*engine_, started_); }

// --- the reader callback ---------------------------------------------------------------------------------

void AsgiServer::drain(py::handle self) {
    if (closed_ || !callables_.app) return;
    queue_->take(events_);
    lent_bytes_->drop_released();
    // First every event of the batch, then the apps: a body that arrived with its request is buffered before
    // the app (perhaps started eagerly) first calls receive(), and an abort stops a request from starting.
    std::vector<Waiting> to_start;
    for (DispatchEvent &event : events_) {
        try {
            switch (event.kind) {
            case DispatchEvent::Kind::request: handle_request(self, event, to_start); break;
            case DispatchEvent::Kind::body:
                if (auto *exchange = find_kind<AsgiExchange>(event.id)) {
                    exchange->on_body(std::move(event.data), event.last);
                }
                break;
            case DispatchEvent::Kind::abort:
                if (AsgiSession *session = find(event.id)) session->on_abort();
                break;
            case DispatchEvent::Kind::sent:
                if (AsgiSession *session = find(event.id)) session->on_sent();
                break;
            case DispatchEvent::Kind::ws_message:
                if (auto *websocket = find_kind<AsgiWebSocket>(event.id)) {
                    websocket->on_message(std::move(event.data), event.text);
                }
                break;
            case DispatchEvent::Kind::ws_close:
                if (auto *websocket = find_kind<AsgiWebSocket>(event.id)) {
                    websocket->on_close(event.close_code, std::move(event.data));
                }
                break;
            case DispatchEvent::Kind::static_answer: report_static(event); break;
            }
        } catch (py::error_already_set &error) {
            error.restore();
            log_current_error(callables_.logger, "error while dispatching a request event");
        } catch (const std::exception &error) {
            PyErr_SetString(PyExc_RuntimeError, error.what());
            log_current_error(callables_.logger, "error while dispatching a request event");
        }
    }
    events_.clear();

    for (Waiting &request : to_start) {
        if (may_start_more()) {
            start_app(request);
        } else {
            waiting_.push_back(std::move(request));
        }
    }
    while (!waiting_.empty() && may_start_more()) {
        Waiting request = std::move(waiting_.front());
        waiting_.pop_front();
        start_app(request);
    }
}

ScopeContext AsgiServer::scope_context() const {
    return ScopeContext{options_.root_path, root_path_str_, callables_.state, server_cert_pem_};
}

void AsgiServer::report_static(const DispatchEvent &event) {
    const ScopeContext context = scope_context();
    py::object scope = build_http_scope(*event.request, context);
    if (!scope) return;  // a path that is not UTF-8 once decoded: the app would never have seen it either
    report_static_answer(callables_.static_observer, callables_.logger, scope, event);
}

void AsgiServer::handle_request(py::handle self, DispatchEvent &event, std::vector<Waiting> &to_start) {
    const engine::Request &request = *event.request;
    if (!lingering_receives_.empty()) end_lingering_receives(self, event.id);
    const ScopeContext context = scope_context();
    // Answered here without an app: the body (if any) has no reader, so the reactor must drop it unpaused.
    auto answer_without_app = [&](engine::ResponsePart &&response) {
        if (event.body_gate) event.body_gate->discard.store(true, std::memory_order_release);
        engine_->post(event.id, std::move(response));
    };
    py::object scope;
    try {
        scope = request.websocket ? build_websocket_scope(request, context) : build_http_scope(request, context);
    } catch (py::error_already_set &error) {
        error.restore();
        log_current_error(callables_.logger, "could not build the ASGI scope");
        answer_without_app(internal_error_response());
        return;
    }
    if (!scope) {
        answer_without_app(bad_request_response());
        return;
    }
    if (request.websocket) {
        register_websocket(self, event);
    } else {
        register_session(std::make_unique<AsgiExchange>(py::reinterpret_borrow<py::object>(self), this, event.id,
                                                        std::move(event.body_gate), request.has_body()));
    }
    live_objects().registered.fetch_add(1);
    to_start.push_back(Waiting{event.id, std::move(scope)});
}

void AsgiServer::end_lingering_receives(py::handle self, engine::ExchangeId id) {
    std::vector<engine::ExchangeId> ended;
    std::erase_if(lingering_receives_, [&](const engine::ExchangeId &lingering) {
        const bool same_slot = lingering.reactor == id.reactor && lingering.slot == id.slot;
        if (same_slot) ended.push_back(lingering);
        return same_slot || find_kind<AsgiExchange>(lingering) == nullptr;
    });
    if (ended.empty()) return;
    // Not woken at once: a keep-alive client sends its next request as soon as it has read the response,
    // which races the framework's own cancel of its disconnect listener (Django cancels it a few loop
    // iterations after its last send). Woken first, Django's listener raises RequestAborted into a task its
    // handler keeps, a reference cycle that holds the whole response until the cyclic GC runs (issue 14: on
    // 3.12 and 3.13 that race was lost by 97 of 100 requests). A listener the framework cancels in the grace
    // is left alone; an app that really waits for the disconnect gets it the grace later.
    py::object wake = self.attr("_end_lingering_receive");
    for (const engine::ExchangeId &lingering : ended) {
        steal_or_throw(PyObject_CallMethod(callables_.loop.ptr(), "call_later", "dOIII", lingering_receive_grace_seconds,
                                           wake.ptr(), lingering.reactor, lingering.slot, lingering.generation));
    }
}

void AsgiServer::end_lingering_receive(engine::ExchangeId id) {
    if (auto *exchange = find_kind<AsgiExchange>(id)) exchange->end_lingering_receive();
}

bool AsgiServer::may_start_more() const noexcept {
    return options_.max_concurrency == 0 || running_ < options_.max_concurrency;
}

void AsgiServer::start_app(const Waiting &request) {
    auto found = exchanges_.find(request.id);
    if (found == exchanges_.end()) return;
    Registered &entry = found->second;
    AsgiSession *session = entry.session;
    if (session->disconnected()) {  // the client left before its app could start: never run it
        session->finish();
        return;
    }
    entry.app_started = true;
    ++running_;
    py::object object = entry.object;  // `entry` may be erased while the app runs (eager start)
    try {
        PyObject *runner_args[] = {callables_.app.ptr(), request.scope.ptr(), object.ptr()};
        py::object coroutine = py::reinterpret_steal<py::object>(
            PyObject_Vectorcall(callables_.runner.ptr(), runner_args, 3, nullptr));
        if (!coroutine) throw py::error_already_set();
        py::object task;
        if (eager_kwnames_) {
            PyObject *task_args[] = {coroutine.ptr(), callables_.loop.ptr(), Py_True};
            task = py::reinterpret_steal<py::object>(
                PyObject_Vectorcall(create_task_.ptr(), task_args, 1, eager_kwnames_.ptr()));
        } else {
            PyObject *task_args[] = {coroutine.ptr()};
            task = py::reinterpret_steal<py::object>(PyObject_Vectorcall(create_task_.ptr(), task_args, 1, nullptr));
        }
        if (!task) throw py::error_already_set();
        session->set_task(std::move(task));  // ignored if the app already finished (eager start)
    } catch (py::error_already_set &error) {
        error.restore();
        log_current_error(callables_.logger, "could not start the ASGI application task");
        if (!session->finished()) {
            if (!session->disconnected()) engine_->post(request.id, internal_error_response());
            session->finish();
        }
    }
}

void AsgiServer::exchange_finished(engine::ExchangeId id) {
    auto found = exchanges_.find(id);
    if (found == exchanges_.end()) return;
    if (found->second.app_started) --running_;
    py::object object = std::move(found->second.object);  // dropped after the table no longer names it
    exchanges_.erase(found);
    live_objects().registered.fetch_sub(1);
    if (!lingering_receives_.empty()) std::erase(lingering_receives_, id);
    // A request held back by the backpressure limit starts from drain(), not from inside this task.
    if (!waiting_.empty()) queue_->wake_loop();
}

AsgiSession *AsgiServer::find(engine::ExchangeId id) const {
    auto found = exchanges_.find(id);
    return found == exchanges_.end() ? nullptr : found->second.session;
}

template <typename Session> Session *AsgiServer::find_kind(engine::ExchangeId id) const {
    AsgiSession *session = find(id);
    if (session == nullptr || session->kind() != Session::session_kind) return nullptr;
    return static_cast<Session *>(session);
}

template <typename Session> void AsgiServer::register_session(std::unique_ptr<Session> session) {
    const engine::ExchangeId id = session->id();
    AsgiSession *raw = session.get();
    exchanges_[id] = Registered{py::cast(std::move(session)), raw};
}

void AsgiServer::register_websocket(py::handle self, DispatchEvent &event) {
    std::vector<std::string> offered;  // kept to check the app's choice of subprotocol
    for (std::string_view name : engine::ws::requested_subprotocols(*event.request)) offered.emplace_back(name);
    register_session(std::make_unique<AsgiWebSocket>(py::reinterpret_borrow<py::object>(self), this, event.id,
                                                     std::move(event.body_gate), std::move(offered)));
}

py::list AsgiServer::running_tasks() const {
    py::list tasks;
    for (const auto &[id, entry] : exchanges_) {
        if (py::handle task = entry.session->task()) tasks.append(task);
    }
    return tasks;
}

// --- shutdown --------------------------------------------------------------------------------------------

void AsgiServer::close() {
    if (closed_) return;
    if (driver_) driver_->close();
    if (started_) {
        // Whatever the reactors queued before they exited: releases must be dropped, requests will never run.
        queue_->take(events_);
        events_.clear();
    }
    closed_ = true;
    waiting_.clear();
    // finish() removes each session from the table, so take them out first (each object keeps its session).
    std::vector<std::pair<py::object, AsgiSession *>> remaining;
    for (auto &[id, entry] : exchanges_) remaining.emplace_back(entry.object, entry.session);
    for (auto &[object, session] : remaining) session->finish();
    exchanges_.clear();
    lent_bytes_->drop_released();
    clear();
}

int AsgiServer::traverse(visitproc visit, void *arg) const {
    Py_VISIT(callables_.app.ptr());
    Py_VISIT(callables_.loop.ptr());
    Py_VISIT(callables_.runner.ptr());
    Py_VISIT(callables_.state.ptr());
    Py_VISIT(callables_.logger.ptr());
    Py_VISIT(callables_.static_observer.ptr());
    Py_VISIT(create_future_.ptr());
    Py_VISIT(create_task_.ptr());
    for (const auto &[id, entry] : exchanges_) Py_VISIT(entry.object.ptr());
    for (const Waiting &request : waiting_) Py_VISIT(request.scope.ptr());
    if (driver_) return driver_->traverse(visit, arg);
    return 0;
}

void AsgiServer::clear() {
    if (driver_) driver_->clear();
    waiting_.clear();
    lingering_receives_.clear();
    std::unordered_map<engine::ExchangeId, Registered, ExchangeIdHash> exchanges;
    exchanges.swap(exchanges_);
    live_objects().registered.fetch_sub(static_cast<std::int64_t>(exchanges.size()));
    exchanges.clear();
    callables_ = AsgiCallables{};
    create_future_ = py::object();
    create_task_ = py::object();
    eager_kwnames_ = py::object();
    root_path_str_ = py::object();
    server_cert_pem_ = py::object();
}

} // namespace bridge
