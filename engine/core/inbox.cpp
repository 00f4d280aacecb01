#include "core/inbox.hpp"

#include <unistd.h>

namespace engine::core {

std::size_t body_size(const Body &body) noexcept {
    if (const auto *owned = std::get_if<std::string>(&body)) return owned->size();
    if (const auto *external = std::get_if<ExternalBuffer>(&body)) return external->size;
    if (const auto *file = std::get_if<FileRegion>(&body)) return file->length;
    return 0;
}

void release_body(Body &body) noexcept {
    if (auto *external = std::get_if<ExternalBuffer>(&body)) {
        give_back(*external);
    } else if (auto *file = std::get_if<FileRegion>(&body)) {
        if (file->fd >= 0) ::close(file->fd);
    }
    body = std::monostate{};
}

void release_command(Command &command) noexcept {
    release_body(command.part.body);
    release_body(command.websocket_outbound.payload);
}

} // namespace engine::core
