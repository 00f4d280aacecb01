// TlsContext turns every unusable file into one StartupError line that names the file and the reason.

#include "engine/server.hpp"
#include "test_pki.hpp"
#include "tls/tls_context.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

namespace engine::tls {

using testing::TestPki;

namespace {

TlsOptions options_for(const TestPki &pki) {
    TlsOptions options;
    options.certificate_file = pki.certificate_file();
    options.key_file = pki.key_file();
    return options;
}

/// The StartupError text building a context from `options` raises ("" if none).
std::string startup_error(const TlsOptions &options) {
    try {
        TlsContext context(options);
    } catch (const StartupError &error) {
        const std::string text = error.what();
        CHECK(text.find('\n') == std::string::npos);  // one line
        return text;
    }
    return {};
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("a context builds from good files and describes itself") {
    const TestPki pki;
    TlsOptions options = options_for(pki);
    const TlsContext context(options);
    CHECK(context.native_handle() != nullptr);
    CHECK(context.describe() == "TLS: minimum tls1.2, client certificates none, ALPN http/1.1, session tickets on");

    options.key_file = pki.encrypted_key_file();
    options.key_password = testing::key_password;
    CHECK(startup_error(options).empty());

    options.ca_file = pki.ca_file();
    options.client_verify = ClientVerify::required;
    options.crl_file = pki.crl_file();
    options.min_protocol = TlsProtocol::tls1_3;
    CHECK(startup_error(options).empty());
}

TEST_CASE("context errors name the file and the reason") {
    const TestPki pki;
    const std::string missing = (pki.directory / "missing.pem").string();
    const std::string garbage = (pki.directory / "garbage.pem").string();
    std::ofstream(garbage) << "this is not PEM\n";

    SUBCASE("missing certificate") {
        TlsOptions options = options_for(pki);
        options.certificate_file = missing;
        const std::string error = startup_error(options);
        CHECK(contains(error, missing));
        CHECK(contains(error, "No such file"));
    }
    SUBCASE("garbage certificate") {
        TlsOptions options = options_for(pki);
        options.certificate_file = garbage;
        const std::string error = startup_error(options);
        CHECK(contains(error, "cannot load TLS certificate " + garbage));
    }
    SUBCASE("missing key") {
        TlsOptions options = options_for(pki);
        options.key_file = missing;
        CHECK(contains(startup_error(options), "cannot read TLS key " + missing));
    }
    SUBCASE("wrong password") {
        TlsOptions options = options_for(pki);
        options.key_file = pki.encrypted_key_file();
        options.key_password = "wrong";
        const std::string error = startup_error(options);
        CHECK(contains(error, pki.encrypted_key_file().string()));
        CHECK(contains(error, "wrong --ssl-keyfile-password?"));
    }
    SUBCASE("encrypted key without a password") {
        TlsOptions options = options_for(pki);
        options.key_file = pki.encrypted_key_file();
        CHECK(contains(startup_error(options), "give --ssl-keyfile-password"));
    }
    SUBCASE("key of another certificate") {
        TlsOptions options = options_for(pki);
        options.key_file = (pki.directory / "client-key.pem").string();
        const std::string error = startup_error(options);
        CHECK(contains(error, "does not match certificate " + pki.certificate_file().string()));
    }
    SUBCASE("bad CRL") {
        TlsOptions options = options_for(pki);
        options.ca_file = pki.ca_file();
        options.client_verify = ClientVerify::required;
        options.crl_file = garbage;
        CHECK(contains(startup_error(options), "cannot load TLS CRL file " + garbage));
    }
    SUBCASE("options that cannot work are refused before any file is read") {
        TlsOptions options = options_for(pki);
        options.client_verify = ClientVerify::required;
        CHECK(contains(startup_error(options), "needs a CA file"));
    }
}

} // namespace engine::tls
