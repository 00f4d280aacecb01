#include "core/user_data.hpp"

#include <doctest/doctest.h>

using namespace engine::core;

TEST_CASE("user_data round-trips op, slot and generation") {
    SUBCASE("typical values") {
        const UserData decoded = decode_user_data(encode_user_data(Op::recv, 1234, 77));
        CHECK(decoded.op == Op::recv);
        CHECK(decoded.slot == 1234);
        CHECK(decoded.generation == 77);
    }
    SUBCASE("slot uses all 32 bits; generation keeps its low 24 bits") {
        const UserData decoded = decode_user_data(encode_user_data(Op::send_zc, 0xffffffffu, 0x12345678u));
        CHECK(decoded.op == Op::send_zc);
        CHECK(decoded.slot == 0xffffffffu);
        CHECK(decoded.generation == 0x345678u);
    }
    SUBCASE("different generations give different user_data for the same slot") {
        CHECK(encode_user_data(Op::recv, 5, 1) != encode_user_data(Op::recv, 5, 2));
    }
}
