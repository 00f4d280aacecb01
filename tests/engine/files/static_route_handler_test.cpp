#include "files/static_route_handler.hpp"

#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scratch_directory.hpp"

using engine::files::longest_route_first;
using engine::files::match_route;
using engine::files::normalize_route;
using engine::files::path_below_route;
using engine::files::StaticFilesOptions;
using engine::files::StaticMount;
using engine::files::StaticRouteHandler;
using engine::files::testing::ScratchDirectory;
using engine::files::testing::write_file;

namespace {

/// An exchange as the connection would present it during on_request; keeps what was sent.
class RecordingExchange final : public engine::Exchange {
  public:
    explicit RecordingExchange(std::string_view method, std::string_view path) {
        request_.method = method;
        request_.is_head = method == "HEAD";
        request_.path = path;
        request_.target = path;
    }
    ~RecordingExchange() override {
        for (auto &part : sent)
            if (auto *file = std::get_if<engine::FileRegion>(&part.body); file && file->fd >= 0) close(file->fd);
    }
    engine::ExchangeId id() const noexcept override { return {0, 7, 1}; }
    const engine::Request &request() const noexcept override { return request_; }
    std::unique_ptr<engine::Request> take_request() noexcept override {
        return std::make_unique<engine::Request>(request_);
    }
    void send(engine::ResponsePart &&part) override { sent.push_back(std::move(part)); }

    std::vector<engine::ResponsePart> sent;

  private:
    engine::Request request_;
};

/// The wrapped handler: counts what reaches it.
struct CountingHandler final : engine::Handler {
    void on_request(engine::Exchange &) override { ++requests; }
    engine::BodyFlow on_body(engine::ExchangeId, std::string_view, bool) override {
        ++bodies;
        return engine::BodyFlow::pause;
    }
    void on_abort(engine::ExchangeId) override { ++aborts; }
    void on_sent(engine::ExchangeId) override { ++sent; }
    engine::MessageFlow on_ws_message(engine::ExchangeId, bool, std::string_view) override {
        ++messages;
        return engine::MessageFlow::pause;
    }
    void on_ws_close(engine::ExchangeId, std::uint16_t, std::string_view) override { ++closes; }
    void on_batch_end(std::uint32_t) override { ++batch_ends; }
    int requests = 0, bodies = 0, aborts = 0, sent = 0, messages = 0, closes = 0, batch_ends = 0;
};

struct Mount {
    ScratchDirectory scratch;
    std::shared_ptr<CountingHandler> inner = std::make_shared<CountingHandler>();
    Mount() { write_file(scratch.path() / "app.js", "console.log(1);\n"); }
    StaticRouteHandler handler(std::string_view route = "/static") const {
        StaticFilesOptions options;
        options.root = scratch.path().string();
        options.index_file = "";
        options.expires_seconds = 60;
        return StaticRouteHandler(route, options, inner);
    }
};

} // namespace

TEST_CASE("normalize_route") {
    CHECK(normalize_route("/static") == "/static");
    CHECK(normalize_route("/static/") == "/static");
    CHECK(normalize_route("/a/b//") == "/a/b");
    CHECK(normalize_route("/") == "");
    CHECK_THROWS_AS(normalize_route(""), std::invalid_argument);
    CHECK_THROWS_WITH_AS(normalize_route("static"), doctest::Contains("must start with '/'"), std::invalid_argument);
    CHECK_THROWS_AS(normalize_route("/sta tic"), std::invalid_argument);
    CHECK_THROWS_AS(normalize_route("/static?x"), std::invalid_argument);
    CHECK_THROWS_AS(normalize_route("/st%61tic"), std::invalid_argument);
}

