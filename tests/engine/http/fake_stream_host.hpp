#pragma once
// A core::StreamHost without a backend, for protocol tests: raw bytes in, the bytes a backend would put on
// the socket out (STYLE.md: "a test drives it with a fake host and raw bytes"). It does synchronously what
// the Reactor and the epoll backend do for their streams:
//   - open() is Reactor::accept_stream (attach, on_open, reading on);
//   - receive(), peer_closed() and read_error() are EpollBackend::read_from, followed by the batch end;
//   - pump() is the batch end of Reactor::run_once: sent notifications, then every stream that asked for
//     want_send gets prepare_output and its socket output gathered into `wire` (on_output_drained once it
//     is empty), then Handler::on_batch_end, then the deferred teardowns are finished (release());
//   - advance() moves the fake clock and fires due timers the way Reactor::run_timers does;
//   - socket_room limits what the socket takes; writable() is the EPOLLOUT edge after it was full.
// Every call a protocol makes is counted, so tests can assert back-pressure and closing.

#include "core/send_buffer_pool.hpp"
#include "core/stream.hpp"
#include "core/timer_wheel.hpp"
#include "engine/config.hpp"
#include "engine/handler.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace engine::test {

class FakeStreamHost final : public core::StreamHost {
  public:
    static constexpr std::uint32_t tick_ms = 100;  // the reactor's timer granularity

    FakeStreamHost(ServerConfig config, Handler &handler)
        : config_(std::move(config)), handler_(handler), timers_(tick_ms, 1024, 0) {
        send_buffers_.init(nullptr, config_.send_buffer_count, config_.send_buffer_size);
    }

    // --- what a test calls (the backend's side) ------------------------------------------------------
    /// A freshly accepted socket `fd` in `stream`, as Reactor::accept_stream sets it up.
    void open(core::Stream &stream, int fd, bool is_unix) {
        if (streams_.size() <= stream.slot()) streams_.resize(stream.slot() + 1, nullptr);
        streams_[stream.slot()] = &stream;
        stream.attach(fd, generation_++, is_unix);
        stream.on_open();
        stream.set(core::STREAM_F_READING);
        pump();
    }
    /// Bytes from the peer, delivered only while the stream reads (like the backend). The bytes live in a
    /// scratch buffer that is overwritten after the call, as the backend's read buffer is by the next read,
    /// so a protocol that keeps a view into it sees garbage. False when the stream was not reading.
    bool receive(core::Stream &stream, std::string_view bytes) {
        if (!stream.has(core::STREAM_F_READING) || stream.has(core::STREAM_F_TEARDOWN)) return false;
        // resize + copy, not assign(): GCC 12 sees a bogus overlap in assign()'s inlined replace (-Wrestrict).
        read_buffer_.resize(bytes.size());
        if (!bytes.empty()) std::memcpy(read_buffer_.data(), bytes.data(), bytes.size());
        stream.on_data(std::string_view(read_buffer_.data(), read_buffer_.size()));
        read_buffer_.assign(read_buffer_.size(), '\xAA');
        pump();
        return true;
    }
    /// The peer's FIN (recv returned 0): reading ends.
    void peer_closed(core::Stream &stream) {
        REQUIRE(stream.has(core::STREAM_F_READING));
        stream.clear(core::STREAM_F_READING);
        stream.on_peer_closed();
        pump();
    }
    /// recv failed (reset).
    void read_error(core::Stream &stream) {
        stream.clear(core::STREAM_F_READING);
        stream.on_read_error();
        pump();
    }
    /// The clock moves on by `ms`; due timers fire (Reactor::run_timers), then the batch ends.
    void advance(std::uint64_t ms) {
        now_ms_ += ms;
        timers_.expire(now_ms_, [this](core::TimerNode &node) {
            if (node.owner < streams_.size() && streams_[node.owner] &&
                streams_[node.owner]->has(core::STREAM_F_IN_USE))
                streams_[node.owner]->on_timeout();
        });
        pump();
    }
    /// The end of a batch: everything the protocol asked for is carried out.
    void pump() {
        do {
            deliver_sent_notifications();
            flush_output();
        } while (!sent_.empty());
        handler_.on_batch_end(index());
        finish_teardowns();
    }
    /// The socket has room for `bytes` more (unlimited: nullopt): a send waiting for room goes on.
    void writable(core::Stream &stream, std::optional<std::size_t> bytes = std::nullopt) {
        socket_room = bytes;
        stream.clear(core::STREAM_F_SEND_IN_FLIGHT);
        want_send(stream);
        pump();
    }
    /// What went on the socket since the last call.
    std::string take_wire() { return std::exchange(wire_, {}); }

    /// How many more bytes the socket takes (nullopt: all). A send that meets a full socket waits, with
    /// STREAM_F_SEND_IN_FLIGHT set, until writable() (the epoll backend's EPOLLOUT edge).
    std::optional<std::size_t> socket_room;

    // --- what the protocol called ----------------------------------------------------------------------
    int want_send_calls = 0;
    int stop_reading_calls = 0;
    int start_reading_calls = 0;
    int teardown_calls = 0;
    int releases = 0;
    std::uint64_t requests = 0;
    std::uint64_t http2_connections = 0;
    std::uint64_t http2_streams = 0;
    /// What draining() answers (Reactor::begin_drain sets it before calling Stream::begin_drain).
    bool draining_flag = false;

