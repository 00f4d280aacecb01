#include "http/parser.hpp"

#include "http/host_validation.hpp"
#include "http/line_rules.hpp"
#include "http/request_target.hpp"
#include "http/trailer_fields.hpp"

#include "engine/ascii.hpp"

#include <llhttp.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace engine::http {
namespace {

constexpr std::uint64_t no_position = UINT64_MAX;

// The name of the Host header added to a request that has an absolute-form target and no Host (HTTP/1.0). A
// constant rather than storage: the storage is complete, with views into it, before the headers are known.
constexpr std::string_view added_host_name = "host";

// The Transfer-Encoding list over all such headers. RFC 9112 6.1/6.3: chunked must be the last coding and
// appear once (else the framing is ambiguous: 400); any other coding is one we do not decode (501).
struct TransferCodings {
    bool present = false;
    bool chunked_seen = false;
    bool coding_after_chunked = false;
    bool unsupported_coding = false;

    void add_header_value(std::string_view value) noexcept {
        present = true;
        while (!value.empty()) {
            const std::size_t comma = value.find(',');
            const std::string_view token = trim_whitespace(value.substr(0, comma));
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
            if (token.empty()) continue;
            if (chunked_seen) coding_after_chunked = true;
            if (equals_ignoring_ascii_case(token, "chunked"))
                chunked_seen = true;
            else
                unsupported_coding = true;
        }
    }
};

// Everything the llhttp callbacks touch. RequestParser::Impl is this state; it is a separate struct so
// that the C callbacks below, which are not members, may use it.
struct ParserState {
    // Offsets into Request::storage, which holds the raw head bytes from the method's first byte on.
    struct HeaderSpan {
        std::uint32_t name_begin = 0, name_end = 0, value_begin = 0, value_end = 0;
    };
    // Which header span llhttp reported last: a callback for the same kind continues the span, because
    // llhttp splits a span wherever a feed() chunk ends.
    enum class HeaderSpanKind : std::uint8_t { none, field, value };
    enum class Phase : std::uint8_t { head, body, message_complete, failed };

    using Result = RequestParser::Result;
    using Status = RequestParser::Status;

    explicit ParserState(const Limits &parser_limits) : limits(parser_limits), request(std::make_unique<Request>()) {
        llhttp_init(&llhttp, HTTP_REQUEST, &callbacks());
        llhttp.data = this;
    }

    static const llhttp_settings_t &callbacks() noexcept;
    static const llhttp_settings_t &chunked_body_callbacks() noexcept;
    // llhttp reads its callbacks through the parser's settings pointer at every call (llhttp.h keeps it in
    // llhttp_t on 8.1 and 9.x alike, and has no setter): a chunked body switches to the trailer callbacks.
    void use_callbacks(const llhttp_settings_t &settings) noexcept {
        llhttp.settings = const_cast<llhttp_settings_t *>(&settings);
    }

    // Positions count bytes of the connection's byte stream; a span's position turns into a storage
    // offset by subtracting message_start.
    std::uint64_t position_of(const char *at) const noexcept {
        return chunk_position + static_cast<std::uint64_t>(at - chunk_base);
    }
    std::uint32_t storage_offset(const char *at) const noexcept {
        return static_cast<std::uint32_t>(position_of(at) - message_start);
    }

    int fail(ParseError why, const char *text) noexcept {
        error = why;
        reason = text;
        return -1;
    }
    bool reject(ParseError why, const char *text) noexcept {
        fail(why, text);
        return false;
    }
    Result failed_result(std::size_t consumed) noexcept {
        phase = Phase::failed;
        return {Status::error, consumed};
    }

    void store_head_bytes(std::size_t consumed);
    bool check_limits_of_partial_head() noexcept;
    bool finish_head() noexcept;
    bool split_other_target_form(TargetForm &form, std::string_view &authority) noexcept;
    bool apply_target_form(TargetForm form, std::string_view authority, Header *host_header) noexcept;
    bool refuse_connect(TargetForm form) noexcept;
    bool check_chunked_framing_up_to(std::uint64_t end) noexcept;
    bool finish_message() noexcept;
    void reset_for_next_message() noexcept;

