#pragma once
// The HTTP/1 request parser driven the way a connection drives it, for the http1_* fuzz targets: a byte
// stream (possibly several pipelined requests) fed whole or cut into pieces, every outcome copied out so
// that two runs can be compared, and the invariants that hold for every accepted request checked.

#include "engine/config.hpp"
#include "http/parser.hpp"
#include "pieces.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fuzz {

/// One request as the parser reported it; owns its bytes.
struct ParsedMessage {
    std::string method, target;
    unsigned http_major = 0, http_minor = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool complete = false;  ///< message_complete seen (false: the stream ended or was refused inside it)
    std::string body;

    bool operator==(const ParsedMessage &) const = default;
};

/// Everything a byte stream produced: the requests in order, and how the stream ended.
struct StreamOutcome {
    std::vector<ParsedMessage> messages;
    engine::http::ParseError error = engine::http::ParseError::none;

    bool operator==(const StreamOutcome &) const = default;
};

/// Feeds `data` to a fresh parser in pieces ending at `cuts` (ascending offsets; empty: one piece), the way
/// a connection feeds recv buffers: the unconsumed rest is fed again, next_message() after each request.
StreamOutcome parse_stream(const engine::Limits &limits, std::string_view data, const std::vector<std::size_t> &cuts);

/// Aborts (a fuzzer finding) unless the invariants hold for one stream. "Accepted" means the head was reported
/// (head_complete, when a connection dispatches it), even if the body is refused later:
///  - no accepted request carries both Content-Length and Transfer-Encoding;
///  - each accepted head, written back in origin form, parses to the same method, target, version, headers;
///  - the same bytes fed whole give the same requests, and are refused or not alike, as fed in the pieces
///    `cuts` makes (the refusal's status may differ: see the .cpp).
/// Returns the outcome of the whole feed.
StreamOutcome check_stream(const engine::Limits &limits, std::string_view data, const std::vector<std::size_t> &cuts);

} // namespace fuzz
