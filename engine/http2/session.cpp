#include "http2/session.hpp"

#include "core/inbox.hpp"
#include "engine/log.hpp"
#include "http2/request_builder.hpp"
#include "http2/response_fields.hpp"

#include <nghttp2/nghttp2.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <variant>

namespace engine::http2 {

/// One piece of a response body waiting for its DATA frames, or (empty, `notify`) the point where the
/// handler's notify_sent is due.
struct BodyPiece {
    Body body;
    std::size_t offset = 0;  ///< bytes of `body` already framed
    bool notify = false;
    bool lent = false;       ///< some bytes went into the output queue uncopied: it must keep `body` alive
};

/// A stream's body pieces, oldest first. A std::deque allocates twice when it is made, for every stream, even one
/// whose body is a single piece (or none); this vector allocates only when the first piece arrives, and starts
/// over from its beginning whenever it empties.
class BodyQueue {
  public:
    bool empty() const noexcept { return front_ == pieces_.size(); }
    BodyPiece &front() noexcept { return pieces_[front_]; }
    void push_back(BodyPiece &&piece) { pieces_.push_back(std::move(piece)); }
    void pop_front() noexcept {
        if (++front_ == pieces_.size()) {
            pieces_.clear();
            front_ = 0;
        }
    }
    auto begin() noexcept { return pieces_.begin() + static_cast<std::ptrdiff_t>(front_); }
    auto end() noexcept { return pieces_.end(); }

  private:
    std::vector<BodyPiece> pieces_;
    std::size_t front_ = 0;
};

namespace {

// A body piece this large leaves in DATA frames that point into the piece itself (NGHTTP2_DATA_FLAG_NO_COPY and
// the send_data callback) instead of being copied twice, into nghttp2's frame buffer and then into the output
// queue. Smaller pieces are copied: for a few bytes two more output segments cost more than the copy. Being at
// least this long also keeps an owned string out of its small-string form, whose bytes would move with it.
constexpr std::size_t min_lent_bytes = 2048;

/// Calls `submit(list, count)` with `fields` as nghttp2's field list, and returns what it returns. Most lists fit
/// on the stack: no allocation per response for a list nghttp2 only reads (and copies).
template <typename Submit> int with_field_list(const std::vector<FieldLine> &fields, Submit submit) {
    constexpr std::size_t fields_on_stack = 32;
    std::array<nghttp2_nv, fields_on_stack> stack_list;
    std::vector<nghttp2_nv> heap_list;
    nghttp2_nv *list = stack_list.data();
    if (fields.size() > fields_on_stack) {
        heap_list.resize(fields.size());
        list = heap_list.data();
    }
    for (std::size_t i = 0; i < fields.size(); ++i)
        list[i] = nghttp2_nv{reinterpret_cast<std::uint8_t *>(const_cast<char *>(fields[i].name.data())),
                             reinterpret_cast<std::uint8_t *>(const_cast<char *>(fields[i].value.data())),
                             fields[i].name.size(), fields[i].value.size(), NGHTTP2_NV_FLAG_NONE};
    return submit(list, fields.size());
}

/// The piece's bytes when they can be lent to the output queue (memory, and large enough), else empty.
std::string_view lendable_bytes(const BodyPiece &piece) noexcept {
    std::string_view bytes;
    if (const auto *owned = std::get_if<std::string>(&piece.body)) bytes = *owned;
    else if (const auto *external = std::get_if<ExternalBuffer>(&piece.body)) bytes = {external->data, external->size};
    return bytes.size() >= min_lent_bytes ? bytes : std::string_view{};
}

constexpr std::string_view local_error_type = "content-type: text/plain; charset=utf-8\r\n";

// Frames one header block may take (CVE-2024-27316 sends endless empty CONTINUATIONs): a real block of the largest
// header list we accept fits in a few 16 KiB frames. Eight is also where nghttp2's own limit stops a block (from
// 1.61, and in Debian 12's patched 1.52), but without a GOAWAY: ours comes first and says why.
constexpr std::size_t max_header_block_frames = 8;
// A header block (raw, or decoded) this far past --max-header-size can only be an attack: it would be answered
// with 431 anyway, so the connection ends instead of decoding on (HPACK bombs decode a few bytes into kilobytes).
constexpr std::size_t header_block_slack = 4;
constexpr std::size_t min_header_block_limit = 64 * 1024;

std::string_view local_error_text(std::uint16_t status) noexcept {
    switch (status) {
    case 400: return "Bad Request\n";
    case 405: return "Method Not Allowed\n";
    case 413: return "Payload Too Large\n";
    case 431: return "Request Header Fields Too Large\n";
    default: return "Error\n";
    }
}

} // namespace

/// One request/response exchange on a stream. The Exchange half is what Handler::on_request sees.
struct Session::Stream final : Exchange {
    Stream(Session &owner, std::int32_t id_on_wire, std::uint32_t exchange_generation)
        : session(owner), stream_id(id_on_wire), generation(exchange_generation),
          builder(owner.host_.config().limits) {}

