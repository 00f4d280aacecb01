#pragma once
// One HTTP/2 connection's protocol state: an nghttp2 server session (framing, HPACK, stream states, flow control)
// and the streams it carries, each an engine Exchange with its own ExchangeId, so handlers serve HTTP/2 requests
// through the same Handler/Exchange interface as HTTP/1 ones. Bytes in, frames out into the connection's output
// queue; the connection (http/http2_connection.cpp) owns the socket side, timers and the close.
//
// Writes are driven only by what nghttp2 has to send (nghttp2_session_want_write, nghttp2_session_mem_send):
// a response body that is not here yet defers its stream (NGHTTP2_ERR_DEFERRED) and the next part resumes it,
// so an idle session asks for no send at all. Request bodies are flow-controlled by the handler: a stream's
// WINDOW_UPDATE goes out only for bytes the handler took while not paused (BodyFlow), so a slow application
// pushes back on the client per stream.

#include "core/output_queue.hpp"
#include "core/stream.hpp"
#include "engine/handler.hpp"
#include "http2/flood_guard.hpp"
#include "engine/request.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct nghttp2_session;

namespace engine::core {
struct Command;
}

namespace engine::http2 {

struct FieldLine;
struct BodyPiece;

/// What every request of the connection shares.
struct ConnectionFacts {
    Endpoint peer;
    Endpoint local;
    bool tls = false;
    std::shared_ptr<const TlsInfo> tls_info;
};

class Session {
  public:
    /// `date` gives the current Date header value (the connection factory's cache).
    using DateSource = std::string_view (*)(void *context) noexcept;

    Session(core::StreamHost &host, core::OutputQueue &output, std::uint32_t slot, ConnectionFacts facts,
            DateSource date, void *date_context);
    ~Session();
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    /// Received bytes (starting with the client preface). False: the session is broken beyond a GOAWAY
    /// (a wrong preface, out of memory): close the connection after what output() holds.
    bool receive(std::string_view data);
    /// Serialises what nghttp2 has to send into the output queue, until it holds max_send_buffer_size bytes.
    /// True when bytes were added (the caller asks for a send only then). False on a fatal error too:
    /// check broken().
    bool produce_output();
    /// Neither side has anything left to say (after a GOAWAY, or a fatal error): close the connection.
    bool finished() const noexcept;
    bool broken() const noexcept { return broken_; }
    /// The output queue is full: stop reading until it drains (a client that sends without reading).
    bool output_full() const noexcept;

    /// Whether `id` names one of this session's live streams.
    bool matches(const ExchangeId &id) const noexcept;
    /// A command for one of the streams (response parts, resume_body, abort); others are released.
    void on_command(core::Command &command);
    /// Graceful shutdown: GOAWAY naming the last stream we took; open streams finish.
    void begin_drain();
    /// Idle timeout: GOAWAY (NO_ERROR) and nothing more.
    void close_idle();
    /// The client stopped reading: GOAWAY (ENHANCE_YOUR_CALM) and nothing more.
    void close_stalled();
    /// The client reads nothing: our output is full, or responses wait on windows it does not open.
    bool stalled() const noexcept;
    /// Keep-alive: a PING out, and whether its ACK is still awaited.
    void send_ping();
    bool ping_pending() const noexcept { return ping_pending_; }
    /// True once after response body bytes were framed (progress for the stall timer).
    bool take_body_progress() noexcept { return std::exchange(body_progress_, false); }
    /// True once after the ACK of our PING arrived.
    bool take_ping_answered() noexcept { return std::exchange(ping_answered_, false); }
    /// The connection is being torn down: every stream whose response did not complete is reported to the
    /// handler (on_abort). Idempotent.
    void abort_streams();
    /// Streams whose exchange is still running (for the idle timer).
    std::size_t open_streams() const noexcept { return streams_.size(); }

    struct Stream;

  private:
    friend struct Callbacks;