    llhttp_t llhttp{};
    Limits limits;
    std::unique_ptr<Request> request;
    bool request_written = false; // false while `request` is as constructed
    BodySink *sink = nullptr;

    const char *chunk_base = nullptr;
    std::uint64_t chunk_position = 0;         // stream position of chunk_base
    std::uint64_t message_start = no_position; // position of the method's first byte
    std::uint64_t version_end = 0;             // position just past the last version byte seen
    std::uint64_t request_line_end = no_position; // version_end once the version is complete

    std::uint32_t method_end = 0;
    std::uint32_t target_begin = 0, target_end = 0;
    bool target_started = false;
    std::vector<HeaderSpan> header_spans; // reused across messages: no allocation per request
    HeaderSpanKind last_header_span = HeaderSpanKind::none;

    Phase phase = Phase::head;
    bool head_just_completed = false;
    bool resume_after_upgrade = false;
    bool message_begun = false;
    std::uint64_t body_bytes = 0;
    std::uint64_t trailer_bytes = 0;
    std::size_t trailer_fields = 0;
    TrailerFieldName trailer_name; // of the trailer field being parsed
    std::uint64_t chunk_extension_bytes = 0;

    // Chunked bodies: every byte outside chunk data goes through chunked_lines, in stream order, before
    // the data after it reaches the sink and before the message is reported complete.
    ChunkedLineCheck chunked_lines;
    bool checking_chunked_lines = false;
    std::uint64_t chunked_lines_checked_to = 0; // stream position: bytes before it were checked or were data