    ExchangeId id() const noexcept override { return ExchangeId{session.host_.index(), session.slot_, generation}; }
    const Request &request() const noexcept override { return *request_; }
    std::unique_ptr<Request> take_request() noexcept override { return std::move(request_); }
    void send(ResponsePart &&part) override { session.send(*this, std::move(part)); }

    Session &session;
    const std::int32_t stream_id;
    const std::uint32_t generation;
    RequestBuilder builder;
    std::unique_ptr<Request> request_;

    // Request side.
    bool headers_done = false;    ///< the request's header block is complete (later fields are trailers)
    bool dispatched = false;      ///< the handler has it (else a local answer or nothing yet)
    bool body_expected = false;   ///< Request::has_body(): the handler waits for on_body(last)
    bool request_complete = false;
    bool is_head = false;
    bool paused = false;          ///< the handler returned BodyFlow::pause
    std::string paused_body;      ///< DATA received while paused, not delivered (nor consumed) yet
    bool paused_end = false;      ///< the request ended while paused: `last` is still due
    std::size_t unconsumed = 0;   ///< body bytes the handler took or we hold, not yet given back as window
    std::uint64_t body_received = 0;

    // Response side.
    bool head_submitted = false;
    bool body_allowed = true;
    bool handler_ended = false;   ///< the handler's last part arrived
    bool deferred = false;        ///< the data source returned NGHTTP2_ERR_DEFERRED
    bool wire_complete = false;   ///< END_STREAM went out: the client has the whole response
    bool reported = false;        ///< on_abort was reported (or is not owed)
    std::optional<std::uint64_t> body_remaining;  ///< declared content-length left to send
    std::string trailer_lines;    ///< from the handler's last part: a HEADERS frame ends the stream after the body
    BodyQueue body;

    /// Body bytes still go to the handler: it has the request, expects a body, and neither ended the exchange
    /// (on_abort) nor completed its response (after which, as on HTTP/1, the rest of the body is discarded).
    bool wants_body() const noexcept { return dispatched && body_expected && !reported && !handler_ended; }
};

// ------------------------------------------------------------------------------------------------
// nghttp2 callbacks: thin trampolines into the session.

struct Callbacks {
    static Session &of(void *user_data) { return *static_cast<Session *>(user_data); }

