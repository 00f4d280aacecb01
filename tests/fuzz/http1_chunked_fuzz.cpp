// Chunked request bodies and trailers: the input (after its split plan) follows a fixed chunked POST head,
// so every mutation lands in chunk-size lines, extensions, data, CRLFs and trailer fields.
#include "http1_driver.hpp"

namespace {
constexpr std::string_view chunked_head = "POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    std::string_view body(reinterpret_cast<const char *>(bytes), size);
    auto cuts = fuzz::take_cuts(body);
    const std::string stream = std::string(chunked_head) + std::string(body);
    for (auto &cut : cuts) cut += chunked_head.size();
    engine::Limits limits;
    limits.max_body_bytes = 4096;  // so that the 413 path is reached by small inputs too
    const auto outcome = fuzz::check_stream(limits, stream, cuts);
    for (const auto &message : outcome.messages) {
        // De-chunking only ever removes framing: the body is never larger than the bytes it came from.
        if (message.body.size() > body.size()) fuzz::invariant_broken("a de-chunked body larger than its input");
        if (message.body.size() > limits.max_body_bytes) fuzz::invariant_broken("a body past max_body_bytes");
    }
    return 0;
}