    ParseError error = ParseError::none;
    const char *reason = nullptr;
};


ParserState &state_of(llhttp_t *parser) noexcept { return *static_cast<ParserState *>(parser->data); }

int on_message_begin(llhttp_t *parser) {
    state_of(parser).message_begun = true;
    return 0;
}

int on_method(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    if (self.message_start == no_position) self.message_start = self.position_of(at);
    self.method_end = self.storage_offset(at) + static_cast<std::uint32_t>(length);
    return 0;
}

int on_url(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    if (!self.target_started) {
        self.target_started = true;
        self.target_begin = self.storage_offset(at);
    }
    self.target_end = self.storage_offset(at) + static_cast<std::uint32_t>(length);
    return 0;
}

int on_version(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    self.version_end = self.position_of(at) + length;
    return 0;
}

int on_version_complete(llhttp_t *parser) {
    auto &self = state_of(parser);
    self.request_line_end = self.version_end;
    return 0;
}

// Trailer fields (after a chunked body) are neither kept nor merged into the headers, but they are bounded like
// the head, and their names are checked (trailer_fields.hpp).
int count_trailer_bytes(ParserState &self, std::size_t length, bool starts_field) {
    self.trailer_bytes += length;
    if (starts_field) ++self.trailer_fields;
    if (self.trailer_bytes > self.limits.max_header_bytes || self.trailer_fields > self.limits.max_header_count)
        return self.fail(ParseError::header_fields_too_large, "trailer section too large");
    return 0;
}

int on_header_field(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    const bool starts_field = self.last_header_span != ParserState::HeaderSpanKind::field;
    self.last_header_span = ParserState::HeaderSpanKind::field;
    const std::uint32_t offset = self.storage_offset(at);
    if (starts_field) {
        if (self.header_spans.size() >= self.limits.max_header_count)
            return self.fail(ParseError::header_fields_too_large, "too many header fields");
        self.header_spans.push_back({offset, offset, offset, offset});
    }
    self.header_spans.back().name_end = offset + static_cast<std::uint32_t>(length);
    return 0;
}

int on_header_value(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    const bool starts_value = self.last_header_span != ParserState::HeaderSpanKind::value;
    self.last_header_span = ParserState::HeaderSpanKind::value;
    if (self.header_spans.empty()) return self.fail(ParseError::bad_request, "header value without a name");
    auto &span = self.header_spans.back();
    const std::uint32_t offset = self.storage_offset(at);
    if (starts_value) {
        span.value_begin = offset;
    } else if (offset != span.value_end) {
        // llhttp 8.1 accepts obs-fold (a CRLF followed by whitespace) and reports the continuation as a
        // second value span after a gap; RFC 9112 5.2 lets a server reject it, and we do (smuggling risk).
        // This only catches a fold after a non-empty value early; head_line_fault() catches every one.
        return self.fail(ParseError::bad_request, "obsolete line folding in header value");
    }
    span.value_end = offset + static_cast<std::uint32_t>(length);
    return 0;
}

int on_header_span_complete(llhttp_t *parser) {
    state_of(parser).last_header_span = ParserState::HeaderSpanKind::none;
    return 0;
}

// The trailer section of a chunked body has callbacks of its own (ParserState::chunked_body_callbacks), so that
// the head's callbacks need not ask which section they are in.
int on_trailer_field(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    const bool starts_field = self.last_header_span != ParserState::HeaderSpanKind::field;
    self.last_header_span = ParserState::HeaderSpanKind::field;
    self.trailer_name.append(std::string_view(at, length));
    return count_trailer_bytes(self, length, starts_field);
}

int on_trailer_value(llhttp_t *parser, const char *, std::size_t length) {
    auto &self = state_of(parser);
    self.last_header_span = ParserState::HeaderSpanKind::value;
    return count_trailer_bytes(self, length, false);
}

// A trailer field's name ended at its ':': checked now, before its value.
int on_trailer_field_complete(llhttp_t *parser) {
    auto &self = state_of(parser);
    self.last_header_span = ParserState::HeaderSpanKind::none;
    if (const char *fault = self.trailer_name.fault()) return self.fail(ParseError::bad_request, fault);
    self.trailer_name.reset();
    return 0;
}

int on_headers_complete(llhttp_t *parser) {
    auto &self = state_of(parser);
    self.head_just_completed = true;
    // Pausing makes llhttp_execute() return right after the head, so the caller can dispatch first.
    return HPE_PAUSED;
}

int on_body(llhttp_t *parser, const char *at, std::size_t length) {
    auto &self = state_of(parser);
    if (self.checking_chunked_lines) {
        // The framing before this data is checked before the data is passed on: llhttp 8.1 skips the two
        // bytes after the previous chunk's data unread, and what they hide must not reach the application.
        const std::uint64_t data_start = self.position_of(at);
        if (!self.check_chunked_framing_up_to(data_start)) return -1;
        if (const char *fault = self.chunked_lines.data(length)) return self.fail(ParseError::bad_request, fault);
        self.chunked_lines_checked_to = data_start + length;
    }
    self.body_bytes += length;
    self.sink->on_body_data(std::string_view(at, length));
    return 0;
}

int on_chunk_extension(llhttp_t *parser, const char *, std::size_t length) {
    auto &self = state_of(parser);
    // Extensions are ignored, but an endless one must not keep the connection busy forever.
    self.chunk_extension_bytes += length;
    if (self.chunk_extension_bytes > self.limits.max_header_bytes)
        return self.fail(ParseError::bad_request, "chunk extension too long");
    return 0;
}

int on_chunk_header(llhttp_t *parser) {
    auto &self = state_of(parser);
    self.chunk_extension_bytes = 0;
    self.chunked_lines.announce_chunk(parser->content_length);
    // llhttp stores the announced chunk size in content_length: reject before the bytes arrive.
    const std::uint64_t max_body = self.limits.max_body_bytes;
    if (max_body != 0 && (parser->content_length > max_body || self.body_bytes + parser->content_length > max_body))
        return self.fail(ParseError::payload_too_large, "chunked body over the size limit");
    return 0;
}

int on_message_complete(llhttp_t *parser) {
    auto &self = state_of(parser);
    self.phase = ParserState::Phase::message_complete;
    // After an upgrade llhttp pauses by itself (HPE_PAUSED_UPGRADE); pausing here too would make the
    // next execute return that pause without progress.
    return llhttp_get_upgrade(parser) ? 0 : HPE_PAUSED;
}

} // namespace

struct RequestParser::Impl : ParserState {
    using ParserState::ParserState;
};

