#include "ws/deflate_codec.hpp"

#include <zlib.h>

#include <algorithm>

namespace engine::ws {

struct ZStream {
    z_stream z{};
    bool deflating = false;
    ~ZStream() {
        if (deflating) deflateEnd(&z);
        else inflateEnd(&z);
    }
};

namespace {

// The tail a sync flush ends with, removed by the sender and put back by the receiver (RFC 7692 7.2.1).
constexpr unsigned char sync_tail[] = {0x00, 0x00, 0xff, 0xff};
// Output grows by at least this much per zlib call.
constexpr std::size_t output_step = 4096;

unsigned char *bytes_of(std::string &text, std::size_t at) noexcept {
    return reinterpret_cast<unsigned char *>(text.data() + at);
}

} // namespace

int deflate_mem_level(std::uint8_t window_bits) noexcept { return std::clamp(window_bits - 7, 1, 8); }

MessageDeflater::MessageDeflater(std::uint8_t window_bits, bool no_context_takeover) noexcept
    : window_bits_(std::clamp<std::uint8_t>(window_bits, 9, 15)), no_context_takeover_(no_context_takeover) {}

MessageDeflater::~MessageDeflater() = default;

bool MessageDeflater::compress(std::string_view payload, std::string &out) {
    if (!stream_) {
        auto stream = std::make_unique<ZStream>();
        // Negative window bits: raw deflate, no zlib header or checksum (7.2.1).
        if (deflateInit2(&stream->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits_,
                         deflate_mem_level(window_bits_), Z_DEFAULT_STRATEGY) != Z_OK)
            return false;
        stream->deflating = true;
        stream_ = std::move(stream);
    }
    z_stream &z = stream_->z;
    const std::size_t start = out.size();
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(payload.data()));
    z.avail_in = static_cast<uInt>(payload.size());
    // Through a chunk on the stack: until zlib leaves part of it unused, it has more to say.
    unsigned char chunk[output_step];
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        const int status = deflate(&z, Z_SYNC_FLUSH);
        if (status != Z_OK && status != Z_BUF_ERROR) {
            out.resize(start);
            stream_.reset();
            return false;
        }
        out.append(reinterpret_cast<const char *>(chunk), sizeof chunk - z.avail_out);
    } while (z.avail_out == 0);
    if (out.size() - start >= sizeof sync_tail) out.resize(out.size() - sizeof sync_tail);
    if (no_context_takeover_) stream_.reset();  // the next message starts afresh: free the window meanwhile
    return true;
}

MessageInflater::MessageInflater(std::uint8_t window_bits, bool no_context_takeover) noexcept
    // zlib's raw inflate takes 8, but clients built on zlib compress a "8-bit" window with 9 bits (zlib's
    // deflate has no 8): inflating with 9 accepts both.
    : window_bits_(std::clamp<std::uint8_t>(window_bits, 9, 15)), no_context_takeover_(no_context_takeover) {}

MessageInflater::~MessageInflater() = default;

InflateResult MessageInflater::run(std::string_view input, std::string &out, std::size_t limit) {
    z_stream &z = stream_->z;
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.data()));
    z.avail_in = static_cast<uInt>(input.size());
    for (;;) {
        const std::size_t have = out.size();
        // One byte past the limit tells "exactly the limit" from "more than the limit".
        const std::size_t room = std::min(std::max(have, output_step), limit + 1 - have);
        out.resize(have + room);
        z.next_out = bytes_of(out, have);
        z.avail_out = static_cast<uInt>(room);
        const int status = ::inflate(&z, Z_SYNC_FLUSH);
        out.resize(have + room - z.avail_out);
        if (out.size() > limit) {
            out.resize(limit);  // the byte that told is dropped: the contract is never past the limit
            return InflateResult::too_big;
        }
        if (status == Z_STREAM_END) {
            // A block with BFINAL set (RFC 7692 allows one): what follows, the tail at least, starts a fresh stream.
            inflateReset(&z);
            if (z.avail_in == 0) break;
            continue;
        }
        if (status == Z_BUF_ERROR && z.avail_in == 0) break;  // no progress without more input
        if (status != Z_OK) return InflateResult::corrupt;
        if (z.avail_in == 0 && z.avail_out != 0) break;  // all input used and nothing held back
    }
    return InflateResult::ok;
}

InflateResult MessageInflater::inflate(std::string_view piece, bool last, std::string &out, std::size_t limit) {
    if (!stream_) {
        auto stream = std::make_unique<ZStream>();
        if (inflateInit2(&stream->z, -window_bits_) != Z_OK) return InflateResult::corrupt;
        stream_ = std::move(stream);
    }
    InflateResult result = run(piece, out, limit);
    if (result == InflateResult::ok && last)
        result = run(std::string_view(reinterpret_cast<const char *>(sync_tail), sizeof sync_tail), out, limit);
    if (result != InflateResult::ok) stream_.reset();  // the session fails; nothing more is inflated
    else if (last && no_context_takeover_) stream_.reset();
    return result;
}

} // namespace engine::ws
