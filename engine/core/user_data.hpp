#pragma once
// The only place that encodes or decodes io_uring user_data.
//
// Bit layout (64 bits):
//   [ 0.. 7]  Op            what completed
//   [ 8..31]  generation    low 24 bits of the connection slot's generation (catches stale CQEs in debug)
//   [32..63]  slot          connection slot, or listener index for accepts
// Unlike liburing's proxy example we never squeeze file descriptors into these bits.

#include <cstdint>

namespace engine::core {

enum class Op : std::uint8_t {
    none = 0,
    accept,      ///< multishot accept; slot = listener index
    recv,        ///< multishot recv into the provided-buffer ring
    send,        ///< send/sendmsg of queued output
    send_zc,     ///< zero-copy sendmsg: a result CQE, then a notification CQE (F_NOTIF)
    writable,    ///< POLLOUT: the socket has room again for a file response (sendfile)
    cancel,      ///< cancel requests we issued; result ignored
    wake,        ///< eventfd read: the inbox has commands
    tick,        ///< timer-wheel tick (a timeout SQE, armed only while timers exist)
};

struct UserData {
    Op op = Op::none;
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;  ///< 24 bits
};

constexpr std::uint64_t encode_user_data(Op op, std::uint32_t slot, std::uint32_t generation) noexcept {
    return static_cast<std::uint64_t>(op) | (static_cast<std::uint64_t>(generation & 0xffffffu) << 8) |
           (static_cast<std::uint64_t>(slot) << 32);
}

constexpr UserData decode_user_data(std::uint64_t data) noexcept {
    return UserData{static_cast<Op>(data & 0xffu), static_cast<std::uint32_t>(data >> 32),
                    static_cast<std::uint32_t>((data >> 8) & 0xffffffu)};
}

} // namespace engine::core
