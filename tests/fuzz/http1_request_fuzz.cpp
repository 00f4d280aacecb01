// HTTP/1 requests with the default limits: the llhttp wrapper and the line and Host checks on any bytes,
// pipelined, cut at the points the input's first bytes choose (see take_cuts); the invariants are in
// check_stream.
#include "http1_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    std::string_view data(reinterpret_cast<const char *>(bytes), size);
    const auto cuts = fuzz::take_cuts(data);
    fuzz::check_stream(engine::Limits{}, data, cuts);
    return 0;
}