    // nghttp2 callbacks (session.cpp).
    int on_begin_frame(std::uint8_t type, std::uint8_t flags, std::size_t length, std::int32_t stream_id);
    int on_begin_headers(std::int32_t stream_id);
    int on_header(std::int32_t stream_id, std::string_view name, std::string_view value);
    int on_headers_complete(std::int32_t stream_id, bool end_stream, bool trailers);
    int on_data_chunk(std::int32_t stream_id, std::string_view data);
    int on_request_end(std::int32_t stream_id);
    void on_ping_ack(const std::uint8_t *payload);
    /// --http2-adaptive-window: `bytes` of DATA arrived; a PING out measures the round trip they fill.
    void sample_bandwidth(std::size_t bytes);
    /// The ACK of the bandwidth PING arrived: grows the windows when the last round trip filled most of them.
    void on_bandwidth_sample();
    int on_stream_close(std::int32_t stream_id);
    int on_frame_sent(std::uint8_t type, std::int32_t stream_id, bool end_stream, std::uint32_t error_code);
    /// A defence tripped: GOAWAY with ENHANCE_YOUR_CALM, and the return value that stops nghttp2 reading on.
    int calm_down(std::string_view why);
    long read_body(Stream &stream, std::uint8_t *buffer, std::size_t length, std::uint32_t *flags);
    /// The body's last DATA frame: EOF, and the trailers (a HEADERS frame with END_STREAM) when there are any.
    void end_data(Stream &stream, std::uint32_t *flags);
    /// The next DATA frame of `stream` points into its front body piece (NGHTTP2_DATA_FLAG_NO_COPY).
    long lend_frame(Stream &stream, std::size_t length, std::uint32_t *flags);
    /// nghttp2 sends the frame lend_frame() announced: its header and the lent slice go into the output queue.
    int send_lent_data(Stream &stream, std::string_view frame_header, std::size_t length);
    /// A body piece leaves the stream: released, or handed to the output queue when some of it was lent.
    void retire(BodyPiece &piece);

    Stream *find(std::int32_t stream_id) const noexcept;
    void dispatch(Stream &stream);
    /// A response the engine gives itself (400, 413, 431, 405), for a stream never dispatched.
    void respond_locally(Stream &stream, std::uint16_t status, std::string_view header_lines = {});
    void send(Stream &stream, ResponsePart &&part);
    /// False when nghttp2 refused it (the stream is reset then).
    bool submit_head(Stream &stream, const ResponseHead &head, bool with_body);
    /// Cuts one stream (RST_STREAM with `error_code`) and reports on_abort if its handler still expected events.
    void reset_stream(Stream &stream, std::uint32_t error_code);
    void report_abort(Stream &stream);
    void resume_body(Stream &stream);
    void deliver_body(Stream &stream, std::string_view data);
    void consume(Stream &stream, std::size_t bytes);

    core::StreamHost &host_;
    core::OutputQueue &output_;
    const std::uint32_t slot_;
    ConnectionFacts facts_;
    DateSource date_;
    void *date_context_;
    nghttp2_session *session_ = nullptr;
    /// Live streams by their exchange generation (commands name them so); nghttp2 keeps the stream id -> Stream
    /// map itself (stream user data).
    std::unordered_map<std::uint32_t, std::unique_ptr<Stream>> streams_;
    std::vector<ExchangeId> sent_notifications_;  ///< due once the bytes produced now are queued
    std::string field_storage_;
    std::vector<FieldLine> fields_;
    FloodGuard floods_;
    std::size_t header_block_bytes_ = 0;   ///< HEADERS + CONTINUATION payload of the block being received
    std::size_t header_block_frames_ = 0;
    std::size_t header_block_decoded_ = 0; ///< decoded field bytes of that block (an HPACK bomb's are huge)
    bool broken_ = false;
    bool aborted_ = false;
    bool ping_pending_ = false;
    bool body_progress_ = false;
    bool ping_answered_ = false;

    // Adaptive windows (sample_bandwidth).
    bool bandwidth_ping_pending_ = false;
    std::chrono::steady_clock::time_point bandwidth_ping_sent_;
    std::uint64_t bytes_this_round_trip_ = 0;
    double best_bandwidth_ = 0;             ///< bytes per second, the most one round trip showed
    std::uint32_t stream_window_ = 0;       ///< the SETTINGS_INITIAL_WINDOW_SIZE advertised
    std::uint32_t connection_window_ = 0;
};

} // namespace engine::http2
