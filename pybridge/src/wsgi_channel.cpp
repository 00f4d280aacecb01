#include "wsgi_channel.hpp"

#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "wsgi_server.hpp"

namespace py = pybind11;

namespace bridge {

WsgiChannel::WsgiChannel(WsgiServer *server, engine::ExchangeId id, std::shared_ptr<BodyGate> gate, bool has_body)
    : live_(live_objects().wsgi_channels), server_(server), id_(id), gate_(std::move(gate)),
      body_complete_(!has_body) {}

// --- pump thread ---------------------------------------------------------------------------------------------

void WsgiChannel::deliver_body(std::string &&data, bool last) {
    {
        std::lock_guard lock(mutex_);
        if (finished_) return;
        if (!data.empty()) body_.push_back(std::move(data));
        if (last) body_complete_ = true;
    }
    changed_.notify_one();  // only the thread running the request ever waits here
}

void WsgiChannel::mark_aborted() {
    {
        std::lock_guard lock(mutex_);
        aborted_ = true;
    }
    changed_.notify_one();
}

void WsgiChannel::mark_sent() {
    bool go_on;
    {
        std::lock_guard lock(mutex_);
        go_on = send_window_.on_sent();
    }
    if (go_on) changed_.notify_one();
}

// --- WSGI thread ---------------------------------------------------------------------------------------------

template <typename Ready> void WsgiChannel::wait_until(std::unique_lock<std::mutex> &lock, Ready ready) {
    if (ready()) return;
    // The GIL goes before the wait and comes back after the channel's lock is dropped (the caller's scope
    // ends it): re-taking the GIL can take long, and the pump must never wait for that to route events.
    lock.unlock();
    py::gil_scoped_release unlocked;
    lock.lock();
    changed_.wait(lock, ready);
    lock.unlock();
}

bool WsgiChannel::read_some(std::string &out, std::size_t limit, bool until_newline) {
    std::unique_lock lock(mutex_);
    if (finished_) {
        lock.unlock();
        PyErr_SetString(PyExc_ValueError, "wsgi.input read after the request ended");
        throw py::error_already_set();
    }
    wait_until(lock, [this] { return !body_.empty() || body_complete_ || aborted_; });
    if (!lock.owns_lock()) lock.lock();
    std::size_t taken = 0;
    bool newline_found = false;
    while (!body_.empty() && taken < limit && !newline_found) {
        const std::string &chunk = body_.front();
        std::string_view available(chunk.data() + front_offset_, chunk.size() - front_offset_);
        std::size_t count = std::min(available.size(), limit - taken);
        if (until_newline) {
            const std::size_t newline = available.substr(0, count).find('\n');
            if (newline != std::string_view::npos) {
                count = newline + 1;
                newline_found = true;
            }
        }
        out.append(available.data(), count);
        taken += count;
        front_offset_ += count;
        if (front_offset_ == chunk.size()) {
            body_.pop_front();
            front_offset_ = 0;
        }
    }
    const bool disconnected = taken == 0 && aborted_ && !body_complete_;
    lock.unlock();
    consume_body_credit(taken);
    if (disconnected) throw_client_disconnected();
    return taken > 0;
}

void WsgiChannel::consume_body_credit(std::size_t bytes) {
    if (!gate_ || bytes == 0) return;
    const auto amount = static_cast<std::int64_t>(bytes);
    const std::int64_t before = gate_->unconsumed.fetch_sub(amount, std::memory_order_acq_rel);
    // The reactor paused reading when it crossed the mark upwards; resume on the way back down, once.
    if (before > body_high_water_bytes && before - amount <= body_high_water_bytes) server_->resume_body(id_);
}

bool WsgiChannel::send(engine::ResponsePart &&part, std::size_t body_bytes) {
    std::unique_lock lock(mutex_);
    if (aborted_ || finished_) {
        lock.unlock();
        server_->post(id_, std::move(part));  // dropped by the engine, which releases what the part holds
        return false;
    }
    const SendWindow::Decision window = send_window_.on_post(body_bytes, part.end);
    part.notify_sent = window.notify_sent;
    lock.unlock();
    server_->post(id_, std::move(part));
    if (!window.must_wait) return true;
    lock.lock();
    wait_until(lock, [this] { return send_window_.may_go_on() || aborted_; });
    if (!lock.owns_lock()) lock.lock();
    return !aborted_;
}

void WsgiChannel::finish() {
    bool resume = false;
    {
        std::lock_guard lock(mutex_);
        if (finished_) return;
        finished_ = true;
        body_.clear();
        front_offset_ = 0;
        if (gate_) {
            gate_->discard.store(true, std::memory_order_release);
            // A paused body must flow again so the engine can read (and drop) the rest of it.
            resume = !aborted_ && !body_complete_ && gate_->unconsumed.load() > body_high_water_bytes;
        }
    }
    if (resume) server_->resume_body(id_);
    gate_.reset();
}

bool WsgiChannel::aborted() const {
    std::lock_guard lock(mutex_);
    return aborted_;
}

bool WsgiChannel::finished() const {
    std::lock_guard lock(mutex_);
    return finished_;
}

} // namespace bridge