const llhttp_settings_t &ParserState::callbacks() noexcept {
    static const llhttp_settings_t settings = [] {
        llhttp_settings_t s;
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_method = on_method;
        s.on_url = on_url;
        s.on_version = on_version;
        s.on_version_complete = on_version_complete;
        s.on_header_field = on_header_field;
        s.on_header_value = on_header_value;
        s.on_header_field_complete = on_header_span_complete;
        s.on_header_value_complete = on_header_span_complete;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_chunk_extension_name = on_chunk_extension;
        s.on_chunk_extension_value = on_chunk_extension;
        s.on_chunk_header = on_chunk_header;
        s.on_message_complete = on_message_complete;
        return s;
    }();
    return settings;
}

const llhttp_settings_t &ParserState::chunked_body_callbacks() noexcept {
    static const llhttp_settings_t settings = [] {
        llhttp_settings_t s = callbacks();
        s.on_header_field = on_trailer_field;
        s.on_header_value = on_trailer_value;
        s.on_header_field_complete = on_trailer_field_complete;
        return s;
    }();
    return settings;
}

// Copies the head bytes of this chunk (from the method on, up to the end of the head) into the request's
// storage: the caller recycles its buffer as soon as feed() returns.
void ParserState::store_head_bytes(std::size_t consumed) {
    if (message_start == no_position) return; // only blank lines so far
    const std::uint64_t from = std::max(message_start, chunk_position);
    const std::uint64_t to = chunk_position + consumed;
    if (to <= from) return;
    request->storage.append(chunk_base + (from - chunk_position), to - from);
    request_written = true;
}

// A head still arriving is held to the limits now, so a client trickling an endless head is stopped at
// the limit instead of being buffered.
bool ParserState::check_limits_of_partial_head() noexcept {
    if (message_start == no_position) return true;
    if (request_line_end == no_position) {
        // Everything so far is request line, except perhaps its CRLF, whose arrival completes the version.
        if (chunk_position - message_start > limits.max_request_line + 2)
            return reject(ParseError::uri_too_long, "request line too long");
        return true;
    }
    if (request_line_end - message_start > limits.max_request_line)
        return reject(ParseError::uri_too_long, "request line too long");
    const std::uint64_t header_start = request_line_end + 2;
    if (chunk_position > header_start && chunk_position - header_start > limits.max_header_bytes)
        return reject(ParseError::header_fields_too_large, "header section too large");
    return true;
}

