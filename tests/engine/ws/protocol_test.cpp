#include "ws/protocol.hpp"

#include <doctest/doctest.h>

using engine::ws::is_control;
using engine::ws::is_known_opcode;
using engine::ws::is_valid_close_code;
using engine::ws::Opcode;

TEST_CASE("opcodes: known and control") {
    for (int raw = 0; raw < 16; ++raw) {
        CAPTURE(raw);
        CHECK(is_known_opcode(static_cast<std::uint8_t>(raw)) == (raw <= 2 || (raw >= 8 && raw <= 10)));
    }
    CHECK(is_control(Opcode::close));
    CHECK(is_control(Opcode::ping));
    CHECK(is_control(Opcode::pong));
    CHECK_FALSE(is_control(Opcode::text));
    CHECK_FALSE(is_control(Opcode::continuation));
}

TEST_CASE("close codes a peer may send (RFC 6455 7.4)") {
    int valid = 0;
    for (int code = 0; code < 65536; ++code)
        if (is_valid_close_code(static_cast<std::uint16_t>(code))) ++valid;
    CHECK(valid == 4 + 8 + 2000);  // 1000-1003, 1007-1014, 3000-4999
    CHECK_FALSE(is_valid_close_code(1004));
    CHECK_FALSE(is_valid_close_code(1005));
    CHECK_FALSE(is_valid_close_code(1006));
    CHECK_FALSE(is_valid_close_code(1015));
    CHECK(is_valid_close_code(1014));
    CHECK_FALSE(is_valid_close_code(2999));
    CHECK_FALSE(is_valid_close_code(5000));
}
