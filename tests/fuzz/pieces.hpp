#pragma once
// What every fuzz target shares: the split plan at the front of an input (so libFuzzer also mutates where a
// stream is cut, as recv buffers cut it), feeding the pieces, and reporting a broken invariant.

#include <cstddef>
#include <string_view>
#include <vector>

namespace fuzz {

/// Takes the split plan from the front of a fuzz input: byte 0's high bit cuts after every byte, else its low
/// four bits say how many of the following bytes are cut positions (each a fraction of the rest, /256).
/// Returns the cuts and removes the plan bytes from `data`.
std::vector<std::size_t> take_cuts(std::string_view &data);

/// Calls `feed` with the pieces of `data` that `cuts` (ascending offsets) makes, in order; no cuts: one piece.
template <typename Feed> void for_each_piece(std::string_view data, const std::vector<std::size_t> &cuts, Feed &&feed) {
    std::size_t begin = 0;
    for (std::size_t piece = 0; piece <= cuts.size(); ++piece) {
        const std::size_t end = piece < cuts.size() ? cuts[piece] : data.size();
        feed(data.substr(begin, end - begin));
        begin = end;
    }
}

/// Prints a finding to stderr and aborts, so libFuzzer keeps the input as a crash file.
[[noreturn]] void invariant_broken(const char *what);

} // namespace fuzz