TEST_CASE("path_below_route: segment boundaries") {
    CHECK(path_below_route("/static", "/static") == "");
    CHECK(path_below_route("/static/", "/static") == "/");
    CHECK(path_below_route("/static/a/b.css", "/static") == "/a/b.css");
    CHECK_FALSE(path_below_route("/staticx", "/static"));
    CHECK_FALSE(path_below_route("/staticx/a", "/static"));
    CHECK_FALSE(path_below_route("/stat", "/static"));
    CHECK_FALSE(path_below_route("/other/static/a", "/static"));
    CHECK_FALSE(path_below_route("*", "/static"));
    SUBCASE("the root route takes every absolute path") {
        CHECK(path_below_route("/a.js", "") == "/a.js");
        CHECK(path_below_route("/", "") == "/");
        CHECK_FALSE(path_below_route("*", ""));
    }
}

TEST_CASE("StaticRouteHandler: static requests are answered here, the rest go to the inner handler") {
    Mount mount;
    StaticRouteHandler handler = mount.handler("/static/");
    REQUIRE(handler.prefixes().size() == 1);
    CHECK(handler.prefixes()[0] == "/static");

    RecordingExchange file("GET", "/static/app.js");
    handler.on_request(file);
    REQUIRE(file.sent.size() == 1);
    const engine::ResponsePart &part = file.sent.front();
    REQUIRE(part.head);
    CHECK(part.head->status == 200);
    CHECK(part.end);
    CHECK(part.head->header_lines.find("Cache-Control: max-age=60\r\n") != std::string::npos);
    REQUIRE(std::holds_alternative<engine::FileRegion>(part.body));
    CHECK(std::get<engine::FileRegion>(part.body).length == 16);

    RecordingExchange missing("GET", "/static/nope.js");
    handler.on_request(missing);
    REQUIRE(missing.sent.size() == 1);
    CHECK(missing.sent.front().head->status == 404);
    CHECK(std::get<std::string>(missing.sent.front().body) == "Not Found\n");

    RecordingExchange traversal("GET", "/static/%2e%2e/etc/passwd");
    handler.on_request(traversal);
    REQUIRE(traversal.sent.size() == 1);
    CHECK(traversal.sent.front().head->status == 404);

    RecordingExchange post("POST", "/static/app.js");
    handler.on_request(post);
    REQUIRE(post.sent.size() == 1);
    CHECK(post.sent.front().head->status == 405);
    CHECK(post.sent.front().head->header_lines.find("Allow: GET, HEAD\r\n") != std::string::npos);

    CHECK(mount.inner->requests == 0);

    RecordingExchange app("GET", "/staticx/app.js");
    handler.on_request(app);
    CHECK(app.sent.empty());
    RecordingExchange root("GET", "/");
    handler.on_request(root);
    CHECK(root.sent.empty());
    CHECK(mount.inner->requests == 2);
}

TEST_CASE("StaticRouteHandler: every other callback reaches the inner handler with its answer") {
    Mount mount;
    StaticRouteHandler handler = mount.handler();
    const engine::ExchangeId id{1, 2, 3};
    CHECK(handler.on_body(id, "x", false) == engine::BodyFlow::pause);
    handler.on_abort(id);
    handler.on_sent(id);
    CHECK(handler.on_ws_message(id, true, "hi") == engine::MessageFlow::pause);
    handler.on_ws_close(id, 1000, "");
    handler.on_batch_end(0);
    const CountingHandler &inner = *mount.inner;
    CHECK(inner.bodies == 1);
    CHECK(inner.aborts == 1);
    CHECK(inner.sent == 1);
    CHECK(inner.messages == 1);
    CHECK(inner.closes == 1);
    CHECK(inner.batch_ends == 1);
}

TEST_CASE("StaticRouteHandler: construction errors") {
    Mount mount;
    StaticFilesOptions options;
    options.root = (mount.scratch.path() / "missing").string();
    CHECK_THROWS_WITH_AS(StaticRouteHandler("/static", options, mount.inner), doctest::Contains("missing"),
                         std::runtime_error);
    options.root = mount.scratch.path().string();
    CHECK_THROWS_AS(StaticRouteHandler("static", options, mount.inner), std::invalid_argument);
    CHECK_THROWS_AS(StaticRouteHandler("/static", options, nullptr), std::invalid_argument);
}