// The head is in storage: check what llhttp leaves to us, then point the request's views into storage
// (only now, since storage may have reallocated while growing).
bool ParserState::finish_head() noexcept {
    Request &req = *request;
    request_written = true;
    std::string &storage = req.storage;
    if (message_start == no_position || request_line_end == no_position)
        return reject(ParseError::bad_request, "incomplete request line");
    const std::size_t request_line_length = request_line_end - message_start;

    // llhttp 8.1 accepts a bare LF after the request line and as the blank line ending the head, and a
    // folded line after an empty value: the line rules are checked on the stored bytes instead.
    if (storage.size() < request_line_length + 2 || storage[request_line_length] != '\r' ||
        storage[request_line_length + 1] != '\n')
        return reject(ParseError::bad_request, "line not ended by CRLF");
    if (const char *fault = head_line_fault(storage)) return reject(ParseError::bad_request, fault);
    if (request_line_length > limits.max_request_line)
        return reject(ParseError::uri_too_long, "request line too long");
    // The header section runs from after the request line's CRLF through the blank line.
    if (storage.size() - (request_line_length + 2) > limits.max_header_bytes)
        return reject(ParseError::header_fields_too_large, "header section too large");

    req.http_major = llhttp_get_http_major(&llhttp);
    req.http_minor = llhttp_get_http_minor(&llhttp);
    if (req.http_major != 1 || req.http_minor > 1)
        return reject(ParseError::bad_request, "unsupported HTTP version");

    const std::string_view all(storage);
    req.method = all.substr(0, method_end);
    req.target = all.substr(target_begin, target_end - target_begin);
    // Nearly every target is origin-form, which one byte tells; the other forms are split and checked apart (and
    // kept out of this path: even a TargetParts on the stack here cost the origin-form ~20 instructions).
    TargetForm form = TargetForm::origin;
    std::string_view authority;
    if (!req.target.empty() && req.target.front() == '/') {
        const std::size_t question_mark = req.target.find('?');
        req.path = req.target.substr(0, question_mark);
        req.query =
            question_mark == std::string_view::npos ? std::string_view{} : req.target.substr(question_mark + 1);
    } else if (!split_other_target_form(form, authority)) {
        return false;
    }

    std::size_t host_count = 0, content_length_count = 0, host_index = 0;
    TransferCodings transfer_codings;
    req.headers.clear();
    req.headers.reserve(header_spans.size());
    for (const HeaderSpan &span : header_spans) {
        if (span.name_begin == span.name_end) return reject(ParseError::bad_request, "empty header name");
        // llhttp 8.1 (built without LLHTTP_STRICT_MODE) keeps such whitespace in the name; RFC 9112 5.1
        // requires a 400 (proxies disagree on where such a name ends).
        if (is_optional_whitespace(storage[span.name_end - 1]))
            return reject(ParseError::bad_request, "whitespace between header name and colon");
        lowercase_ascii_in_place(storage.data() + span.name_begin, storage.data() + span.name_end);
        const std::string_view name = all.substr(span.name_begin, span.name_end - span.name_begin);
        const std::string_view value =
            trim_whitespace(all.substr(span.value_begin, span.value_end - span.value_begin));
        req.headers.push_back({name, value});

        if (name == "host") {
            ++host_count;
            host_index = req.headers.size() - 1;
            req.host = value;
        } else if (name == "content-length") {
            ++content_length_count;
        } else if (name == "transfer-encoding") {
            transfer_codings.add_header_value(value);
        } else if (name == "expect") {
            req.expect_continue = equals_ignoring_ascii_case(value, "100-continue");
        }
    }

    // RFC 9112 3.2: exactly one Host in HTTP/1.1, never more than one.
    if (host_count > 1 || (req.http_minor == 1 && host_count == 0))
        return reject(ParseError::bad_request, host_count ? "more than one Host header" : "missing Host header");
    if (host_count == 1 && !is_valid_host(req.host)) return reject(ParseError::bad_request, "invalid Host header");
    if (form != TargetForm::origin &&
        !apply_target_form(form, authority, host_count ? &req.headers[host_index] : nullptr))
        return false;
    // Ambiguous framing is a request-smuggling vector: refuse it even where llhttp would not.
    if (content_length_count > 1) return reject(ParseError::bad_request, "duplicate Content-Length");
    if (transfer_codings.present) {
        // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing (a 1.0 hop in front
        // of us may have framed it by Content-Length or by the close instead).
        if (req.http_minor == 0) return reject(ParseError::bad_request, "Transfer-Encoding in an HTTP/1.0 request");
        if (content_length_count) return reject(ParseError::bad_request, "Content-Length with Transfer-Encoding");
        if (transfer_codings.coding_after_chunked)
            return reject(ParseError::bad_request, "chunked is not the final transfer coding");
        if (transfer_codings.unsupported_coding)
            return reject(ParseError::not_implemented, "unsupported transfer coding");
        if (!transfer_codings.chunked_seen) return reject(ParseError::bad_request, "empty Transfer-Encoding");
    }

    const auto method = static_cast<llhttp_method_t>(llhttp_get_method(&llhttp));
    if (llhttp.flags & F_CONTENT_LENGTH) req.content_length = llhttp.content_length;
    req.chunked = (llhttp.flags & F_CHUNKED) != 0;
    req.keep_alive = llhttp_should_keep_alive(&llhttp) != 0;
    // llhttp also raises its upgrade flag for CONNECT (a tunnel); only Connection: upgrade + Upgrade counts. Behind
    // the flag, the check of CONNECT costs ordinary requests nothing.
    if (llhttp_get_upgrade(&llhttp)) {
        if (method == HTTP_CONNECT) return refuse_connect(form);
        req.upgrade = true;
    }
    req.is_head = method == HTTP_HEAD;

    if (limits.max_body_bytes != 0 && req.content_length && *req.content_length > limits.max_body_bytes)
        return reject(ParseError::payload_too_large, "Content-Length over the body size limit");
    return true;
}

