#pragma once
// Feeding RequestParser as a connection would, for the parser's doctest files: bytes in recv buffers of any size
// or split at any boundary, the completed messages and the error collected, and the checks every parsed request
// must pass (its views point into its storage).

#include "http/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parser_harness {

using engine::Limits;
using engine::Request;
using engine::http::ParseError;
using engine::http::RequestParser;

/// A request the parser must refuse, and how.
struct Rejection {
    const char *what;
    std::string_view bytes;
    ParseError expected;
};

struct CollectingSink final : engine::http::BodySink {
    std::string body;
    void on_body_data(std::string_view data) override { body.append(data); }
};

struct Message {
    std::unique_ptr<Request> request;
    std::string body;
};

struct Outcome {
    ParseError error = ParseError::none;
    std::vector<Message> messages; ///< completed messages, in order
    std::size_t heads = 0;         ///< head_complete reports
    bool left_incomplete = false;  ///< the bytes ran out inside a message
    std::string unfinished_body;   ///< body bytes delivered for the message that failed or was left incomplete
};

// Feeds `bytes` as a connection would: they arrive in recv buffers, the one holding `position` ending at
// `buffer_end(position)`, and what a feed() leaves unconsumed is fed again from the same buffer.
template <typename BufferEnd>
Outcome feed_buffers(std::string_view bytes, const Limits &limits, const BufferEnd &buffer_end_at) {
    RequestParser parser(limits);
    CollectingSink sink;
    Outcome outcome;
    std::size_t position = 0;
    for (int guard = 0; guard < 100000; ++guard) {
        const std::size_t buffer_end = buffer_end_at(position);
        const auto result = parser.feed(bytes.substr(position, buffer_end - position), sink);
        REQUIRE(result.consumed <= buffer_end - position);
        position += result.consumed;
        switch (result.status) {
        case RequestParser::Status::error:
            outcome.error = parser.error();
            outcome.unfinished_body = std::move(sink.body);
            CHECK(outcome.error != ParseError::none);
            CHECK(!parser.error_reason().empty());
            return outcome;
        case RequestParser::Status::head_complete:
            ++outcome.heads;
            break; // feed again, even with nothing left: a bodiless message completes without bytes
        case RequestParser::Status::message_complete:
            CHECK(parser.body_bytes_received() == sink.body.size());
            outcome.messages.push_back({parser.take_request(), std::move(sink.body)});
            sink.body.clear();
            parser.next_message();
            CHECK(!parser.in_message());
            break;
        case RequestParser::Status::need_more:
            if (position == bytes.size()) {
                outcome.left_incomplete = parser.in_message();
                outcome.unfinished_body = std::move(sink.body);
                return outcome;
            }
            break;
        }
    }
    FAIL("parser made no progress");
    return outcome;
}

// In recv buffers of `recv_size` bytes.
inline Outcome parse_stream(std::string_view bytes, std::size_t recv_size = SIZE_MAX, const Limits &limits = {}) {
    return feed_buffers(bytes, limits, [&](std::size_t position) {
        if (recv_size >= bytes.size()) return bytes.size();
        return std::min(bytes.size(), (position / recv_size + 1) * recv_size);
    });
}

// In two recv buffers, the first ending at `split` (0 and bytes.size() mean one buffer).
inline Outcome parse_split(std::string_view bytes, std::size_t split, const Limits &limits = {}) {
    return feed_buffers(bytes, limits,
                        [&](std::size_t position) { return position < split ? split : bytes.size(); });
}

inline ParseError rejection_of(std::string_view bytes, const Limits &limits = {}) {
    // Whole and byte by byte must agree: the checks cannot depend on where recv buffers end.
    const ParseError whole = parse_stream(bytes, SIZE_MAX, limits).error;
    CHECK(parse_stream(bytes, 1, limits).error == whole);
    return whole;
}

inline bool points_into(std::string_view view, const std::string &storage) {
    return view.empty() ||
           (view.data() >= storage.data() && view.data() + view.size() <= storage.data() + storage.size());
}

inline void check_views_point_into_storage(const Request &request) {
    CHECK(points_into(request.method, request.storage));
    CHECK(points_into(request.target, request.storage));
    CHECK(points_into(request.path, request.storage));
    CHECK(points_into(request.query, request.storage));
    CHECK(points_into(request.host, request.storage));
    for (const auto &header : request.headers) {
        // The one exception: the name of a Host header the parser added for an absolute-form target.
        if (!(header.name == "host" && header.value.data() == request.host.data()))
            CHECK(points_into(header.name, request.storage));
        CHECK(points_into(header.value, request.storage));
    }
}

// Checks that exactly one request completed, and nothing else happened.
inline Message only_message(Outcome outcome) {
    REQUIRE(outcome.error == ParseError::none);
    REQUIRE(outcome.messages.size() == 1);
    CHECK(outcome.heads == 1);
    CHECK(!outcome.left_incomplete);
    check_views_point_into_storage(*outcome.messages[0].request);
    return std::move(outcome.messages[0]);
}

// One request parsed whole (or in recv buffers of `recv_size`); checks that it completed alone.
inline Message parse_one(std::string_view bytes, std::size_t recv_size = SIZE_MAX) {
    return only_message(parse_stream(bytes, recv_size));
}

inline std::string describe(const Message &message) {
    const Request &r = *message.request;
    std::string text = std::string(r.method) + " " + std::string(r.target) + " [" + std::string(r.path) + "|" +
                       std::string(r.query) + "] " + std::to_string(r.http_major) + "." + std::to_string(r.http_minor);
    for (const auto &h : r.headers) text += " {" + std::string(h.name) + "=" + std::string(h.value) + "}";
    text += " cl=" + (r.content_length ? std::to_string(*r.content_length) : std::string("-"));
    text += " chunked=" + std::to_string(r.chunked) + " ka=" + std::to_string(r.keep_alive) +
            " expect=" + std::to_string(r.expect_continue) + " upgrade=" + std::to_string(r.upgrade) +
            " head=" + std::to_string(r.is_head) + " host=" + std::string(r.host) + " body=" + message.body;
    return text;
}

// `bytes` whole, byte by byte, and in two recv buffers split at every boundary: `check` gets each outcome.
template <typename Check> void for_every_split(std::string_view bytes, const Check &check) {
    check(parse_stream(bytes));
    check(parse_stream(bytes, 1));
    for (std::size_t split = 1; split < bytes.size(); ++split) {
        CAPTURE(split);
        check(parse_split(bytes, split));
    }
}

// One request that parses the same whole, byte by byte and split at every boundary; the whole one's result.
inline Message parse_every_way(std::string_view bytes) {
    CAPTURE(bytes);
    Message whole = parse_one(bytes);
    const std::string described = describe(whole);
    CHECK(describe(parse_one(bytes, 1)) == described);
    for (std::size_t split = 1; split < bytes.size(); ++split) {
        CAPTURE(split);
        CHECK(describe(only_message(parse_split(bytes, split))) == described);
    }
    return whole;
}

inline std::string repeated(char c, std::size_t count) { return std::string(count, c); }
} // namespace parser_harness