namespace {

std::vector<StaticMount> mounts_at(std::initializer_list<const char *> routes) {
    std::vector<StaticMount> mounts;
    for (const char *route : routes) mounts.push_back(StaticMount{route, StaticFilesOptions{std::string(route)}});
    return mounts;
}

std::vector<std::string> routes_of(const std::vector<StaticMount> &mounts) {
    std::vector<std::string> routes;
    for (const StaticMount &mount : mounts) routes.push_back(mount.route);
    return routes;
}

} // namespace

TEST_CASE("longest_route_first") {
    SUBCASE("normalized, longest first, equal lengths in the order given") {
        const auto mounts = longest_route_first(mounts_at({"/", "/static/", "/static/img", "/media", "/assets"}));
        CHECK(routes_of(mounts) == std::vector<std::string>{"/static/img", "/static", "/assets", "/media", ""});
        // Each options value travels with its own route.
        CHECK(mounts[0].options.root == "/static/img");
        CHECK(mounts[1].options.root == "/static/");
        CHECK(mounts[4].options.root == "/");
    }
    SUBCASE("a route given twice, in any spelling, is one clear error") {
        CHECK_THROWS_WITH_AS(longest_route_first(mounts_at({"/static", "/media", "/static/"})),
                             "static route '/static' is given more than once", std::invalid_argument);
        CHECK_THROWS_WITH_AS(longest_route_first(mounts_at({"/", "//"})), "static route '/' is given more than once",
                             std::invalid_argument);
    }
    SUBCASE("a bad route among good ones") {
        CHECK_THROWS_WITH_AS(longest_route_first(mounts_at({"/static", "media"})),
                             doctest::Contains("must start with '/'"), std::invalid_argument);
    }
}

TEST_CASE("match_route: the longest route on a segment boundary") {
    const std::vector<std::string> prefixes{"/static/img", "/static", "/media", ""};
    auto matched = [&](std::string_view path) -> std::pair<std::size_t, std::string_view> {
        const auto match = match_route(prefixes, path);
        REQUIRE(match);
        return {match->index, match->below};
    };
    CHECK(matched("/static/img/a.png") == std::pair<std::size_t, std::string_view>{0, "/a.png"});
    CHECK(matched("/static/img") == std::pair<std::size_t, std::string_view>{0, ""});
    CHECK(matched("/static/imgx/a.png") == std::pair<std::size_t, std::string_view>{1, "/imgx/a.png"});
    CHECK(matched("/static/a.css") == std::pair<std::size_t, std::string_view>{1, "/a.css"});
    CHECK(matched("/media/v.mp4") == std::pair<std::size_t, std::string_view>{2, "/v.mp4"});
    CHECK(matched("/staticfoo") == std::pair<std::size_t, std::string_view>{3, "/staticfoo"});
    CHECK(matched("/") == std::pair<std::size_t, std::string_view>{3, "/"});
    CHECK_FALSE(match_route(prefixes, "*"));
    SUBCASE("without a root route the rest matches nothing") {
        const std::vector<std::string> two{"/static/img", "/static"};
        CHECK_FALSE(match_route(two, "/staticfoo"));
        CHECK_FALSE(match_route(two, "/media/v.mp4"));
        CHECK_FALSE(match_route(two, "/"));
        CHECK_FALSE(match_route(std::span<const std::string>{}, "/static"));
    }
}