    static int begin_frame(nghttp2_session *, const nghttp2_frame_hd *hd, void *user_data) {
        return of(user_data).on_begin_frame(hd->type, hd->flags, hd->length, hd->stream_id);
    }
    static int begin_headers(nghttp2_session *, const nghttp2_frame *frame, void *user_data) {
        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
        return of(user_data).on_begin_headers(frame->hd.stream_id);
    }
    static int header(nghttp2_session *, const nghttp2_frame *frame, const std::uint8_t *name, std::size_t name_size,
                      const std::uint8_t *value, std::size_t value_size, std::uint8_t, void *user_data) {
        if (frame->hd.type != NGHTTP2_HEADERS) return 0;
        return of(user_data).on_header(frame->hd.stream_id,
                                       {reinterpret_cast<const char *>(name), name_size},
                                       {reinterpret_cast<const char *>(value), value_size});
    }
    static int frame_recv(nghttp2_session *, const nghttp2_frame *frame, void *user_data) {
        Session &session = of(user_data);
        const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        switch (frame->hd.type) {
        case NGHTTP2_HEADERS:
            return session.on_headers_complete(frame->hd.stream_id, end_stream,
                                               frame->headers.cat != NGHTTP2_HCAT_REQUEST);
        case NGHTTP2_DATA: return end_stream ? session.on_request_end(frame->hd.stream_id) : 0;
        case NGHTTP2_PING:
            if (frame->hd.flags & NGHTTP2_FLAG_ACK) session.on_ping_ack(frame->ping.opaque_data);
            return 0;
        default: return 0;
        }
    }
    static int data_chunk(nghttp2_session *, std::uint8_t, std::int32_t stream_id, const std::uint8_t *data,
                          std::size_t length, void *user_data) {
        return of(user_data).on_data_chunk(stream_id, {reinterpret_cast<const char *>(data), length});
    }
    static int stream_close(nghttp2_session *, std::int32_t stream_id, std::uint32_t, void *user_data) {
        return of(user_data).on_stream_close(stream_id);
    }
    static int frame_send(nghttp2_session *, const nghttp2_frame *frame, void *user_data) {
        const std::uint32_t error_code = frame->hd.type == NGHTTP2_RST_STREAM ? frame->rst_stream.error_code : 0;
        return of(user_data).on_frame_sent(frame->hd.type, frame->hd.stream_id,
                                           (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0, error_code);
    }
    static ssize_t read(nghttp2_session *, std::int32_t, std::uint8_t *buffer, std::size_t length,
                        std::uint32_t *flags, nghttp2_data_source *source, void *user_data) {
        return of(user_data).read_body(*static_cast<Session::Stream *>(source->ptr), buffer, length, flags);
    }
    // A DATA frame read_body() lent (NGHTTP2_DATA_FLAG_NO_COPY). No padding is ever chosen (there is no
    // select_padding callback), so the frame is its 9-byte header and `length` bytes of the body.
    static int send_data(nghttp2_session *, nghttp2_frame *, const std::uint8_t *frame_header, std::size_t length,
                         nghttp2_data_source *source, void *user_data) {
        return of(user_data).send_lent_data(*static_cast<Session::Stream *>(source->ptr),
                                            {reinterpret_cast<const char *>(frame_header), 9}, length);
    }
};

// ------------------------------------------------------------------------------------------------

Session::Session(core::StreamHost &host, core::OutputQueue &output, std::uint32_t slot, ConnectionFacts facts,
                 DateSource date, void *date_context)
    : host_(host), output_(output), slot_(slot), facts_(std::move(facts)), date_(date), date_context_(date_context) {
    nghttp2_session_callbacks *callbacks = nullptr;
    nghttp2_option *option = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0) {
        nghttp2_session_callbacks_del(callbacks);
        broken_ = true;
        return;
    }
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, Callbacks::begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks::begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Callbacks::frame_send);
    nghttp2_session_callbacks_set_send_data_callback(callbacks, Callbacks::send_data);
    // Window updates follow what the handler consumed, not what arrived (see consume()).
    nghttp2_option_set_no_auto_window_update(option, 1);
    const Http2Config &config = host_.config().http2;
    const int created = nghttp2_session_server_new2(&session_, callbacks, this, option);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_option_del(option);
    if (created != 0) {
        session_ = nullptr;
        broken_ = true;
        return;
    }
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, config.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, config.initial_stream_window_size},
        {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, config.max_frame_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, config.max_headers_size},
    };
    stream_window_ = config.initial_stream_window_size;
    connection_window_ = config.initial_connection_window_size;
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              static_cast<std::int32_t>(config.initial_connection_window_size)) != 0)
        broken_ = true;
}

Session::~Session() {
    // Bodies still queued hold external buffers and files: give them back.
    for (auto &[generation, stream] : streams_)
        for (BodyPiece &piece : stream->body) retire(piece);
    if (session_) nghttp2_session_del(session_);
}

Session::Stream *Session::find(std::int32_t stream_id) const noexcept {
    return static_cast<Stream *>(nghttp2_session_get_stream_user_data(session_, stream_id));
}

bool Session::matches(const ExchangeId &id) const noexcept { return streams_.contains(id.generation); }

bool Session::finished() const noexcept {
    return broken_ || !session_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
}

bool Session::output_full() const noexcept {
    return output_.queued_bytes() >= host_.config().http2.max_send_buffer_size;
}

// ------------------------------------------------------------------------------------------------
// Input

bool Session::receive(std::string_view data) {
    if (broken_) return false;
    const ssize_t read = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t *>(data.data()),
                                                  data.size());
    if (read < 0) {
        // A bad preface, a flood nghttp2 itself detected, or one of our defences (calm_down): protocol errors short
        // of these are answered by nghttp2 with GOAWAY (queued for produce_output) and end want_read.
        const int error = static_cast<int>(read);
        log(LogLevel::debug, "connection {}: HTTP/2 session failed: {}", slot_, nghttp2_strerror(error));
        // A wrong preface may be no HTTP/2 client at all: it gets no frame. nghttp2's flood checks stop reading
        // without a GOAWAY: the client is told (ours queued one already; a second call changes nothing).
        if (error != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
            nghttp2_session_terminate_session(session_, error == NGHTTP2_ERR_NOMEM ? NGHTTP2_INTERNAL_ERROR
                                                                                   : NGHTTP2_ENHANCE_YOUR_CALM);
        broken_ = true;
        return false;
    }
    return true;
}

int Session::calm_down(std::string_view why) {
    log(LogLevel::debug, "connection {}: HTTP/2 {}: GOAWAY ENHANCE_YOUR_CALM", slot_, why);
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
    return NGHTTP2_ERR_CALLBACK_FAILURE;  // nothing after this frame is read
}

