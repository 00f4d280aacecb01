#include "pieces.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fuzz {

std::vector<std::size_t> take_cuts(std::string_view &data) {
    std::vector<std::size_t> cuts;
    if (data.empty()) return cuts;
    const auto plan = static_cast<unsigned char>(data[0]);
    data.remove_prefix(1);
    if (plan & 0x80) {
        for (std::size_t i = 1; i < data.size(); ++i) cuts.push_back(i);
        return cuts;
    }
    std::size_t count = plan & 0x0f;
    if (count > data.size()) count = data.size();
    const std::string_view fractions = data.substr(0, count);
    data.remove_prefix(count);
    for (const char fraction : fractions) cuts.push_back(static_cast<unsigned char>(fraction) * data.size() / 256);
    std::sort(cuts.begin(), cuts.end());
    return cuts;
}

void invariant_broken(const char *what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

} // namespace fuzz
