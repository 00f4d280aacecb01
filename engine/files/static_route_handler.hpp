#pragma once
// A Handler decorator for static-files routes: requests whose path lies under a route are answered right
// on the reactor thread from that route's StaticFiles mount (openat2 beneath the root, ETag/304, Range,
// zero-copy sendfile); every other request, and every other callback, goes to the wrapped handler unchanged.
// The Python servers wrap their bridge handler in it, so static files never reach Python. Several routes are
// tried longest first; an optional StaticAnswerObserver hears of each answer (the access log and metrics).
//
// A static request is answered inside on_request, before its body (if any) is read. The connection then
// reads and discards the rest of the body on its own (or closes after the response when the client waits for
// "100 Continue"), and never passes those bytes to a handler. So the wrapped handler sees no callback for
// static exchanges -- except, in the rare case that the connection is torn down while the answer is being
// queued, an on_abort for an id it never saw, which handlers already ignore like any stale id.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/handler.hpp"
#include "engine/static_routes.hpp"  // StaticMount, StaticAnswerObserver
#include "files/static_files.hpp"

namespace engine::files {

/// The route as the handler matches it: "/static" and "/static/" become "/static", "/" becomes "" (every
/// path). Throws std::invalid_argument with a one-line reason unless `route` starts with '/' and holds no
/// '?', '#', '%' or control characters (it is compared with the raw, still percent-encoded request path).
std::string normalize_route(std::string_view route);

/// The raw path below `prefix` (a normalize_route result) when `path` is the prefix itself or lies under it
/// on a segment boundary: "/static" -> "", "/static/a/b" -> "/a/b"; "/staticx" -> nullopt.
std::optional<std::string_view> path_below_route(std::string_view path, std::string_view prefix) noexcept;

/// `mounts` with every route normalized, longest route first (so "/static/img" is tried before "/static", and
/// "/" last); mounts of equal length keep their order. Throws std::invalid_argument with one line for a route
/// normalize_route refuses or one given twice ("/static" and "/static/" are the same route).
std::vector<StaticMount> longest_route_first(std::vector<StaticMount> mounts);

struct RouteMatch {
    std::size_t index;       ///< into the prefixes given to match_route
    std::string_view below;  ///< path_below_route of the request path
};

/// The first of `prefixes` (normalized, longest first: longest_route_first order) that claims `path`, i.e. the
/// longest route the path lies under on a segment boundary; nullopt when none does.
std::optional<RouteMatch> match_route(std::span<const std::string> prefixes, std::string_view path) noexcept;

/// The body bytes `part` sends to a client that asked with `request` (none for HEAD: the connection drops them).
std::uint64_t body_bytes_of(const ResponsePart &part, const Request &request) noexcept;

class StaticRouteHandler final : public Handler {
  public:
    /// Opens every mount (see StaticFiles: throws std::invalid_argument / std::runtime_error with one line when
    /// a route or its options cannot work, a root is not a readable directory, or a route is given twice).
    /// `mounts` must not be empty and `inner` must not be null.
    /// With an `observer`, each answered request is reported to it, which costs taking the request out of the
    /// exchange (the connection's next request then gets a fresh Request and storage: a few allocations); without
    /// one, a static request costs what it did before observers existed (one branch more).
    StaticRouteHandler(std::vector<StaticMount> mounts, std::shared_ptr<Handler> inner,
                       std::shared_ptr<StaticAnswerObserver> observer = nullptr);
    /// One mount.
    StaticRouteHandler(std::string_view route, StaticFilesOptions options, std::shared_ptr<Handler> inner);

    void on_request(Exchange &exchange) override;

    // Everything else belongs to the wrapped handler. Every Handler callback is listed here: one left out would
    // silently fall back to the base class's no-op.
    BodyFlow on_body(ExchangeId id, std::string_view data, bool last) override {
        return inner_->on_body(id, data, last);
    }
    void on_abort(ExchangeId id) override { inner_->on_abort(id); }
    void on_sent(ExchangeId id) override { inner_->on_sent(id); }
    MessageFlow on_ws_message(ExchangeId id, bool text, std::string_view payload) override {
        return inner_->on_ws_message(id, text, payload);
    }
    void on_ws_close(ExchangeId id, std::uint16_t code, std::string_view reason) override {
        inner_->on_ws_close(id, code, reason);
    }
    void on_batch_end(std::uint32_t reactor) override { inner_->on_batch_end(reactor); }

    /// The normalized routes, in the order they are tried.
    std::span<const std::string> prefixes() const noexcept { return prefixes_; }

  private:
    void answer_observed(Exchange &exchange, const StaticFiles &files, std::string_view below);

    // Parallel vectors: the request path is matched against the prefixes alone (contiguous strings), and
    // StaticFiles is neither copyable nor movable, so each mount lives behind its own pointer.
    std::vector<std::string> prefixes_;
    std::vector<std::unique_ptr<const StaticFiles>> files_;
    std::shared_ptr<Handler> inner_;
    std::shared_ptr<StaticAnswerObserver> observer_;  ///< may be null: nothing reported
};

} // namespace engine::files
