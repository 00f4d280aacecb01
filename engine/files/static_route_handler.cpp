#include "files/static_route_handler.hpp"

#include <fmt/format.h>

#include <algorithm>
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

std::vector<StaticMount> longest_route_first(std::vector<StaticMount> mounts) {
    for (StaticMount &mount : mounts) mount.route = normalize_route(mount.route);
    std::stable_sort(mounts.begin(), mounts.end(), [](const StaticMount &left, const StaticMount &right) {
        return left.route.size() > right.route.size();
    });
    for (std::size_t i = 1; i < mounts.size(); ++i)
        if (mounts[i].route == mounts[i - 1].route)
            throw std::invalid_argument(fmt::format("static route '{}' is given more than once",
                                                    mounts[i].route.empty() ? "/" : mounts[i].route));
    return mounts;
}

std::optional<RouteMatch> match_route(std::span<const std::string> prefixes, std::string_view path) noexcept {
    // Longest first, so the first hit is the most specific route. A handful of routes at most: a linear scan of
    // starts_with beats any tree here, and with one route it is exactly the single comparison it always was.
    for (std::size_t i = 0; i < prefixes.size(); ++i)
        if (const std::optional<std::string_view> below = path_below_route(path, prefixes[i]))
            return RouteMatch{i, *below};
    return std::nullopt;
}

StaticRouteHandler::StaticRouteHandler(std::vector<StaticMount> mounts, std::shared_ptr<Handler> inner)
    : inner_(std::move(inner)) {
    if (!inner_) throw std::invalid_argument("static route handler: no handler for the other requests");
    if (mounts.empty()) throw std::invalid_argument("static route handler: no static route");
    mounts = longest_route_first(std::move(mounts));
    prefixes_.reserve(mounts.size());
    files_.reserve(mounts.size());
    for (StaticMount &mount : mounts) {
        prefixes_.push_back(std::move(mount.route));
        files_.push_back(std::make_unique<const StaticFiles>(std::move(mount.options)));
    }
}

StaticRouteHandler::StaticRouteHandler(std::string_view route, StaticFilesOptions options,
                                       std::shared_ptr<Handler> inner)
    : StaticRouteHandler(std::vector<StaticMount>{StaticMount{std::string(route), std::move(options)}},
                         std::move(inner)) {}

void StaticRouteHandler::on_request(Exchange &exchange) {
    const Request &request = exchange.request();
    const std::optional<RouteMatch> match = match_route(prefixes_, request.path);
    if (!match) {
        inner_->on_request(exchange);
        return;
    }
    exchange.send(into_response(files_[match->index]->answer(request, match->below)));
}

} // namespace engine::files
