#include "http/response_writer.hpp"

#include "http/trailer_fields.hpp"

#include <charconv>
#include <cstring>

namespace engine::http {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view status_line_prefix = "HTTP/1.1 ";
constexpr std::string_view date_prefix = "Date: ";
constexpr std::string_view server_prefix = "Server: ";
constexpr std::string_view content_length_prefix = "Content-Length: ";
constexpr std::string_view chunked_line = "Transfer-Encoding: chunked\r\n";

char *put(char *cursor, std::string_view bytes) noexcept {
    if (!bytes.empty()) std::memcpy(cursor, bytes.data(), bytes.size());
    return cursor + bytes.size();
}

char *put_field(char *cursor, std::string_view name_and_colon, std::string_view value) noexcept {
    return put(put(put(cursor, name_and_colon), value), crlf);
}

} // namespace

std::string_view reason_phrase(unsigned status) noexcept {
    // RFC 9110 section 15 names, plus the registered WebDAV/extension codes clients still see.
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: break;
    }
    switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Success";
    case 3: return "Redirection";
    case 4: return "Client Error";
    case 5: return "Server Error";
    default: return "Unknown";
    }
}

ResponseFraming write_response_head(std::string &out, const ResponseHeadView &head, const RequestFacts &req,
                                    bool server_keep_alive, std::string_view date, std::string_view server) {
    const unsigned status = head.status >= 100 && head.status <= 999 ? head.status : 500;
    const std::string_view reason = reason_phrase(status);
    // 1xx are interim (or 101, after which the bytes are another protocol); 204 and 304 never have
    // content (RFC 9110 6.4.1), so none of them carry framing headers. A 304 may repeat the
    // representation's Content-Length, but omitting it is always correct.
    const bool interim = status < 200;
    const bool status_forbids_body = interim || status == 204 || status == 304;
    const bool is_http10 = req.http_minor == 0;

    ResponseFraming framing{};
    framing.body_allowed = !status_forbids_body && !req.is_head;
    // HEAD gets the Content-Length a GET would have had (RFC 9110 9.3.2), but never chunked or
    // close-delimited framing since no body follows.
    const bool send_content_length = !status_forbids_body && head.content_length.has_value();
    if (framing.body_allowed && !head.content_length) {
        // Unknown length: chunked needs HTTP/1.1 on the client side; an HTTP/1.0 client only
        // understands "the body ends when the connection closes".
        framing.chunked = !is_http10;
        framing.close_delimited = is_http10;
    }
    framing.keep_alive =
        interim || (server_keep_alive && req.client_keep_alive && !head.close && !framing.close_delimited);

    const bool say_close = !interim && !framing.keep_alive;
    // A close is always announced (RFC 9112 9.6: the client must not reuse the connection).
    // Keep-alive is the default only for HTTP/1.1 (RFC 9112 9.3), so HTTP/1.0 is told explicitly.
    const std::string_view connection_line = say_close               ? std::string_view("Connection: close\r\n")
                                             : !interim && is_http10 ? std::string_view("Connection: keep-alive\r\n")
                                                                     : std::string_view{};
    char length_digits[20];  // UINT64_MAX has 20 decimal digits
    std::size_t length_size = 0;
    if (send_content_length)
        length_size = static_cast<std::size_t>(
            std::to_chars(length_digits, length_digits + sizeof length_digits, *head.content_length).ptr -
            length_digits);

    // The head is sized first and then written through a cursor: one growth of `out` and no
    // per-piece capacity checks (this runs for every response).
    std::size_t size = status_line_prefix.size() + 4 + reason.size() + crlf.size() + head.header_lines.size() +
                       connection_line.size() + crlf.size();
    if (!date.empty()) size += date_prefix.size() + date.size() + crlf.size();
    if (!server.empty()) size += server_prefix.size() + server.size() + crlf.size();
    if (send_content_length) size += content_length_prefix.size() + length_size + crlf.size();
    else if (framing.chunked) size += chunked_line.size();

    const std::size_t start = out.size();
    out.resize(start + size);
    char *cursor = out.data() + start;
    cursor = put(cursor, status_line_prefix);
    *cursor++ = static_cast<char>('0' + status / 100);
    *cursor++ = static_cast<char>('0' + status / 10 % 10);
    *cursor++ = static_cast<char>('0' + status % 10);
    *cursor++ = ' ';
    cursor = put(cursor, reason);
    cursor = put(cursor, crlf);
    cursor = put(cursor, head.header_lines);
    if (!date.empty()) cursor = put_field(cursor, date_prefix, date);
    if (!server.empty()) cursor = put_field(cursor, server_prefix, server);
    if (send_content_length) cursor = put_field(cursor, content_length_prefix, {length_digits, length_size});
    else if (framing.chunked) cursor = put(cursor, chunked_line);
    cursor = put(cursor, connection_line);
    put(cursor, crlf);
    return framing;
}

ResponseFraming write_response_head(std::string &out, const engine::ResponseHead &head, const RequestFacts &req,
                                    bool server_keep_alive, std::string_view date, std::string_view server) {
    const ResponseHeadView view{head.status, head.header_lines, head.content_length, head.close};
    return write_response_head(out, view, req, server_keep_alive, date, server);
}

void write_last_chunk(std::string &out, std::string_view trailer_lines) {
    out.append("0\r\n");
    FieldLineView field;
    while (next_field_line(trailer_lines, field)) {
        if (!may_send_as_trailer(field.name)) continue;
        out.append(field.line);
        out.append("\r\n");
    }
    out.append("\r\n");
}

void write_chunk_prefix(std::string &out, std::size_t size) {
    char digits[2 * sizeof(std::size_t) + 2];  // every hex digit of a size_t, then CRLF
    auto result = std::to_chars(digits, digits + 2 * sizeof(std::size_t), size, 16);
    *result.ptr++ = '\r';
    *result.ptr++ = '\n';
    out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

} // namespace engine::http
