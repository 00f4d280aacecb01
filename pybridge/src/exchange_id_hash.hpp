#pragma once
// The hash of engine::ExchangeId for the servers' tables of live exchanges (ASGI and WSGI).

#include <cstddef>

#include "engine/handler.hpp"

namespace bridge {

struct ExchangeIdHash {
    std::size_t operator()(const engine::ExchangeId &id) const noexcept {
        return (std::size_t{id.reactor} << 56) ^ (std::size_t{id.slot} << 32) ^ id.generation;
    }
};

} // namespace bridge
