// Two TlsSessions (the server on a TlsContext, a client on a context made here) handshaking through
// memory, with no sockets: protocol versions, ALPN, client certificates, resumption, close_notify
// and hostile input.

#include "engine/server.hpp"
#include "test_pki.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_error.hpp"
#include "tls/tls_session.hpp"

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace engine::tls {

using testing::TestPki;

namespace {

const TestPki &pki() {
    static const TestPki shared;
    return shared;
}

TlsOptions server_options() {
    TlsOptions options;
    options.certificate_file = pki().certificate_file();
    options.key_file = pki().key_file();
    return options;
}

TlsOptions mtls_options(ClientVerify verify) {
    TlsOptions options = server_options();
    options.ca_file = pki().ca_file();
    options.client_verify = verify;
    return options;
}

struct ClientSettings {
    int max_version = 0;                       ///< 0: newest
    const char *alpn = "\x08http/1.1";         ///< wire format
    unsigned alpn_length = 9;
    const testing::Identity *identity = nullptr;  ///< client certificate
};

/// An SSL_CTX for the client side that trusts the test CA.
std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_context(const ClientSettings &settings) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    REQUIRE(context != nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(context.get(), pki().ca_file().c_str(), nullptr) == 1);
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
    if (settings.max_version) SSL_CTX_set_max_proto_version(context.get(), settings.max_version);
    if (settings.alpn)
        SSL_CTX_set_alpn_protos(context.get(), reinterpret_cast<const unsigned char *>(settings.alpn),
                                settings.alpn_length);
    if (settings.identity) {
        REQUIRE(SSL_CTX_use_certificate(context.get(), settings.identity->certificate) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey(context.get(), settings.identity->key) == 1);
    }
    return context;
}

struct Collector final : PlaintextSink {
    void on_plaintext(std::string_view plaintext) override { received += plaintext; }
    std::string received;
};

/// A client and a server session wired back to back through strings.
struct Pair {
    Pair(const TlsContext &server_context, SSL_CTX *client_ctx)
        : server(server_context), client(client_ctx, TlsSession::Role::client) {
        SSL_set_tlsext_host_name(client.native_handle(), "localhost");
    }

    /// Moves bytes both ways until neither side has anything to say; false if a side failed.
    bool pump() {
        for (int round = 0; round < 20; ++round) {
            if (to_server.empty() && to_client.empty()) return !server_error && !client_error;
            std::string in = std::move(to_server);
            to_server.clear();
            if (auto error = server.feed_ciphertext(in, server_received, to_client)) server_error = error;
            in = std::move(to_client);
            to_client.clear();
            if (auto error = client.feed_ciphertext(in, client_received, to_server)) client_error = error;
        }
        FAIL("the sessions kept talking");
        return false;
    }

    bool handshake() {
        REQUIRE_FALSE(client.start_handshake(to_server));
        return pump() && server.handshake_complete() && client.handshake_complete();
    }

    /// Handshakes, then sends `text` from the client: true if the server received exactly it. With
    /// TLS 1.3 the server judges a client certificate only after its own flight, so only data that
    /// arrives proves the client was accepted.
    bool client_gets_through(std::string_view text) {
        handshake();
        if (client.write_plaintext(text, to_server)) return false;
        return pump() && server_received.received == text;
    }

    TlsSession server;
    TlsSession client;
    std::string to_server, to_client;
    Collector server_received, client_received;
    std::error_code server_error, client_error;
};

} // namespace

TEST_CASE("TLS 1.3 and 1.2 handshakes carry data both ways") {
    const TlsContext server_context(server_options());
    struct Version {
        int client_max;
        std::uint16_t wire;
    };
    for (const Version version : {Version{0, 0x0304}, Version{TLS1_2_VERSION, 0x0303}}) {
        CAPTURE(version.wire);
        auto context = client_context({version.client_max});
        Pair pair(server_context, context.get());
        REQUIRE(pair.handshake());

        REQUIRE_FALSE(pair.client.write_plaintext("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", pair.to_server));
        REQUIRE(pair.pump());
        CHECK(pair.server_received.received == "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");

        // Larger than several records, so the client reassembles many.
        std::string body(1 << 20, '\0');
        for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 + i / 251);
        REQUIRE_FALSE(pair.server.write_plaintext(body, pair.to_client));
        REQUIRE(pair.pump());
        CHECK(pair.client_received.received == body);

        const TlsInfo info = pair.server.peer_info();
        CHECK(info.tls_version == version.wire);
        CHECK(info.cipher_suite != 0);
        CHECK_FALSE(info.cipher_name.empty());
        CHECK(info.client_cert_chain.empty());
        CHECK(info.client_cert_name.empty());
    }
}