// A target that does not start with '/': its path and query into the request, its form and authority out.
bool ParserState::split_other_target_form(TargetForm &form, std::string_view &authority) noexcept {
    Request &req = *request;
    TargetParts parts;
    if (const char *fault = split_request_target(req.target, parts)) return reject(ParseError::bad_request, fault);
    req.path = parts.path;
    req.query = parts.query;
    form = parts.form;
    authority = parts.authority;
    return true;
}

// A target other than origin-form: the method must fit the form, and an absolute-form authority becomes the Host
// the handler sees (RFC 9112 3.2.2: an origin server MUST ignore the received Host and use the target's). The
// header list says the same, so that an application cannot be shown one host in one place and another elsewhere.
bool ParserState::apply_target_form(TargetForm form, std::string_view authority, Header *host_header) noexcept {
    const auto method = static_cast<llhttp_method_t>(llhttp_get_method(&llhttp));
    switch (form) {
    case TargetForm::origin:
        return true;
    case TargetForm::asterisk: // RFC 9112 3.2.4
        return method == HTTP_OPTIONS ||
               reject(ParseError::bad_request, "asterisk-form target with a method other than OPTIONS");
    case TargetForm::authority: // RFC 9112 3.2.3; a CONNECT is refused later, in refuse_connect()
        return method == HTTP_CONNECT ||
               reject(ParseError::bad_request, "authority-form target with a method other than CONNECT");
    case TargetForm::absolute:
        break;
    }
    Request &req = *request;
    req.host = authority;
    if (host_header)
        host_header->value = authority;
    else
        req.headers.push_back({added_host_name, authority});
    return true;
}

// CONNECT asks for a tunnel, which this origin server does not open. Its target must be the authority-form
// (RFC 9112 3.2.3), else the request is malformed: 400. A well-formed one gets 405: the method is known, but the
// resource it names (a tunnel to that authority) allows none, which the 405's empty Allow says (RFC 9110 10.2.1).
bool ParserState::refuse_connect(TargetForm form) noexcept {
    if (form != TargetForm::authority)
        return reject(ParseError::bad_request, "CONNECT without an authority-form target");
    return reject(ParseError::method_not_allowed, "CONNECT: this server opens no tunnels");
}

// Hands the chunked-body checker the framing bytes of the current chunk up to stream position `end`.
bool ParserState::check_chunked_framing_up_to(std::uint64_t end) noexcept {
    if (!checking_chunked_lines || end <= chunked_lines_checked_to) return true;
    const char *from = chunk_base + (chunked_lines_checked_to - chunk_position);
    const char *fault = chunked_lines.framing(std::string_view(from, end - chunked_lines_checked_to));
    chunked_lines_checked_to = end;
    return fault == nullptr || reject(ParseError::bad_request, fault);
}

// llhttp reported the end of the message; a chunked body must end exactly at its blank line.
bool ParserState::finish_message() noexcept {
    if (checking_chunked_lines && !chunked_lines.complete())
        return reject(ParseError::bad_request, "chunked body not ended by an empty line");
    return true;
}

void ParserState::reset_for_next_message() noexcept {
    if (resume_after_upgrade) {
        // The upgrade was not taken over by another protocol: the next bytes are HTTP again.
        llhttp_resume_after_upgrade(&llhttp);
        resume_after_upgrade = false;
    }
    // A request fresh from take_request() needs nothing; one that was used keeps its storage and header
    // capacity, so the next request on the connection allocates nothing.
    if (request_written) {
        Request &used = *request;
        std::string storage = std::move(used.storage);
        std::vector<Header> headers = std::move(used.headers);
        storage.clear();
        headers.clear();
        // Rebuilt in place: every field gets its default without a field list to keep in step, and
        // without the temporary and member-by-member move that assigning Request{} costs.
        std::destroy_at(&used);
        std::construct_at(&used);
        used.storage = std::move(storage);
        used.headers = std::move(headers);
        request_written = false;
    }

    message_start = no_position;
    version_end = 0;
    request_line_end = no_position;
    method_end = target_begin = target_end = 0;
    target_started = false;
    header_spans.clear();
    last_header_span = HeaderSpanKind::none;
    phase = Phase::head;
    head_just_completed = false;
    message_begun = false;
    body_bytes = trailer_bytes = chunk_extension_bytes = 0;
    trailer_fields = 0;
    trailer_name.reset();
    if (checking_chunked_lines) use_callbacks(callbacks());
    checking_chunked_lines = false;
}

