#include "core/buffer_ring.hpp"
#include "core/ring.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace engine::core;

// Needs a kernel that allows io_uring; skipped with the reason otherwise (never passes silently).
TEST_CASE("ring and provided-buffer ring: multishot recv picks buffers and they can be recycled") {
    Ring ring;
    std::string error;
    const int rc = ring.init(64, error);
    if (rc == -EPERM || rc == -ENOSYS) {
        MESSAGE("skipped: " << error);
        return;
    }
    REQUIRE_MESSAGE(rc == 0, error);

    BufferRing buffers;
    SUBCASE("count must be a power of two") {
        CHECK(buffers.init(ring.raw(), 3, 12, 256, error) == -EINVAL);
        CHECK(error.find("power of two") != std::string::npos);
    }
    SUBCASE("multishot recv fills buffers; recycled buffers are used again") {
        REQUIRE_MESSAGE(buffers.init(ring.raw(), 7, 2, 64, error) == 0, error);
        int pair[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
        io_uring_sqe *sqe = ring.sqe();
        io_uring_prep_recv_multishot(sqe, pair[0], nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = 7;
        io_uring_sqe_set_data64(sqe, 42);

        for (int round = 0; round < 5; ++round) {  // 5 messages through 2 buffers: recycling must work
            const std::string message = "message " + std::to_string(round);
            REQUIRE(::write(pair[1], message.data(), message.size()) == static_cast<ssize_t>(message.size()));
            io_uring_cqe *cqe = nullptr;
            REQUIRE(io_uring_submit_and_wait(ring.raw(), 1) >= 0);
            REQUIRE(io_uring_peek_cqe(ring.raw(), &cqe) == 0);
            REQUIRE_MESSAGE(cqe->res > 0, "recv failed: " << std::strerror(-cqe->res));
            CHECK((cqe->flags & IORING_CQE_F_BUFFER) != 0);
            CHECK((cqe->flags & IORING_CQE_F_MORE) != 0);
            const std::uint16_t id = buffer_id_of(cqe->flags);
            CHECK(buffers.data(id, static_cast<std::size_t>(cqe->res)) == message);
            io_uring_cqe_seen(ring.raw(), cqe);
            buffers.recycle(id);
            buffers.commit();
        }
        ::close(pair[0]);
        ::close(pair[1]);
    }
}