int Session::on_begin_frame(std::uint8_t type, std::uint8_t flags, std::size_t length, std::int32_t stream_id) {
    // Counted before nghttp2 acts on the frame (and queues its ACK): a flood stops at the frame over budget.
    const std::uint64_t now = host_.now_ms();
    const auto over = [&](FloodKind kind) { return !floods_.allow(kind, now); };
    const bool ack = (flags & NGHTTP2_FLAG_ACK) != 0;
    switch (type) {
    case NGHTTP2_PING:
        if (!ack && over(FloodKind::ping)) return calm_down(flood_name(FloodKind::ping));
        break;
    case NGHTTP2_SETTINGS:
        if (!ack && over(FloodKind::settings)) return calm_down(flood_name(FloodKind::settings));
        break;
    case NGHTTP2_PRIORITY:
        if (over(FloodKind::priority)) return calm_down(flood_name(FloodKind::priority));
        break;
    case NGHTTP2_RST_STREAM:
        if (over(FloodKind::reset)) return calm_down(flood_name(FloodKind::reset));
        break;
    case NGHTTP2_DATA:
        if (length == 0 && !(flags & NGHTTP2_FLAG_END_STREAM) && over(FloodKind::empty_data))
            return calm_down(flood_name(FloodKind::empty_data));
        break;
    case NGHTTP2_HEADERS:
        header_block_bytes_ = 0;
        header_block_frames_ = 0;
        header_block_decoded_ = 0;
        [[fallthrough]];
    case NGHTTP2_CONTINUATION: {
        header_block_bytes_ += length;
        const std::size_t limit =
            std::max(min_header_block_limit, header_block_slack * host_.config().limits.max_header_bytes);
        if (++header_block_frames_ > max_header_block_frames) return calm_down("CONTINUATION flood");
        if (header_block_bytes_ > limit) return calm_down("oversized header block");
        break;
    }
    default: break;
    }
    (void)stream_id;
    return 0;
}

