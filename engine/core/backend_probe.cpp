#include "core/backend_probe.hpp"

#include "core/buffer_ring.hpp"
#include "core/ring.hpp"
#include "engine/server.hpp"

#include <fmt/format.h>
#include <liburing.h>

#include <memory>

namespace engine::core {

namespace {

struct RequiredOp {
    int opcode;
    const char *name;
};

// Everything a reactor submits. SEND_ZC (Linux 6.0) also stands for what has no opcode of its own
// but arrived in the same releases: multishot accept (5.19) and multishot recv (6.0).
constexpr RequiredOp required_ops[] = {
    {IORING_OP_ACCEPT, "ACCEPT"},   {IORING_OP_RECV, "RECV"},           {IORING_OP_SEND, "SEND"},
    {IORING_OP_SENDMSG, "SENDMSG"}, {IORING_OP_SEND_ZC, "SEND_ZC"},     {IORING_OP_SENDMSG_ZC, "SENDMSG_ZC"},
    {IORING_OP_READ, "READ"},       {IORING_OP_POLL_ADD, "POLL_ADD"},   {IORING_OP_TIMEOUT, "TIMEOUT"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
};

struct ProbeDeleter {
    void operator()(io_uring_probe *probe) const noexcept { io_uring_free_probe(probe); }
};

} // namespace

std::string probe_io_uring(const ServerConfig &config) {
    std::string error;
    Ring ring;
    if (ring.init(config.ring_entries, error) < 0) return error;
    std::unique_ptr<io_uring_probe, ProbeDeleter> probe(io_uring_get_probe_ring(ring.raw()));
    if (!probe) return "io_uring has no opcode probe (IORING_REGISTER_PROBE): this kernel is too old";
    for (const RequiredOp &op : required_ops)
        if (!io_uring_opcode_supported(probe.get(), op.opcode))
            return fmt::format("this kernel's io_uring lacks IORING_OP_{} (Linux 6.0 or newer is needed)", op.name);
    // A small provided-buffer ring of the kind every reactor registers (a separate feature, 5.19).
    BufferRing buffers;
    if (buffers.init(ring.raw(), 0, 8, 4096, error) < 0) return error;
    return {};
}

BackendChoice choose_io_backend(const ServerConfig &config) {
    if (config.io_backend == IoBackendKind::epoll) return {IoBackendKind::epoll, {}};
    std::string reason = probe_io_uring(config);
    if (reason.empty()) return {IoBackendKind::io_uring, {}};
    if (config.io_backend == IoBackendKind::io_uring) throw StartupError(reason);
    return {IoBackendKind::epoll, std::move(reason)};
}

} // namespace engine::core
