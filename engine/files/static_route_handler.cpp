#include "files/static_route_handler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>
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

std::uint64_t body_bytes_of(const ResponsePart &part, const Request &request) noexcept {
    if (request.is_head) return 0;
    if (const auto *text = std::get_if<std::string>(&part.body)) return text->size();
    if (const auto *file = std::get_if<FileRegion>(&part.body)) return file->length;
    if (const auto *buffer = std::get_if<ExternalBuffer>(&part.body)) return buffer->size;
    return 0;
}

StaticRouteHandler::StaticRouteHandler(std::vector<StaticMount> mounts, std::shared_ptr<Handler> inner,
                                       std::shared_ptr<StaticAnswerObserver> observer)
    : inner_(std::move(inner)), observer_(std::move(observer)) {
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

std::shared_ptr<Handler> make_static_route_handler(std::vector<StaticMount> mounts, std::shared_ptr<Handler> inner,
                                                   std::shared_ptr<StaticAnswerObserver> observer) {
    return std::make_shared<StaticRouteHandler>(std::move(mounts), std::move(inner), std::move(observer));
}

void StaticRouteHandler::on_request(Exchange &exchange) {
    const Request &request = exchange.request();
    const std::optional<RouteMatch> match = match_route(prefixes_, request.path);
    if (!match) {
        inner_->on_request(exchange);
        return;
    }
    const StaticFiles &files = *files_[match->index];
    if (observer_) {
        answer_observed(exchange, files, match->below);
        return;
    }
    exchange.send(into_response(files.answer(request, match->below)));
}

void StaticRouteHandler::answer_observed(Exchange &exchange, const StaticFiles &files, std::string_view below) {
    const auto started = std::chrono::steady_clock::now();
    const ExchangeId id = exchange.id();
    // Taken first, so the observer can own it afterwards: the Request object moves as a pointer, so `below` (a
    // view into its storage) stays valid.
    std::unique_ptr<Request> request = exchange.take_request();
    ResponsePart part = into_response(files.answer(*request, below));
    const std::uint16_t status = part.head ? part.head->status : 0;
    const std::uint64_t body_bytes = body_bytes_of(part, *request);
    exchange.send(std::move(part));
    observer_->on_static_answer(id, std::move(request), status, body_bytes,
                                std::chrono::steady_clock::now() - started);
}

} // namespace engine::files
