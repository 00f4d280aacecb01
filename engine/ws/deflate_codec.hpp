#pragma once
// permessage-deflate's compression (RFC 7692 7.2) on top of zlib's raw deflate: one compressor for the
// messages we send and one decompressor for those we receive, each created on first use.
//
// Memory is the point of the design: zlib's compressor needs (1 << (bits + 2)) + (1 << (mem_level + 9))
// bytes (256 KiB at 15 bits and memory level 8), its decompressor a window of 1 << bits. Without context
// takeover a stream is freed after every message, so an idle session holds no zlib memory at all; with it
// the stream (and its window) lives as long as the session. zlib.h stays in the .cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace engine::ws {

struct ZStream;  // zlib's z_stream, hidden from includers

/// zlib's memory level for a compression window: 8 for 15 bits, 5 for 12 (what keeps the hash table in
/// proportion to the window), never below 1.
int deflate_mem_level(std::uint8_t window_bits) noexcept;

class MessageDeflater {
  public:
    /// `window_bits` 9..15 (the agreed server_max_window_bits).
    MessageDeflater(std::uint8_t window_bits, bool no_context_takeover) noexcept;
    ~MessageDeflater();
    MessageDeflater(const MessageDeflater &) = delete;
    MessageDeflater &operator=(const MessageDeflater &) = delete;

    /// Appends `payload` compressed, without the 00 00 ff ff a sync flush ends with (7.2.1). False only when
    /// zlib fails (out of memory); `out` is then as it was.
    bool compress(std::string_view payload, std::string &out);
    /// Whether a zlib stream is allocated now (for tests and the memory measurement).
    bool holds_stream() const noexcept { return stream_ != nullptr; }

  private:
    std::unique_ptr<ZStream> stream_;
    std::uint8_t window_bits_;
    bool no_context_takeover_;
};

enum class InflateResult : std::uint8_t {
    ok,
    too_big,  ///< the message would inflate past the limit: close with 1009
    corrupt,  ///< not a valid deflate stream: close with 1007
};

class MessageInflater {
  public:
    /// `window_bits` 8..15 (the agreed client_max_window_bits; 8 is inflated with 9, which accepts it).
    MessageInflater(std::uint8_t window_bits, bool no_context_takeover) noexcept;
    ~MessageInflater();
    MessageInflater(const MessageInflater &) = delete;
    MessageInflater &operator=(const MessageInflater &) = delete;

    /// Inflates one piece of a compressed message onto `out`; `last` marks the message's end (the
    /// 00 00 ff ff tail is inflated then, 7.2.2). Never lets `out` grow past `limit` bytes, however much the
    /// input would inflate to: memory follows the limit, not the bomb.
    InflateResult inflate(std::string_view piece, bool last, std::string &out, std::size_t limit);
    bool holds_stream() const noexcept { return stream_ != nullptr; }

  private:
    InflateResult run(std::string_view input, std::string &out, std::size_t limit);

    std::unique_ptr<ZStream> stream_;
    std::uint8_t window_bits_;
    bool no_context_takeover_;
};

} // namespace engine::ws