TEST_CASE("a TLS 1.3 floor refuses a TLS 1.2 client") {
    TlsOptions options = server_options();
    options.min_protocol = TlsProtocol::tls1_3;
    const TlsContext server_context(options);
    auto context = client_context({TLS1_2_VERSION});
    Pair pair(server_context, context.get());
    CHECK_FALSE(pair.handshake());
    CHECK(pair.server_error);
    CHECK(pair.server_error.category() == tls_category());
    CHECK_FALSE(pair.server.handshake_complete());
}

TEST_CASE("ALPN prefers http/1.1 and tolerates clients without it") {
    const TlsContext server_context(server_options());
    SUBCASE("offered with h2 first") {
        auto context = client_context({0, "\x02h2\x08http/1.1", 12});
        Pair pair(server_context, context.get());
        REQUIRE(pair.handshake());
        CHECK(pair.server.peer_info().alpn == "http/1.1");
    }
    SUBCASE("only h2 offered: no ALPN, handshake still completes") {
        auto context = client_context({0, "\x02h2", 3});
        Pair pair(server_context, context.get());
        REQUIRE(pair.handshake());
        CHECK(pair.server.peer_info().alpn.empty());
    }
    SUBCASE("no ALPN offered") {
        auto context = client_context({0, nullptr, 0});
        Pair pair(server_context, context.get());
        REQUIRE(pair.handshake());
        CHECK(pair.server.peer_info().alpn.empty());
    }
}