TEST_CASE("StaticRouteHandler: several mounts, each request answered from its longest route's directory") {
    ScratchDirectory scratch;
    std::filesystem::create_directories(scratch.path() / "outer" / "img");
    std::filesystem::create_directories(scratch.path() / "inner");
    write_file(scratch.path() / "outer" / "where.txt", "outer\n");
    write_file(scratch.path() / "outer" / "img" / "only-outer.txt", "outer img\n");
    write_file(scratch.path() / "inner" / "where.txt", "inner\n");
    auto inner = std::make_shared<CountingHandler>();
    auto mount = [&](const char *route, const char *directory) {
        StaticFilesOptions options;
        options.root = (scratch.path() / directory).string();
        options.index_file = "";
        return StaticMount{route, options};
    };
    // Given shortest first: the handler must still try /static/img before /static.
    StaticRouteHandler handler({mount("/static", "outer"), mount("/static/img", "inner")}, inner);
    CHECK(std::vector<std::string>(handler.prefixes().begin(), handler.prefixes().end()) ==
          std::vector<std::string>{"/static/img", "/static"});

    auto body_of = [&](std::string_view path) -> std::pair<int, std::string> {
        RecordingExchange exchange("GET", path);
        handler.on_request(exchange);
        REQUIRE(exchange.sent.size() == 1);
        const engine::ResponsePart &part = exchange.sent.front();
        if (const auto *file = std::get_if<engine::FileRegion>(&part.body)) {
            std::string text(file->length, '\0');
            REQUIRE(pread(file->fd, text.data(), text.size(), static_cast<off_t>(file->offset)) ==
                    static_cast<ssize_t>(text.size()));
            return {part.head->status, text};
        }
        return {part.head->status, std::get<std::string>(part.body)};
    };
    CHECK(body_of("/static/where.txt") == std::pair<int, std::string>{200, "outer\n"});
    CHECK(body_of("/static/img/where.txt") == std::pair<int, std::string>{200, "inner\n"});
    // The longer route owns everything below it: its directory lacks the file, so 404, not the outer one's.
    CHECK(body_of("/static/img/only-outer.txt").first == 404);
    CHECK(body_of("/static/imgx").first == 404);  // /static's, which has no such file
    CHECK(inner->requests == 0);
    RecordingExchange app("GET", "/staticfoo/where.txt");
    handler.on_request(app);
    CHECK(app.sent.empty());
    CHECK(inner->requests == 1);

    CHECK_THROWS_AS(StaticRouteHandler(std::vector<StaticMount>{}, inner), std::invalid_argument);
    CHECK_THROWS_WITH_AS(StaticRouteHandler({mount("/a", "outer"), mount("/a/", "inner")}, inner),
                         doctest::Contains("more than once"), std::invalid_argument);
}

namespace {

struct RecordingObserver final : engine::files::StaticAnswerObserver {
    struct Record {
        engine::ExchangeId id;
        std::unique_ptr<engine::Request> request;
        std::uint16_t status;
        std::uint64_t body_bytes;
    };
    void on_static_answer(engine::ExchangeId id, std::unique_ptr<engine::Request> request, std::uint16_t status,
                          std::uint64_t body_bytes, std::chrono::nanoseconds elapsed) override {
        CHECK(elapsed.count() >= 0);
        records.push_back(Record{id, std::move(request), status, body_bytes});
    }
    std::vector<Record> records;
};

} // namespace

TEST_CASE("StaticRouteHandler: an observer hears of every static answer, and of nothing else") {
    Mount mount;
    StaticFilesOptions options;
    options.root = mount.scratch.path().string();
    options.index_file = "";
    auto observer = std::make_shared<RecordingObserver>();
    StaticRouteHandler handler(std::vector<StaticMount>{StaticMount{"/static", options}}, mount.inner, observer);

    RecordingExchange file("GET", "/static/app.js");
    handler.on_request(file);
    RecordingExchange head("HEAD", "/static/app.js");
    handler.on_request(head);
    RecordingExchange missing("GET", "/static/nope.js");
    handler.on_request(missing);
    RecordingExchange app("GET", "/other");
    handler.on_request(app);

    CHECK(file.sent.size() == 1);  // still answered as without an observer
    REQUIRE(observer->records.size() == 3);
    const auto &served = observer->records[0];
    CHECK(served.id.slot == 7);
    REQUIRE(served.request);
    CHECK(served.request->path == "/static/app.js");
    CHECK(served.status == 200);
    CHECK(served.body_bytes == 16);
    CHECK(observer->records[1].status == 200);
    CHECK(observer->records[1].body_bytes == 0);  // HEAD: no body goes out
    CHECK(observer->records[2].status == 404);
    CHECK(observer->records[2].body_bytes == std::string_view("Not Found\n").size());
    CHECK(mount.inner->requests == 1);
}
