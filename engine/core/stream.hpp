#pragma once
// The seam between the I/O backends and the protocols. A Stream is one accepted socket as a protocol
// sees it (HTTP/1 today): bytes in, an output queue out, timeouts and inbox commands. A StreamHost is
// what the reactor offers it: request a send, stop or resume reading, tear down, timers, clock, send
// buffers. Protocol code is written once against these two classes; io_uring and epoll turn their
// completions or readiness into the same calls (seastar's reactor_backend and monoio's driver split
// are the shape). Nothing here knows HTTP, and nothing in a protocol knows which backend runs.

#include "core/output_queue.hpp"
#include "core/timer_wheel.hpp"
#include "engine/config.hpp"
#include "engine/handler.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

namespace engine::core {

struct Command;
class StreamHost;

/// Flags of one bitset per stream. The host owns bits 0..7 (STREAM_F_*); a protocol numbers its
/// own flags from STREAM_F_PROTOCOL_FIRST up, so one test covers both kinds (CONN_F_* in http/).
enum StreamFlags : std::uint32_t {
    STREAM_F_IN_USE = 1u << 0,
    STREAM_F_READING = 1u << 1,         ///< a receive is armed (io_uring) or readiness is watched (epoll)
    STREAM_F_SEND_IN_FLIGHT = 1u << 2,  ///< a send is outstanding, or the socket is full until writable
    STREAM_F_TEARDOWN = 1u << 3,        ///< socket shut down; the slot is freed once nothing is outstanding
    STREAM_F_DIRTY = 1u << 4,           ///< queued on the host's send list
    STREAM_F_READ_STOPPED = 1u << 5,    ///< the protocol stopped reading (StreamHost::stop_reading)
    STREAM_F_LOCAL_PEER = 1u << 6,      ///< loopback or Unix peer: zero-copy sends only cost (send_zc_threshold)
    STREAM_F_IS_UNIX = 1u << 7,
    STREAM_F_PROTOCOL_FIRST = 1u << 8,
};

class Stream {
  public:
    Stream(StreamHost &host, std::uint32_t slot) : host_(host), slot_(slot) { timer.owner = slot; }
    virtual ~Stream() = default;
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    // --- events from the host ----------------------------------------------------------------------
    /// A freshly accepted socket; fd(), generation() and the STREAM_F_IS_UNIX flag are already set.
    virtual void on_open() = 0;
    /// Received bytes, writable (a protocol may transform them in place) and valid during the call only.
    virtual void on_data(std::string_view data) = 0;
    /// The peer's FIN: no more bytes will arrive.
    virtual void on_peer_closed() = 0;
    /// Reading failed (reset): the peer is gone.
    virtual void on_read_error() = 0;
    /// A send failed (peer gone): the protocol gives up and tears down.
    virtual void on_send_error() = 0;
    /// The socket output is empty and no send is outstanding.
    virtual void on_output_drained() = 0;
    /// The stream's timer (`timer`) fired.
    virtual void on_timeout() = 0;
    /// A command for one of this stream's exchanges (the host checked matches()).
    virtual void on_command(Command &command) = 0;
    virtual bool matches(const ExchangeId &id) const noexcept = 0;
    /// The server is stopping.
    virtual void begin_drain() = 0;
    /// The host tears the socket down: report the end of whatever is still live.
    virtual void on_teardown() = 0;
    /// Nothing is outstanding any more: drop every resource (the host frees the slot after this).
    virtual void release() = 0;
    /// Before a send: turn protocol output into socket bytes (TLS encrypts a bounded step here).
    /// Notifications that come due go into `sent`; an error means the stream is dead.
    virtual std::error_code prepare_output(std::vector<ExchangeId> &sent) = 0;
    /// The bytes and files to put on the socket.
    virtual OutputQueue &socket_output() noexcept = 0;

    // --- state shared with the host ------------------------------------------------------------------
    bool has(std::uint32_t flag) const noexcept { return (flags_ & flag) != 0; }
    void set(std::uint32_t flag) noexcept { flags_ |= flag; }
    void clear(std::uint32_t flag) noexcept { flags_ &= ~flag; }
    int fd() const noexcept { return fd_; }
    std::uint32_t slot() const noexcept { return slot_; }
    std::uint32_t generation() const noexcept { return generation_; }
    /// Host only: binds the stream to an accepted socket before on_open().
    void attach(int fd, std::uint32_t generation, bool is_unix) noexcept {
        fd_ = fd;
        generation_ = generation;
        flags_ = STREAM_F_IN_USE | (is_unix ? STREAM_F_IS_UNIX : 0u);
        pending_ops = 0;
        zero_copy_notifications = 0;
    }

    TimerNode timer;
    // Backend bookkeeping; a protocol never touches these.
    unsigned pending_ops = 0;              ///< operations whose final completion has not arrived
    unsigned zero_copy_notifications = 0;  ///< zero-copy sends awaiting their notification
    msghdr message{};
    iovec vectors[16]{};

  protected:
    /// Protocol: after release(), the stream holds no socket.
    void detach() noexcept {
        fd_ = -1;
        flags_ = 0;
    }
    StreamHost &host_;

  private:
    const std::uint32_t slot_;
    std::uint32_t generation_ = 0;
    std::uint32_t flags_ = 0;
    int fd_ = -1;
};

/// The reactor's services to its streams (reactor thread only).
class StreamHost {
  public:
    virtual const ServerConfig &config() const noexcept = 0;
    virtual Handler &handler() noexcept = 0;
    virtual std::uint32_t index() const noexcept = 0;
    virtual SendBufferPool &send_buffers() noexcept = 0;
    virtual TimerWheel &timers() noexcept = 0;
    /// Monotonic milliseconds, read once per batch of events.
    virtual std::uint64_t now_ms() const noexcept = 0;
    virtual bool draining() const noexcept = 0;
    virtual std::uint32_t next_exchange_generation() noexcept = 0;
    virtual void count_request() noexcept = 0;
    virtual void count_http2_connection() noexcept = 0;
    virtual void count_http2_stream() noexcept = 0;

    /// The stream has output (or wants on_output_drained): sent after the current batch.
    virtual void want_send(Stream &stream) = 0;
    /// Stop delivering on_data until start_reading (back-pressure: the kernel buffer fills, TCP pushes back).
    virtual void stop_reading(Stream &stream) = 0;
    virtual void start_reading(Stream &stream) = 0;
    /// Shuts the socket down; on_teardown now, release() once nothing is outstanding. Idempotent.
    virtual void teardown(Stream &stream) = 0;
    /// Handler::on_sent for `id` after the current batch (its output left already, or never existed).
    virtual void defer_sent_notification(ExchangeId id) = 0;

  protected:
    ~StreamHost() = default;
};

/// Makes the streams of one reactor; holds what they share there (for HTTP: the Date cache, TLS).
class StreamFactory {
  public:
    virtual ~StreamFactory() = default;
    virtual std::unique_ptr<Stream> make_stream(StreamHost &host, std::uint32_t slot) = 0;
};

} // namespace engine::core