    // --- core::StreamHost ------------------------------------------------------------------------------
    const ServerConfig &config() const noexcept override { return config_; }
    Handler &handler() noexcept override { return handler_; }
    std::uint32_t index() const noexcept override { return 0; }
    core::SendBufferPool &send_buffers() noexcept override { return send_buffers_; }
    core::TimerWheel &timers() noexcept override { return timers_; }
    std::uint64_t now_ms() const noexcept override { return now_ms_; }
    bool draining() const noexcept override { return draining_flag; }
    std::uint32_t next_exchange_generation() noexcept override { return ++exchange_counter_; }
    void count_request() noexcept override { ++requests; }
    void count_http2_connection() noexcept override { ++http2_connections; }
    void count_http2_stream() noexcept override { ++http2_streams; }
    void want_send(core::Stream &stream) override {
        ++want_send_calls;
        if (stream.has(core::STREAM_F_DIRTY)) return;
        stream.set(core::STREAM_F_DIRTY);
        dirty_.push_back(&stream);
    }
    void stop_reading(core::Stream &stream) override {
        ++stop_reading_calls;
        stream.set(core::STREAM_F_READ_STOPPED);
        stream.clear(core::STREAM_F_READING);
    }
    void start_reading(core::Stream &stream) override {
        ++start_reading_calls;
        stream.clear(core::STREAM_F_READ_STOPPED);
        if (!stream.has(core::STREAM_F_TEARDOWN)) stream.set(core::STREAM_F_READING);
    }
    void teardown(core::Stream &stream) override {
        if (stream.has(core::STREAM_F_TEARDOWN)) return;
        ++teardown_calls;
        stream.on_teardown();
        stream.set(core::STREAM_F_TEARDOWN);
        timers_.cancel(stream.timer);
        // EpollBackend::teardown: the socket is shut down now, the stream released after the batch.
        ::shutdown(stream.fd(), SHUT_RDWR);
        stream.clear(core::STREAM_F_READING | core::STREAM_F_SEND_IN_FLIGHT);
        closing_.push_back(&stream);
    }
    void defer_sent_notification(ExchangeId id) override { sent_.push_back(id); }

  private:
    void deliver_sent_notifications() {
        while (!sent_.empty()) {
            std::vector<ExchangeId> due;
            due.swap(sent_);
            for (const ExchangeId &id : due) handler_.on_sent(id);
        }
    }
    void flush_output() {
        while (!dirty_.empty()) {
            std::vector<core::Stream *> batch;
            batch.swap(dirty_);
            for (core::Stream *stream : batch) {
                if (!stream->has(core::STREAM_F_DIRTY)) continue;
                stream->clear(core::STREAM_F_DIRTY);
                if (stream->has(core::STREAM_F_IN_USE) && !stream->has(core::STREAM_F_TEARDOWN)) issue_output(*stream);
            }
        }
    }
    /// Reactor::issue_output, then EpollBackend::send into a socket with `socket_room`.
    void issue_output(core::Stream &stream) {
        if (stream.has(core::STREAM_F_SEND_IN_FLIGHT)) return;
        std::vector<ExchangeId> sent;
        const std::error_code error = stream.prepare_output(sent);
        sent_.insert(sent_.end(), sent.begin(), sent.end());
        if (error) {
            stream.on_send_error();
            return;
        }
        core::OutputQueue &output = stream.socket_output();
        if (output.empty()) {
            stream.on_output_drained();
            return;
        }
        while (!output.empty()) {
            // Files are not needed by these tests; a protocol queueing one is a test bug.
            REQUIRE_FALSE(output.front_is_file());
            iovec vectors[sizeof(core::Stream::vectors) / sizeof(iovec)];
            std::size_t total = 0;
            const std::size_t count = output.gather(vectors, std::size(vectors), total);
            const std::size_t taken = std::min(total, socket_room.value_or(total));
            std::size_t left = taken;
            for (std::size_t i = 0; i < count && left > 0; ++i) {
                const std::size_t piece = std::min(left, vectors[i].iov_len);
                wire_.append(static_cast<const char *>(vectors[i].iov_base), piece);
                left -= piece;
            }
            output.consume(taken, false, sent);
            if (socket_room) *socket_room -= taken;
            if (taken < total) {
                stream.set(core::STREAM_F_SEND_IN_FLIGHT);  // full: wait for writable()
                break;
            }
        }
        sent_.insert(sent_.end(), sent.begin(), sent.end());
        // Like the epoll backend after a complete send: on_output_drained on the next pass.
        if (!stream.has(core::STREAM_F_SEND_IN_FLIGHT)) want_send(stream);
    }
    void finish_teardowns() {
        std::vector<core::Stream *> closing;
        closing.swap(closing_);
        for (core::Stream *stream : closing) {
            stream->release();
            ++releases;
        }
    }

    ServerConfig config_;
    Handler &handler_;
    core::SendBufferPool send_buffers_;
    core::TimerWheel timers_;
    std::uint64_t now_ms_ = 0;
    std::uint32_t generation_ = 0;
    std::uint32_t exchange_counter_ = 0;
    std::vector<core::Stream *> streams_;  ///< by slot
    std::vector<core::Stream *> dirty_;
    std::vector<core::Stream *> closing_;
    std::vector<ExchangeId> sent_;
    std::string read_buffer_;
    std::string wire_;
};

} // namespace engine::test