RequestParser::RequestParser(const engine::Limits &limits) : impl_(std::make_unique<Impl>(limits)) {}

RequestParser::~RequestParser() = default;

RequestParser::Result RequestParser::feed(std::string_view data, BodySink &sink) {
    Impl &self = *impl_;
    if (self.phase == Impl::Phase::failed) return {Status::error, 0};
    if (self.phase == Impl::Phase::message_complete) return {Status::message_complete, 0};

    static constexpr char no_bytes[1] = {};
    const char *begin = data.empty() ? no_bytes : data.data();
    self.sink = &sink;
    self.chunk_base = begin;
    const llhttp_errno_t status = llhttp_execute(&self.llhttp, begin, data.size());

    std::size_t consumed = data.size();
    if (status != HPE_OK) {
        const char *stop = llhttp_get_error_pos(&self.llhttp);
        consumed = stop ? static_cast<std::size_t>(stop - begin) : 0;
    }
    if (status != HPE_OK && status != HPE_PAUSED && status != HPE_PAUSED_UPGRADE) {
        if (self.error == ParseError::none) {
            // Everything llhttp itself rejects is malformed framing or syntax.
            self.error = ParseError::bad_request;
            self.reason = llhttp_get_error_reason(&self.llhttp);
        }
        return self.failed_result(consumed);
    }

    if (self.phase == Impl::Phase::head) self.store_head_bytes(consumed);
    // The framing bytes llhttp consumed after the last data it reported (chunk-size lines, trailers).
    if (!self.check_chunked_framing_up_to(self.chunk_position + consumed)) return self.failed_result(consumed);
    self.chunk_position += consumed;

    if (status == HPE_PAUSED) {
        llhttp_resume(&self.llhttp);
        if (self.head_just_completed) {
            self.head_just_completed = false;
            self.phase = Impl::Phase::body;
            if (!self.finish_head()) return self.failed_result(consumed);
            if (self.request->chunked) {
                // The body starts right after the head, where this feed() stopped.
                self.chunked_lines.reset();
                self.checking_chunked_lines = true;
                self.chunked_lines_checked_to = self.chunk_position;
                self.use_callbacks(Impl::chunked_body_callbacks());
            }
            return {Status::head_complete, consumed};
        }
        if (!self.finish_message()) return self.failed_result(consumed);
        return {Status::message_complete, consumed};
    }
    if (status == HPE_PAUSED_UPGRADE) {
        if (!self.finish_message()) return self.failed_result(consumed);
        self.resume_after_upgrade = true;
        return {Status::message_complete, consumed};
    }
    if (self.phase == Impl::Phase::head && !self.check_limits_of_partial_head()) return self.failed_result(consumed);
    return {Status::need_more, consumed};
}

void RequestParser::next_message() { impl_->reset_for_next_message(); }

engine::Request &RequestParser::request() noexcept { return *impl_->request; }
const engine::Request &RequestParser::request() const noexcept { return *impl_->request; }

std::unique_ptr<engine::Request> RequestParser::take_request() {
    auto taken = std::move(impl_->request);
    impl_->request = std::make_unique<Request>();
    impl_->request_written = false;
    return taken;
}

ParseError RequestParser::error() const noexcept { return impl_->error; }

std::string_view RequestParser::error_reason() const noexcept {
    return impl_->reason ? std::string_view(impl_->reason) : std::string_view{};
}

bool RequestParser::in_message() const noexcept { return impl_->message_begun; }

std::uint64_t RequestParser::body_bytes_received() const noexcept { return impl_->body_bytes; }

} // namespace engine::http
