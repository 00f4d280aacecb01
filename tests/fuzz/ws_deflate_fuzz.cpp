// permessage-deflate's codec (engine/ws/deflate_codec.*): the input, after its split plan and a settings byte,
// is both a compressed message from a client (inflated with the cuts) and a payload of ours (deflated, then
// inflated back). Invariants: the inflater's output never passes its limit, whatever the bytes inflate to
// (the decompression-bomb bound); whole and cut input give the same result and bytes; what we compress
// inflates back to itself, with every window the negotiation can agree on.
#include "pieces.hpp"
#include "ws/deflate_codec.hpp"

#include <string>
#include <vector>

namespace {

using engine::ws::InflateResult;
using engine::ws::MessageDeflater;
using engine::ws::MessageInflater;

struct Inflated {
    InflateResult result = InflateResult::ok;
    std::string bytes;
    bool operator==(const Inflated &) const = default;
};

Inflated inflate_pieces(std::string_view message, const std::vector<std::size_t> &cuts, std::uint8_t window_bits,
                        std::size_t limit) {
    MessageInflater inflater(window_bits, true);
    Inflated inflated;
    std::size_t piece_index = 0;
    const std::size_t pieces = cuts.size() + 1;
    fuzz::for_each_piece(message, cuts, [&](std::string_view piece) {
        const bool last = ++piece_index == pieces;
        if (inflated.result != InflateResult::ok) return;
        inflated.result = inflater.inflate(piece, last, inflated.bytes, limit);
        if (inflated.bytes.size() > limit) fuzz::invariant_broken("the inflater grew its output past the limit");
    });
    if (inflated.result != InflateResult::ok) inflated.bytes.clear();  // what a failed message left is unused
    return inflated;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    std::string_view data(reinterpret_cast<const char *>(bytes), size);
    const std::vector<std::size_t> cuts = fuzz::take_cuts(data);
    if (data.empty()) return 0;
    // The settings byte: client window 8..15, our window 9..15, and a limit from 1 byte to 64 KiB.
    const auto settings = static_cast<std::uint8_t>(data.front());
    data.remove_prefix(1);
    const auto client_bits = static_cast<std::uint8_t>(8 + (settings & 7));
    const auto server_bits = static_cast<std::uint8_t>(9 + ((settings >> 3) % 7));
    const std::size_t limit = std::size_t{1} << (settings >> 4);  // 1 .. 32 KiB
    std::vector<std::size_t> data_cuts;
    for (std::size_t cut : cuts) {
        if (cut >= 1 && cut - 1 <= data.size()) data_cuts.push_back(cut - 1);  // offsets were into the settings too
    }

    const Inflated whole = inflate_pieces(data, {}, client_bits, limit);
    const Inflated cut = inflate_pieces(data, data_cuts, client_bits, limit);
    // A stream that breaks the deflate rules may be refused at different points depending on the cuts: zlib
    // checks a back-reference against its window *plus what the current inflate() call has written*, so a
    // distance past the negotiated window passes when one call has the data in hand and fails fed byte by
    // byte (tests/fuzz/README.md, "Found, not fixed"). So where either feeding found the stream corrupt, the
    // two may differ; any other difference (bytes, or ok against too big) is a bug.
    const bool corrupt_either = whole.result == InflateResult::corrupt || cut.result == InflateResult::corrupt;
    if (!(whole == cut) && !corrupt_either) fuzz::invariant_broken("whole and cut input inflate differently");

    // Round trip: our compressor, the peer's inflater (a window at least ours, as negotiated).
    for (const bool takeover : {false, true}) {
        MessageDeflater deflater(server_bits, !takeover);
        MessageInflater inflater(server_bits, !takeover);
        for (int message = 0; message < 2; ++message) {
            std::string compressed;
            if (!deflater.compress(data, compressed)) return 0;  // out of memory: nothing to check
            std::string back;
            const InflateResult result = inflater.inflate(compressed, true, back, data.size());
            if (result != InflateResult::ok || back != data) fuzz::invariant_broken("a compressed message did not inflate back");
        }
    }
    return 0;
}