int Session::on_begin_headers(std::int32_t stream_id) {
    auto stream = std::make_unique<Stream>(*this, stream_id, host_.next_exchange_generation());
    if (nghttp2_session_set_stream_user_data(session_, stream_id, stream.get()) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    const std::uint32_t generation = stream->generation;
    streams_.emplace(generation, std::move(stream));
    return 0;
}

int Session::on_header(std::int32_t stream_id, std::string_view name, std::string_view value) {
    header_block_decoded_ += name.size() + value.size();
    if (header_block_decoded_ >
        std::max(min_header_block_limit, header_block_slack * host_.config().limits.max_header_bytes))
        return calm_down("HPACK bomb (a header list decoding far past the limit)");
    Stream *stream = find(stream_id);
    // Trailer fields (a second HEADERS on the stream) are counted above and not passed on.
    if (stream && !stream->headers_done) stream->builder.add(name, value);
    return 0;
}

int Session::on_headers_complete(std::int32_t stream_id, bool end_stream, bool trailers) {
    Stream *stream = find(stream_id);
    if (!stream) return 0;
    if (trailers) return end_stream ? on_request_end(stream_id) : 0;  // trailer fields are not passed on
    stream->request_complete = end_stream;
    stream->headers_done = true;
    switch (stream->builder.finish(end_stream)) {
    case RequestBuilder::Verdict::ok: break;
    case RequestBuilder::Verdict::too_large: respond_locally(*stream, 431); return 0;
    case RequestBuilder::Verdict::bad_request: respond_locally(*stream, 400); return 0;
    case RequestBuilder::Verdict::connect: respond_locally(*stream, 405, "allow: \r\n"); return 0;
    }
    stream->request_ = stream->builder.take_request();
    const std::uint64_t max_body = host_.config().limits.max_body_bytes;
    if (max_body && stream->request_->content_length && *stream->request_->content_length > max_body) {
        respond_locally(*stream, 413);
        return 0;
    }
    dispatch(*stream);
    return 0;
}

void Session::dispatch(Stream &stream) {
    Request &request = *stream.request_;
    request.peer = facts_.peer;
    request.local = facts_.local;
    request.tls = facts_.tls;
    request.tls_info = facts_.tls_info;
    // Copied now: the handler may move the request to another thread.
    stream.is_head = request.is_head;
    stream.body_expected = request.has_body();
    stream.dispatched = true;
    host_.count_request();
    host_.count_http2_stream();
    host_.handler().on_request(stream);
}

int Session::on_data_chunk(std::int32_t stream_id, std::string_view data) {
    // The connection window is given back at once: a paused stream holds its own window, never the others'.
    nghttp2_session_consume_connection(session_, data.size());
    sample_bandwidth(data.size());
    Stream *stream = find(stream_id);
    if (!stream) return 0;
    if (!stream->wants_body()) {
        nghttp2_session_consume_stream(session_, stream_id, data.size());  // nobody reads it: discarded
        return 0;
    }
    stream->body_received += data.size();
    const std::uint64_t max_body = host_.config().limits.max_body_bytes;
    if (max_body && stream->body_received > max_body) {
        // HTTP/1 answers 413 before the response starts; here too, when the head has not gone out.
        report_abort(*stream);
        if (!stream->head_submitted) {
            stream->dispatched = false;
            respond_locally(*stream, 413);
        } else {
            reset_stream(*stream, NGHTTP2_INTERNAL_ERROR);
        }
        nghttp2_session_consume_stream(session_, stream_id, data.size());
        return 0;
    }
    stream->unconsumed += data.size();
    if (stream->paused) {
        stream->paused_body.append(data);
        return 0;
    }
    deliver_body(*stream, data);
    return 0;
}

void Session::deliver_body(Stream &stream, std::string_view data) {
    const std::size_t size = data.size();
    if (host_.handler().on_body(stream.id(), data, false) == BodyFlow::pause) {
        stream.paused = true;  // these bytes are the handler's, but its window is given back only on resume
        return;
    }
    consume(stream, size);
}

void Session::consume(Stream &stream, std::size_t bytes) {
    bytes = std::min(bytes, stream.unconsumed);
    stream.unconsumed -= bytes;
    if (bytes) nghttp2_session_consume_stream(session_, stream.stream_id, bytes);
}

int Session::on_request_end(std::int32_t stream_id) {
    Stream *stream = find(stream_id);
    if (!stream || stream->request_complete) return 0;
    stream->request_complete = true;
    if (!stream->wants_body()) return 0;
    if (stream->paused) {
        stream->paused_end = true;
        return 0;
    }
    host_.handler().on_body(stream->id(), {}, true);
    return 0;
}

void Session::resume_body(Stream &stream) {
    if (!stream.paused) return;
    stream.paused = false;
    if (!stream.wants_body()) {
        // Ended for the handler meanwhile (aborted, or answered): what is held is discarded, its window given back.
        stream.paused_body.clear();
        consume(stream, stream.unconsumed);
        return;
    }
    // What the handler took before it paused is its now: its window goes back to the client.
    consume(stream, stream.unconsumed - stream.paused_body.size());
    if (!stream.paused_body.empty()) {
        const std::string pending = std::move(stream.paused_body);
        stream.paused_body.clear();
        deliver_body(stream, pending);
        if (stream.paused) return;
    }
    if (stream.paused_end) {
        stream.paused_end = false;
        host_.handler().on_body(stream.id(), {}, true);
    }
}

int Session::on_stream_close(std::int32_t stream_id) {
    Stream *stream = find(stream_id);
    if (!stream) return 0;
    // A reset by the client (or by us), or the end of an exchange whose response is complete.
    if (!stream->wire_complete) report_abort(*stream);
    nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
    // Parts never framed (a reset stream): their buffers go back; no on_sent follows on_abort.
    for (BodyPiece &piece : stream->body) retire(piece);
    streams_.erase(stream->generation);
    return 0;
}

int Session::on_frame_sent(std::uint8_t type, std::int32_t stream_id, bool end_stream, std::uint32_t error_code) {
    // Streams we refuse (over SETTINGS_MAX_CONCURRENT_STREAMS, or malformed) cost a client one HEADERS frame each:
    // they share the rapid-reset budget.
    if (type == NGHTTP2_RST_STREAM && (error_code == NGHTTP2_REFUSED_STREAM || error_code == NGHTTP2_PROTOCOL_ERROR) &&
        !floods_.allow(FloodKind::reset, host_.now_ms())) {
        calm_down("stream refusal flood");
        return 0;
    }
    if (type != NGHTTP2_HEADERS && type != NGHTTP2_DATA) return 0;
    if (!end_stream) return 0;
    Stream *stream = find(stream_id);
    if (!stream) return 0;
    stream->wire_complete = true;
    // The response is complete while the client still sends a body nobody will read: ask it to stop
    // (RFC 9113 8.1) instead of taking the rest.
    if (!stream->request_complete) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

// ------------------------------------------------------------------------------------------------
// Output

bool Session::submit_head(Stream &stream, const ResponseHead &head, bool with_body) {
    const std::string_view date = head.has_date ? std::string_view{} : date_(date_context_);
    const std::string_view server =
        head.has_server ? std::string_view{} : std::string_view(host_.config().server_header);
    build_response_fields(head, date, server, field_storage_, fields_);
    nghttp2_data_provider provider{};
    provider.source.ptr = &stream;
    provider.read_callback = Callbacks::read;
    // nghttp2 copies the fields: the storage is reused for the next response.
    const int submitted = with_field_list(fields_, [&](const nghttp2_nv *list, std::size_t count) {
        return nghttp2_submit_response(session_, stream.stream_id, list, count, with_body ? &provider : nullptr);
    });
    if (submitted != 0) {
        log(LogLevel::debug, "connection {}: HTTP/2 response not submitted: {}", slot_, nghttp2_strerror(submitted));
        reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    stream.head_submitted = true;
    return true;
}

void Session::respond_locally(Stream &stream, std::uint16_t status, std::string_view header_lines) {
    std::string lines(local_error_type);
    lines += header_lines;
    ResponsePart part = make_response(status, std::move(lines), std::string(local_error_text(status)));
    stream.reported = true;  // no handler knows this stream
    send(stream, std::move(part));
}

void Session::send(Stream &stream, ResponsePart &&part) {
    if (stream.handler_ended || (stream.dispatched && stream.reported)) {
        core::release_body(part.body);
        return;
    }
    if (part.head) {
        if (stream.head_submitted) {
            log(LogLevel::error, "connection {}: a second response head for one request; resetting the stream", slot_);
            core::release_body(part.body);
            reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
            return;
        }
        stream.body_allowed = !stream.is_head && status_allows_body(part.head->status);
        stream.body_remaining = part.head->content_length;
        // Trailers need the stream open after the head: a data provider with no bytes ends in them.
        const bool without_data =
            !stream.body_allowed || (part.end && core::body_size(part.body) == 0 && part.trailer_lines.empty());
        if (without_data) {
            stream.body_allowed = false;
            stream.handler_ended = part.end;
        }
        if (!submit_head(stream, *part.head, !without_data)) {
            core::release_body(part.body);
            return;
        }
    } else if (!stream.head_submitted) {
        log(LogLevel::error, "connection {}: response body before its head; resetting the stream", slot_);
        core::release_body(part.body);
        reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
        return;
    }

    const std::size_t size = stream.body_allowed ? core::body_size(part.body) : 0;
    if (stream.body_remaining && size > *stream.body_remaining) {
        log(LogLevel::error, "connection {}: response body exceeds its content-length; resetting the stream", slot_);
        core::release_body(part.body);
        reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    if (size > 0) {
        if (stream.body_remaining) *stream.body_remaining -= size;
        stream.body.push_back(BodyPiece{std::move(part.body), 0, false});
    } else {
        core::release_body(part.body);
    }
    if (part.notify_sent) {
        if (stream.body_allowed) stream.body.push_back(BodyPiece{std::monostate{}, 0, true});
        else host_.defer_sent_notification(stream.id());
    }
    if (part.end) {
        stream.handler_ended = true;
        if (stream.body_allowed) stream.trailer_lines = std::move(part.trailer_lines);  // else nothing follows the head
        if (stream.body_allowed && stream.body_remaining && *stream.body_remaining > 0) {
            // Fewer bytes than the declared content-length: the client must see the response is cut.
            log(LogLevel::error, "connection {}: response ended {} bytes short of its content-length", slot_,
                *stream.body_remaining);
            reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
            return;
        }
    }
    if (stream.deferred && (!stream.body.empty() || stream.handler_ended)) {
        stream.deferred = false;
        nghttp2_session_resume_data(session_, stream.stream_id);
    }
}

long Session::read_body(Stream &stream, std::uint8_t *buffer, std::size_t length, std::uint32_t *flags) {
    std::size_t filled = 0;
    while (!stream.body.empty()) {
        BodyPiece &piece = stream.body.front();
        const std::size_t size = core::body_size(piece.body);
        if (piece.offset < size && !lendable_bytes(piece).empty()) {
            if (filled > 0) break;  // this frame ends here: the next one is lent
            return lend_frame(stream, length, flags);
        }
        if (piece.offset < size && filled < length) {
            const std::size_t take = std::min(size - piece.offset, length - filled);
            if (const auto *owned = std::get_if<std::string>(&piece.body)) {
                std::memcpy(buffer + filled, owned->data() + piece.offset, take);
            } else if (const auto *external = std::get_if<ExternalBuffer>(&piece.body)) {
                std::memcpy(buffer + filled, external->data + piece.offset, take);
            } else if (const auto *file = std::get_if<FileRegion>(&piece.body)) {
                // One frame's worth at a time: a file is never read into memory whole. A page-cache hit costs a
                // copy; a cold file blocks this reactor for the disk read, as on TLS connections.
                std::size_t done = 0;
                while (done < take) {
                    const ssize_t got = ::pread(file->fd, buffer + filled + done, take - done,
                                                static_cast<off_t>(file->offset + piece.offset + done));
                    if (got < 0 && errno == EINTR) continue;
                    if (got <= 0) {
                        log(LogLevel::error, "connection {}: reading a response file failed: {}", slot_,
                            got < 0 ? std::strerror(errno) : "the file shrank");
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets this stream only
                    }
                    done += static_cast<std::size_t>(got);
                }
            }
            piece.offset += take;
            filled += take;
            body_progress_ = true;
        }
        if (piece.offset < size) break;  // the frame is full
        if (piece.notify) sent_notifications_.push_back(stream.id());
        retire(piece);
        stream.body.pop_front();
    }
    if (stream.body.empty() && stream.handler_ended) {
        end_data(stream, flags);
        return static_cast<long>(filled);
    }
    if (filled == 0) {
        stream.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<long>(filled);
}

long Session::lend_frame(Stream &stream, std::size_t length, std::uint32_t *flags) {
    BodyPiece &piece = stream.body.front();
    const std::size_t take = std::min(lendable_bytes(piece).size() - piece.offset, length);
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    // The last frame: this piece ends with it, and only notification markers follow.
    const bool finishes_piece = piece.offset + take == lendable_bytes(piece).size();
    const bool only_markers_follow = std::all_of(stream.body.begin() + 1, stream.body.end(),
                                                 [](const BodyPiece &next) { return next.notify; });
    if (stream.handler_ended && finishes_piece && only_markers_follow) end_data(stream, flags);
    return static_cast<long>(take);
}

void Session::end_data(Stream &stream, std::uint32_t *flags) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (stream.trailer_lines.empty()) return;
    build_trailer_fields(stream.trailer_lines, field_storage_, fields_);
    std::string().swap(stream.trailer_lines);
    if (fields_.empty()) return;  // every one was a field no trailer may be: END_STREAM on this DATA frame
    // The last DATA frame leaves the stream open; the trailers' HEADERS frame ends it (RFC 9113 8.1).
    const int submitted = with_field_list(fields_, [&](const nghttp2_nv *list, std::size_t count) {
        return nghttp2_submit_trailer(session_, stream.stream_id, list, count);
    });
    if (submitted == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    else log(LogLevel::debug, "connection {}: HTTP/2 trailers not submitted: {}", slot_, nghttp2_strerror(submitted));
}

int Session::send_lent_data(Stream &stream, std::string_view frame_header, std::size_t length) {
    BodyPiece &piece = stream.body.front();
    const std::string_view bytes = lendable_bytes(piece);
    output_.append_copy(frame_header);
    output_.append_lent(bytes.substr(piece.offset, length));
    piece.offset += length;
    piece.lent = true;
    body_progress_ = true;
    if (piece.offset == bytes.size()) {
        retire(piece);
        stream.body.pop_front();
        while (!stream.body.empty() && stream.body.front().notify) {
            sent_notifications_.push_back(stream.id());
            stream.body.pop_front();
        }
    }
    // A full queue ends this nghttp2_session_mem_send() call (lent frames do not return from it one by one).
    return output_full() ? NGHTTP2_ERR_PAUSE : 0;
}

void Session::retire(BodyPiece &piece) {
    if (piece.lent) output_.append_retained(std::move(piece.body));  // lent slices may still be queued
    else core::release_body(piece.body);
}

bool Session::produce_output() {
    if (!session_) return false;
    // Lent DATA frames go into the queue from the send_data callback, not through what mem_send returns.
    const std::size_t queued_before = output_.queued_bytes();
    while (!output_full()) {
        const std::uint8_t *data = nullptr;
        const ssize_t size = nghttp2_session_mem_send(session_, &data);
        if (size < 0) {
            log(LogLevel::debug, "connection {}: HTTP/2 send failed: {}", slot_,
                nghttp2_strerror(static_cast<int>(size)));
            broken_ = true;
            break;
        }
        if (size == 0) break;
        output_.append_copy({reinterpret_cast<const char *>(data), static_cast<std::size_t>(size)});
    }
    // Notifications come due once their bytes are in the output queue: then they leave with them.
    for (const ExchangeId &id : sent_notifications_)
        if (!output_.notify_when_sent(id)) host_.defer_sent_notification(id);
    sent_notifications_.clear();
    return output_.queued_bytes() > queued_before;
}

// ------------------------------------------------------------------------------------------------
// Stream ends, commands, shutdown

void Session::report_abort(Stream &stream) {
    if (stream.reported) return;
    stream.reported = true;
    if (stream.dispatched) host_.handler().on_abort(stream.id());
}

void Session::reset_stream(Stream &stream, std::uint32_t error_code) {
    report_abort(stream);
    stream.handler_ended = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.stream_id, error_code);
}

void Session::on_command(core::Command &command) {
    const auto found = streams_.find(command.id.generation);
    if (found == streams_.end()) {
        core::release_command(command);
        return;
    }
    Stream &stream = *found->second;
    switch (command.kind) {
    case core::Command::Kind::response_part: send(stream, std::move(command.part)); break;
    case core::Command::Kind::resume_body: resume_body(stream); break;
    case core::Command::Kind::abort:
        // The application failed: what it queued is not delivered as a complete response.
        reset_stream(stream, NGHTTP2_INTERNAL_ERROR);
        break;
    default: core::release_command(command); break;  // WebSocket commands: no WebSockets over HTTP/2
    }
}

void Session::begin_drain() {
    if (!session_ || broken_) return;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
}

void Session::close_idle() {
    if (!session_ || broken_) return;
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
}

void Session::close_stalled() {
    if (!session_ || broken_) return;
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

bool Session::stalled() const noexcept {
    if (output_full()) return true;
    if (!session_ || nghttp2_session_want_write(session_)) return false;
    // Nothing can be sent, yet a response has bytes waiting: the client's windows are shut.
    for (const auto &[generation, stream] : streams_)
        if (!stream->body.empty()) return true;
    return false;
}

// The payloads are ours to choose (RFC 9113 6.7) and the ACK echoes them: one tells a keep-alive PING's ACK from
// a bandwidth PING's. Of each, only one is out at a time.
constexpr std::uint8_t keep_alive_payload[8] = {'u', 'r', 'i', 'n', 'g', '-', 'k', 'a'};
constexpr std::uint8_t bandwidth_payload[8] = {'u', 'r', 'i', 'n', 'g', '-', 'b', 'w'};

void Session::send_ping() {
    if (!session_ || broken_) return;
    if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, keep_alive_payload) == 0) ping_pending_ = true;
}

void Session::on_ping_ack(const std::uint8_t *payload) {
    if (std::memcmp(payload, bandwidth_payload, sizeof bandwidth_payload) == 0) {
        on_bandwidth_sample();
        return;
    }
    if (!ping_pending_) return;
    ping_pending_ = false;
    ping_answered_ = true;
}

// Adaptive windows: a PING goes out with the first DATA after the previous sample, and the DATA bytes that
// arrive before its ACK are what the client could send in one round trip. When they fill most of the stream
// window, the window and not the path was the limit: both windows grow to twice that, up to
// Http2Config::max_adaptive_window. Only a round trip with more bandwidth than any before grows them: a window
// filled because the client was slow to answer the PING shows no more bandwidth than the round trips before.
void Session::sample_bandwidth(std::size_t bytes) {
    if (!host_.config().http2.adaptive_window || broken_) return;
    if (bandwidth_ping_pending_) {
        bytes_this_round_trip_ += bytes;
        return;
    }
    if (stream_window_ >= Http2Config::max_adaptive_window) return;  // nothing left to grow
    if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, bandwidth_payload) != 0) return;
    bandwidth_ping_pending_ = true;
    bandwidth_ping_sent_ = std::chrono::steady_clock::now();
    bytes_this_round_trip_ = 0;
}

void Session::on_bandwidth_sample() {
    if (!bandwidth_ping_pending_) return;  // an ACK we did not ask for
    bandwidth_ping_pending_ = false;
    const std::chrono::duration<double> round_trip =
        std::max<std::chrono::steady_clock::duration>(std::chrono::steady_clock::now() - bandwidth_ping_sent_,
                                                      std::chrono::microseconds(1));
    const double bandwidth = static_cast<double>(bytes_this_round_trip_) / round_trip.count();
    const bool window_was_the_limit = bytes_this_round_trip_ * 3 >= std::uint64_t{stream_window_} * 2;
    if (bandwidth <= best_bandwidth_) return;
    best_bandwidth_ = bandwidth;
    if (!window_was_the_limit) return;
    const auto wanted = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(bytes_this_round_trip_ * 2, Http2Config::max_adaptive_window));
    if (wanted > stream_window_) {
        // Every stream's window grows by the difference once the client acknowledges (RFC 9113 6.9.2).
        const nghttp2_settings_entry window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, wanted};
        if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, &window, 1) == 0) stream_window_ = wanted;
    }
    if (wanted > connection_window_ &&
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(wanted)) == 0)
        connection_window_ = wanted;
    log(LogLevel::debug, "connection {}: HTTP/2 windows now {} bytes (stream) and {} (connection)", slot_,
        stream_window_, connection_window_);
}

void Session::abort_streams() {
    if (aborted_) return;
    aborted_ = true;
    for (auto &[generation, stream] : streams_) report_abort(*stream);
}

} // namespace engine::http2
