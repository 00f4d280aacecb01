#include "http1_driver.hpp"

#include <cstdio>
#include <algorithm>
#include <cstdlib>

namespace fuzz {
namespace {

using engine::http::ParseError;
using engine::http::RequestParser;
using Status = RequestParser::Status;

// A pipelined stream of tiny requests could make a long vector; past this many the stream is not followed.
constexpr std::size_t max_messages = 64;

class BodyCollector final : public engine::http::BodySink {
  public:
    std::string *body = nullptr;
    void on_body_data(std::string_view data) override {
        if (body) body->append(data);
    }
};

ParsedMessage copy_head(const engine::Request &request) {
    ParsedMessage message;
    message.method = request.method;
    message.target = request.target;
    message.http_major = request.http_major;
    message.http_minor = request.http_minor;
    for (const auto &header : request.headers) message.headers.emplace_back(header.name, header.value);
    message.content_length = request.content_length;
    message.chunked = request.chunked;
    return message;
}

// Origin form (RFC 9112 3.2.1) of a parsed head: what a proxy forwarding it would write.
std::string serialise_head(const ParsedMessage &message) {
    std::string head = message.method + ' ' + message.target + " HTTP/" + std::to_string(message.http_major) + '.' +
                       std::to_string(message.http_minor) + "\r\n";
    for (const auto &[name, value] : message.headers) head += name + ": " + value + "\r\n";
    return head + "\r\n";
}

bool has_header(const ParsedMessage &message, std::string_view name) {
    for (const auto &header : message.headers)
        if (header.first == name) return true;
    return false;
}

void check_reparse(const engine::Limits &limits, const ParsedMessage &message) {
    // The written-back head is never longer than the original (names and values only lose whitespace), but
    // a head that met the limits with a different layout need not now: reparse without size limits.
    engine::Limits roomy = limits;
    roomy.max_request_line = SIZE_MAX / 4;
    roomy.max_header_bytes = SIZE_MAX / 4;
    roomy.max_header_count = SIZE_MAX / 4;
    const std::string head = serialise_head(message);
    RequestParser parser(roomy);
    BodyCollector sink;
    const auto result = parser.feed(head, sink);
    if (result.status != Status::head_complete && result.status != Status::message_complete) {
        std::fprintf(stderr, "reparse of %s: status %d error %.*s\n", head.c_str(), static_cast<int>(result.status),
                     static_cast<int>(parser.error_reason().size()), parser.error_reason().data());
        invariant_broken("an accepted head written back in origin form is refused");
    }
    ParsedMessage again = copy_head(parser.request());
    ParsedMessage expected = message;
    expected.body.clear();
    expected.complete = false;
    if (again.method != expected.method || again.target != expected.target ||
        again.http_major != expected.http_major || again.http_minor != expected.http_minor ||
        again.headers != expected.headers) {
        std::fprintf(stderr, "reparse of %s differs\n", head.c_str());
        invariant_broken("parse -> serialise -> parse changed the request head");
    }
}

void print_outcome(const char *label, const StreamOutcome &outcome) {
    std::fprintf(stderr, "%s: %zu messages, error %d\n", label, outcome.messages.size(),
                 static_cast<int>(outcome.error));
    for (const auto &m : outcome.messages)
        std::fprintf(stderr, "  %s %s HTTP/%u.%u, %zu headers, body %zu bytes, %s\n", m.method.c_str(),
                     m.target.c_str(), m.http_major, m.http_minor, m.headers.size(), m.body.size(),
                     m.complete ? "complete" : "incomplete");
}

} // namespace

StreamOutcome parse_stream(const engine::Limits &limits, std::string_view data, const std::vector<std::size_t> &cuts) {
    StreamOutcome outcome;
    RequestParser parser(limits);
    BodyCollector sink;
    std::optional<ParsedMessage> current;
    bool stopped = false;
    for_each_piece(data, cuts, [&](std::string_view rest) {
        if (stopped) return;
        for (;;) {
            const auto result = parser.feed(rest, sink);
            rest.remove_prefix(result.consumed);
            if (result.status == Status::head_complete) {
                current = copy_head(parser.request());
                sink.body = &current->body;
                continue;  // the parser wants a feed after the head even with nothing left
            }
            if (result.status == Status::message_complete) {
                if (!current) invariant_broken("message_complete without head_complete");
                if (parser.body_bytes_received() != current->body.size())
                    invariant_broken("body_bytes_received differs from the body delivered");
                current->complete = true;
                outcome.messages.push_back(std::move(*current));
                current.reset();
                sink.body = nullptr;
                parser.next_message();
                if (outcome.messages.size() >= max_messages) {
                    stopped = true;
                    return;
                }
                continue;
            }
            if (result.status == Status::error) {
                outcome.error = parser.error();
                if (outcome.error == ParseError::none) invariant_broken("error status with ParseError::none");
                // A head reported before the refusal was dispatched: it counts, as an incomplete request.
                if (current) outcome.messages.push_back(std::move(*current));
                current.reset();
                stopped = true;
                return;
            }
            break;  // need_more: the next piece
        }
    });
    if (current && !stopped) outcome.messages.push_back(std::move(*current));
    return outcome;
}

StreamOutcome check_stream(const engine::Limits &limits, std::string_view data, const std::vector<std::size_t> &cuts) {
    const StreamOutcome whole = parse_stream(limits, data, {});
    for (const auto &message : whole.messages) {
        if (has_header(message, "content-length") && has_header(message, "transfer-encoding"))
            invariant_broken("a request with both Content-Length and Transfer-Encoding was accepted");
        if (message.content_length && message.chunked) invariant_broken("content_length and chunked both set");
        check_reparse(limits, message);
    }
    if (cuts.empty()) return whole;
    // Accept/reject and every parsed field must agree; which status a refusal gets need not. A request broken
    // in two ways reports the first fault the bytes so far show: whole, llhttp reads a (skipped-over) chunk
    // size past the body limit before the line check sees the bad CRLF (413, not 400); trickled, a header
    // section past a small limit is refused (431) before its bare CR is seen (400). Both close the connection.
    const StreamOutcome split = parse_stream(limits, data, cuts);
    if (split.messages != whole.messages || (split.error == ParseError::none) != (whole.error == ParseError::none)) {
        print_outcome("whole", whole);
        print_outcome("split", split);
        invariant_broken("the same bytes fed whole and in pieces give different results");
    }
    return whole;
}

} // namespace fuzz