TEST_CASE("client certificates: required, optional, revoked") {
    SUBCASE("required: a certificate from the CA is accepted and described") {
        const TlsContext server_context(mtls_options(ClientVerify::required));
        auto context = client_context({0, "\x08http/1.1", 9, &pki().client});
        Pair pair(server_context, context.get());
        REQUIRE(pair.client_gets_through("ping"));
        const TlsInfo info = pair.server.peer_info();
        CHECK(info.client_cert_name == "CN=test client,O=uring tests");
        REQUIRE(info.client_cert_chain.size() >= 1);
        CHECK(info.client_cert_chain[0].rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
        CHECK(info.client_cert_error.empty());
    }
    SUBCASE("required: no certificate is refused") {
        const TlsContext server_context(mtls_options(ClientVerify::required));
        auto context = client_context({});
        Pair pair(server_context, context.get());
        CHECK_FALSE(pair.client_gets_through("ping"));
        CHECK(pair.server_error);
    }
    SUBCASE("required: a certificate from another CA is refused") {
        const TlsContext server_context(mtls_options(ClientVerify::required));
        auto context = client_context({0, "\x08http/1.1", 9, &pki().foreign_client});
        Pair pair(server_context, context.get());
        CHECK_FALSE(pair.client_gets_through("ping"));
        CHECK(pair.server_error);
    }
    SUBCASE("optional: a foreign certificate passes, with its error reported") {
        const TlsContext server_context(mtls_options(ClientVerify::optional));
        auto context = client_context({0, "\x08http/1.1", 9, &pki().foreign_client});
        Pair pair(server_context, context.get());
        REQUIRE(pair.client_gets_through("ping"));
        const TlsInfo info = pair.server.peer_info();
        CHECK(info.client_cert_name == "CN=foreign client,O=uring tests");
        CHECK_FALSE(info.client_cert_error.empty());
    }
    SUBCASE("optional: no certificate is fine") {
        const TlsContext server_context(mtls_options(ClientVerify::optional));
        auto context = client_context({});
        Pair pair(server_context, context.get());
        REQUIRE(pair.handshake());
        CHECK(pair.server.peer_info().client_cert_chain.empty());
        CHECK(pair.server.peer_info().client_cert_error.empty());
    }
    SUBCASE("a revoked certificate is refused when a CRL is given") {
        TlsOptions options = mtls_options(ClientVerify::required);
        options.crl_file = pki().crl_file();
        const TlsContext server_context(options);
        auto revoked = client_context({0, "\x08http/1.1", 9, &pki().revoked_client});
        Pair refused(server_context, revoked.get());
        CHECK_FALSE(refused.client_gets_through("ping"));
        CHECK(refused.server_error);

        auto good = client_context({0, "\x08http/1.1", 9, &pki().client});
        Pair accepted(server_context, good.get());
        CHECK(accepted.client_gets_through("ping"));
    }
}

TEST_CASE("a session ticket resumes the session") {
    for (const int version : {0, TLS1_2_VERSION}) {
        CAPTURE(version);
        const TlsContext server_context(server_options());
        auto context = client_context({version});
        Pair first(server_context, context.get());
        // TLS 1.3 tickets arrive after the handshake; one exchange makes sure the client has read them.
        REQUIRE(first.client_gets_through("x"));
        SSL_SESSION *session = SSL_get1_session(first.client.native_handle());
        REQUIRE(session != nullptr);
        CHECK(SSL_SESSION_is_resumable(session) == 1);
        CHECK_FALSE(first.server.peer_info().session_reused);

        Pair second(server_context, context.get());
        SSL_set_session(second.client.native_handle(), session);
        SSL_SESSION_free(session);
        REQUIRE(second.handshake());
        CHECK(second.server.peer_info().session_reused);
    }
    SUBCASE("tickets off: no resumption") {
        TlsOptions options = server_options();
        options.session_tickets = false;
        const TlsContext server_context(options);
        auto context = client_context({});
        Pair first(server_context, context.get());
        REQUIRE(first.client_gets_through("x"));
        SSL_SESSION *session = SSL_get1_session(first.client.native_handle());
        REQUIRE(session != nullptr);
        CHECK(SSL_SESSION_is_resumable(session) == 0);
        SSL_SESSION_free(session);
    }
}

TEST_CASE("close_notify reaches the peer and ends writing") {
    const TlsContext server_context(server_options());
    auto context = client_context({});
    Pair pair(server_context, context.get());
    REQUIRE(pair.handshake());
    pair.server.close_notify(pair.to_client);
    CHECK_FALSE(pair.to_client.empty());
    REQUIRE(pair.pump());
    CHECK(pair.client.peer_closed());
    CHECK(pair.server.write_plaintext("late", pair.to_client) == make_error_code(TlsErrc::closed));
    std::string more;
    pair.server.close_notify(more);  // idempotent
    CHECK(more.empty());
}

TEST_CASE("hostile input is an error code, never a crash") {
    const TlsContext server_context(server_options());
    Collector sink;
    SUBCASE("plaintext HTTP") {
        TlsSession server(server_context);
        std::string reply;
        const std::error_code error =
            server.feed_ciphertext("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", sink, reply);
        CHECK(error.category() == tls_category());
        CHECK(error.message() == "http request");
        CHECK(sink.received.empty());
    }
    SUBCASE("random bytes, in one piece and byte by byte") {
        std::string garbage(4096, '\0');
        std::uint32_t state = 12345;
        for (char &c : garbage) c = static_cast<char>((state = state * 1103515245 + 12345) >> 16);
        garbage[0] = 0x16;  // looks like a handshake record at first
        TlsSession whole(server_context);
        std::string reply;
        CHECK(whole.feed_ciphertext(garbage, sink, reply));

        TlsSession bytewise(server_context);
        std::error_code error;
        for (std::size_t i = 0; i < garbage.size() && !error; ++i)
            error = bytewise.feed_ciphertext(garbage.substr(i, 1), sink, reply);
        CHECK(error);
        CHECK(sink.received.empty());
        // A failed session stays failed and quiet.
        CHECK(bytewise.write_plaintext("x", reply) == make_error_code(TlsErrc::closed));
    }
    SUBCASE("writing before the handshake") {
        TlsSession server(server_context);
        std::string out;
        CHECK(server.write_plaintext("x", out) == make_error_code(TlsErrc::handshake_incomplete));
        CHECK(out.empty());
    }
}

} // namespace engine::tls
