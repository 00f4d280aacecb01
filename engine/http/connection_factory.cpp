#include "http/connection_factory.hpp"

#include "http/connection.hpp"

namespace engine::http {

std::unique_ptr<core::Stream> ConnectionFactory::make_stream(core::StreamHost &host, std::uint32_t slot) {
    return std::make_unique<Connection>(host, *this, slot);
}

} // namespace engine::http
