// http::Connection speaking HTTP/2 under the fake host: an nghttp2 client session makes the frames and reads the
// server's, so the protocol is checked end to end without sockets, on the fake clock.

#include "http/connection.hpp"

#include "connection_client.hpp"

#include <nghttp2/nghttp2.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace engine::test;

namespace {

/// A client side of HTTP/2 made with nghttp2: requests out, responses in.
class H2Peer {
  public:
    struct Response {
        std::string status;
        std::string body;
        bool ended = false;
        std::uint32_t reset = 0;
    };

    H2Peer() {
        nghttp2_session_callbacks *callbacks = nullptr;
        REQUIRE(nghttp2_session_callbacks_new(&callbacks) == 0);
        nghttp2_session_callbacks_set_on_header_callback(
            callbacks, [](nghttp2_session *, const nghttp2_frame *frame, const std::uint8_t *name,
                          std::size_t name_size, const std::uint8_t *value, std::size_t value_size, std::uint8_t,
                          void *self) {
                if (std::string_view(reinterpret_cast<const char *>(name), name_size) == ":status")
                    static_cast<H2Peer *>(self)->responses[frame->hd.stream_id].status.assign(
                        reinterpret_cast<const char *>(value), value_size);
                return 0;
            });
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
            callbacks, [](nghttp2_session *, std::uint8_t, std::int32_t stream_id, const std::uint8_t *data,
                          std::size_t length, void *self) {
                static_cast<H2Peer *>(self)->responses[stream_id].body.append(reinterpret_cast<const char *>(data),
                                                                              length);
                return 0;
            });
        nghttp2_session_callbacks_set_on_frame_recv_callback(
            callbacks, [](nghttp2_session *, const nghttp2_frame *frame, void *self) {
                auto &peer = *static_cast<H2Peer *>(self);
                if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) peer.responses[frame->hd.stream_id].ended = true;
                if (frame->hd.type == NGHTTP2_GOAWAY) peer.goaway = frame->goaway.error_code;
                if (frame->hd.type == NGHTTP2_RST_STREAM)
                    peer.responses[frame->hd.stream_id].reset = frame->rst_stream.error_code;
                return 0;
            });
        REQUIRE(nghttp2_session_client_new(&session, callbacks, this) == 0);
        nghttp2_session_callbacks_del(callbacks);
        REQUIRE(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0) == 0);
    }
    ~H2Peer() { nghttp2_session_del(session); }
    H2Peer(const H2Peer &) = delete;
    H2Peer &operator=(const H2Peer &) = delete;

    std::int32_t request(std::string_view method, std::string_view path, const nghttp2_data_provider *body = nullptr) {
        const auto nv = [](std::string_view name, std::string_view value) {
            return nghttp2_nv{reinterpret_cast<std::uint8_t *>(const_cast<char *>(name.data())),
                              reinterpret_cast<std::uint8_t *>(const_cast<char *>(value.data())), name.size(),
                              value.size(), NGHTTP2_NV_FLAG_NONE};
        };
        const nghttp2_nv fields[] = {nv(":method", method), nv(":scheme", "http"), nv(":authority", "example.test"),
                                     nv(":path", path)};
        return nghttp2_submit_request(session, nullptr, fields, std::size(fields), body, nullptr);
    }
    /// Everything the client has to send (the preface first).
    std::string out() {
        std::string bytes;
        const std::uint8_t *data = nullptr;
        for (ssize_t size; (size = nghttp2_session_mem_send(session, &data)) > 0;)
            bytes.append(reinterpret_cast<const char *>(data), static_cast<std::size_t>(size));
        return bytes;
    }
    void in(std::string_view bytes) {
        REQUIRE(nghttp2_session_mem_recv(session, reinterpret_cast<const std::uint8_t *>(bytes.data()),
                                         bytes.size()) == static_cast<ssize_t>(bytes.size()));
    }

    nghttp2_session *session = nullptr;
    std::map<std::int32_t, Response> responses;
    std::optional<std::uint32_t> goaway;
};

/// Moves bytes both ways until neither side has more to say.
void exchange(Client &client, H2Peer &peer) {
    for (int round = 0; round < 50; ++round) {
        const std::string request = peer.out();
        if (!request.empty()) client.send(request);
        const std::string response = client.host.take_wire();
        if (!response.empty()) peer.in(response);
        if (request.empty() && response.empty()) return;
    }
    FAIL("the two sides never went quiet");
}

/// A request body of `size` bytes, handed to nghttp2 as it asks.
struct BodySource {
    std::size_t left;
    nghttp2_data_provider provider() {
        nghttp2_data_provider provider{};
        provider.source.ptr = this;
        provider.read_callback = [](nghttp2_session *, std::int32_t, std::uint8_t *buffer, std::size_t length,
                                    std::uint32_t *flags, nghttp2_data_source *source, void *) -> ssize_t {
            auto &self = *static_cast<BodySource *>(source->ptr);
            const std::size_t take = std::min(length, self.left);
            std::fill(buffer, buffer + take, 'b');
            self.left -= take;
            if (self.left == 0) *flags |= NGHTTP2_DATA_FLAG_EOF;
            return static_cast<ssize_t>(take);
        };
        return provider;
    }
};

} // namespace

