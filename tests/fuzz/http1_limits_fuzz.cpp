// Header and limit handling: the parser with small limits chosen by the input's first four bytes (after the
// split plan), so that 414, 431 and 413 are reached at every boundary; accepted requests must keep them.
#include "http1_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    std::string_view data(reinterpret_cast<const char *>(bytes), size);
    if (data.size() < 4) return 0;
    engine::Limits limits;
    limits.max_request_line = 4 + static_cast<unsigned char>(data[0]);
    limits.max_header_bytes = 8 + 2 * static_cast<std::size_t>(static_cast<unsigned char>(data[1]));
    limits.max_header_count = static_cast<unsigned char>(data[2]) % 16;
    limits.max_body_bytes = static_cast<unsigned char>(data[3]);  // 0: unlimited
    data.remove_prefix(4);
    const auto cuts = fuzz::take_cuts(data);
    const auto outcome = fuzz::check_stream(limits, data, cuts);
    for (const auto &message : outcome.messages) {
        if (message.headers.size() > limits.max_header_count)
            fuzz::invariant_broken("a request with more header fields than max_header_count");
        // The request line is method SP target SP "HTTP/x.y".
        if (message.method.size() + message.target.size() + 10 > limits.max_request_line)
            fuzz::invariant_broken("a request line past max_request_line");
        if (limits.max_body_bytes != 0 && message.body.size() > limits.max_body_bytes)
            fuzz::invariant_broken("a body past max_body_bytes");
    }
    return 0;
}
