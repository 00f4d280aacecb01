#include "http2/request_builder.hpp"

#include <charconv>

namespace engine::http2 {

namespace {

// What one field costs against Limits::max_header_bytes: its bytes as an HTTP/1 header line ("name: value\r\n"),
// so both versions share one meaning of --max-header-size.
constexpr std::size_t http1_line_overhead = 4;

} // namespace

void RequestBuilder::add(std::string_view name, std::string_view value) {
    header_bytes_ += name.size() + value.size() + http1_line_overhead;
    if (too_large_ || header_bytes_ > limits_.max_header_bytes || fields_.size() >= limits_.max_header_count) {
        // Counted, never stored: a header list over the limit costs no memory while the rest of it is decoded.
        too_large_ = true;
        return;
    }
    const auto keep = [&](std::string_view text) {
        const std::size_t offset = storage_.size();
        storage_.append(text);
        return offset;
    };
    if (!name.empty() && name.front() == ':') {
        Span *pseudo = name == ":method" ? &method_ : name == ":path" ? &path_ : name == ":authority" ? &authority_
                       : name == ":scheme" ? &scheme_ : nullptr;
        if (pseudo) *pseudo = Span{keep(value), value.size(), true};
        return;  // nghttp2 refuses unknown pseudo-header fields before they get here
    }
    const std::size_t name_offset = keep(name);
    fields_.push_back(Field{name_offset, name.size(), keep(value), value.size()});
}

RequestBuilder::Verdict RequestBuilder::finish(bool end_stream) {
    if (too_large_) return Verdict::too_large;
    if (!method_.present) return Verdict::bad_request;
    auto request = std::make_unique<Request>();
    // The cookie fields are joined into the storage before views are taken: it must not grow afterwards.
    std::string cookie;
    for (const Field &field : fields_) {
        if (std::string_view(storage_).substr(field.name_offset, field.name_size) != "cookie") continue;
        if (!cookie.empty()) cookie += "; ";
        cookie += std::string_view(storage_).substr(field.value_offset, field.value_size);
    }
    const std::size_t cookie_offset = storage_.size();
    storage_ += cookie;
    request->storage = std::move(storage_);
    const std::string_view stored = request->storage;
    const auto view = [&](const Span &span) { return stored.substr(span.offset, span.size); };

    request->method = view(method_);
    if (request->method == "CONNECT") return Verdict::connect;
    // RFC 9113 8.3.1: every other request has :scheme and a non-empty :path (nghttp2 checks that too).
    if (!path_.present || path_.size == 0 || !scheme_.present) return Verdict::bad_request;
    request->target = view(path_);
    const std::size_t question = request->target.find('?');
    request->path = request->target.substr(0, question);
    if (question != std::string_view::npos) request->query = request->target.substr(question + 1);
    request->http_major = 2;
    request->http_minor = 0;
    request->keep_alive = true;
    request->is_head = request->method == "HEAD";

    std::string_view host_header;
    bool cookie_added = false;
    request->headers.reserve(fields_.size() + 1);
    if (authority_.present) request->headers.push_back(Header{"host", view(authority_)});
    for (const Field &field : fields_) {
        const std::string_view name = stored.substr(field.name_offset, field.name_size);
        const std::string_view value = stored.substr(field.value_offset, field.value_size);
        if (name == "cookie") {
            if (!cookie_added) request->headers.push_back(Header{name, stored.substr(cookie_offset, cookie.size())});
            cookie_added = true;
            continue;
        }
        if (name == "host") {
            // :authority wins (RFC 9113 8.3.1); a Host field stands in only without it.
            if (authority_.present) continue;
            host_header = value;
        }
        if (name == "content-length") {
            std::uint64_t length = 0;
            const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (error != std::errc{} || end != value.data() + value.size()) return Verdict::bad_request;
            request->content_length = length;
        }
        request->headers.push_back(Header{name, value});
    }
    request->host = authority_.present ? view(authority_) : host_header;
    if (request->host.empty()) return Verdict::bad_request;
    // A body without content-length has no length up front, which is what chunked means to the handler: body
    // bytes follow through on_body until `last`.
    if (!end_stream && !request->content_length) request->chunked = true;
    if (end_stream && request->content_length.value_or(0) != 0) return Verdict::bad_request;
    request_ = std::move(request);
    return Verdict::ok;
}

} // namespace engine::http2