TEST_CASE("http2 connection: prior knowledge GET, and an idle session asks for no sends") {
    Client client;
    H2Peer peer;
    const std::int32_t stream = peer.request("GET", "/a");
    exchange(client, peer);
    CHECK(client.host.http2_connections == 1);
    CHECK(client.host.http2_streams == 1);
    REQUIRE(client.handler.exchanges.size() == 1);
    CHECK(client.handler.exchanges[0].method == "GET");
    CHECK(client.handler.exchanges[0].target == "/a");
    CHECK(peer.responses[stream].status == "200");
    CHECK(peer.responses[stream].body == "/a");
    CHECK(peer.responses[stream].ended);
    // The earlier attempt's bug: once idle, nothing may keep asking the host for sends.
    const int sends = client.host.want_send_calls;
    client.host.pump();
    client.host.pump();
    CHECK(client.host.want_send_calls == sends);
    CHECK(client.connection.has(engine::core::STREAM_F_READING));
}

TEST_CASE("http2 connection: many streams, answered later through commands") {
    Client client(test_config(), false);
    H2Peer peer;
    std::vector<std::int32_t> streams;
    for (int i = 0; i < 50; ++i) streams.push_back(peer.request("GET", "/s" + std::to_string(i)));
    exchange(client, peer);
    REQUIRE(client.handler.exchanges.size() == 50);
    client.answer_ready();
    exchange(client, peer);
    for (std::size_t i = 0; i < streams.size(); ++i) {
        CHECK(peer.responses[streams[i]].status == "200");
        CHECK(peer.responses[streams[i]].body == "/s" + std::to_string(i));
    }
}

TEST_CASE("http2 connection: a paused body holds the client's window until resume") {
    engine::ServerConfig config = test_config();
    config.http2.initial_stream_window_size = 65535;
    Client client(config, false);
    client.handler.body_flow = engine::BodyFlow::pause;
    H2Peer peer;
    BodySource source{300'000};
    const nghttp2_data_provider body = source.provider();
    const std::int32_t stream = peer.request("POST", "/up", &body);
    exchange(client, peer);
    REQUIRE(client.handler.exchanges.size() == 1);
    // Paused after the first piece: the client is held at its stream window.
    CHECK(source.left >= 300'000 - 65535);
    for (int i = 0; i < 20 && !client.handler.exchanges[0].body_ended; ++i) {
        client.resume_body(client.handler.exchanges[0].id);
        exchange(client, peer);
    }
    CHECK(client.handler.exchanges[0].body_ended);
    CHECK(client.handler.exchanges[0].body.size() == 300'000);
    client.answer_ready();
    exchange(client, peer);
    CHECK(peer.responses[stream].status == "200");
}

TEST_CASE("http2 connection: a client reset aborts that exchange only") {
    Client client(test_config(), false);
    H2Peer peer;
    const std::int32_t first = peer.request("GET", "/first");
    const std::int32_t second = peer.request("GET", "/second");
    exchange(client, peer);
    REQUIRE(client.handler.exchanges.size() == 2);
    REQUIRE(nghttp2_submit_rst_stream(peer.session, NGHTTP2_FLAG_NONE, first, NGHTTP2_CANCEL) == 0);
    exchange(client, peer);
    CHECK(client.handler.events == Events{"request /first", "request /second", "abort /first"});
    CHECK_FALSE(client.answer(client.handler.exchanges[0].id, response_for(client.handler.exchanges[0])));
    CHECK(client.answer(client.handler.exchanges[1].id, response_for(client.handler.exchanges[1])));
    exchange(client, peer);
    CHECK(peer.responses[second].body == "/second");
}

TEST_CASE("http2 connection: idle timeout and drain end in GOAWAY NO_ERROR") {
    SUBCASE("idle") {
        Client client;
        H2Peer peer;
        peer.request("GET", "/a");
        exchange(client, peer);
        client.host.advance(600);  // keep_alive_idle is 500 ms in test_config()
        peer.in(client.host.take_wire());
        REQUIRE(peer.goaway);
        CHECK(*peer.goaway == NGHTTP2_NO_ERROR);
    }
    SUBCASE("drain") {
        Client client(test_config(), false);
        H2Peer peer;
        const std::int32_t stream = peer.request("GET", "/slow");
        exchange(client, peer);
        client.host.draining_flag = true;
        client.connection.begin_drain();
        client.host.pump();
        peer.in(client.host.take_wire());
        REQUIRE(peer.goaway);
        CHECK(*peer.goaway == NGHTTP2_NO_ERROR);
        client.answer_ready();  // the open stream still finishes
        exchange(client, peer);
        CHECK(peer.responses[stream].body == "/slow");
        CHECK(client.peer_sees_eof());
    }
}

TEST_CASE("http2 connection: --http 1 leaves the preface to the HTTP/1 parser") {
    engine::ServerConfig config = test_config();
    config.http = engine::HttpVersion::http1;
    Client client(config);
    client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    CHECK(client.wire().starts_with("HTTP/1.1 4"));
    CHECK(client.host.http2_connections == 0);
}
