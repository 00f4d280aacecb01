#include "files/static_route_handler.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace engine::files {

std::string normalize_route(std::string_view route) {
    if (route.empty() || route.front() != '/')
        throw std::invalid_argument(fmt::format("static route '{}' must start with '/'", route));
    for (const char c : route) {
        // The route is matched against the raw request path, so anything a client would have to escape, or that
        // ends the path, could never match as written.
        const auto byte = static_cast<unsigned char>(c);
        if (c == '?' || c == '#' || c == '%' || byte < 0x21 || byte == 0x7f)
            throw std::invalid_argument(
                fmt::format("static route '{}' must be a plain path (no spaces, '?', '#', '%' or control characters)",
                            route));
    }
    while (!route.empty() && route.back() == '/') route.remove_suffix(1);
    return std::string(route);
}

std::optional<std::string_view> path_below_route(std::string_view path, std::string_view prefix) noexcept {
    if (!path.starts_with(prefix)) return std::nullopt;
    std::string_view below = path.substr(prefix.size());
    // "/static" must not claim "/staticx": the prefix has to end where a path segment ends.
    if (!below.empty() && below.front() != '/') return std::nullopt;
    return below;
}

StaticRouteHandler::StaticRouteHandler(std::string_view route, StaticFilesOptions options,
                                       std::shared_ptr<Handler> inner)
    : prefix_(normalize_route(route)), files_(std::move(options)), inner_(std::move(inner)) {
    if (!inner_) throw std::invalid_argument("static route handler: no handler for the other requests");
}

void StaticRouteHandler::on_request(Exchange &exchange) {
    const Request &request = exchange.request();
    const std::optional<std::string_view> below = path_below_route(request.path, prefix_);
    if (!below) {
        inner_->on_request(exchange);
        return;
    }
    exchange.send(into_response(files_.answer(request, *below)));
}

} // namespace engine::files
