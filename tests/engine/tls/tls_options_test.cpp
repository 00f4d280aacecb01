#include "tls/tls_options.hpp"

#include <doctest/doctest.h>

namespace engine::tls {

TEST_CASE("protocol names") {
    CHECK(parse_tls_protocol("tls1.2") == TlsProtocol::tls1_2);
    CHECK(parse_tls_protocol("tls1.3") == TlsProtocol::tls1_3);
    CHECK_FALSE(parse_tls_protocol("tls1.1"));
    CHECK_FALSE(parse_tls_protocol("TLS1.3"));
    CHECK_FALSE(parse_tls_protocol(""));
    CHECK(to_string(TlsProtocol::tls1_3) == "tls1.3");
}

TEST_CASE("Granian's --ssl-client-verify flag maps to a verify mode") {
    CHECK(client_verify_from_flags(false, false) == ClientVerify::none);
    CHECK_FALSE(client_verify_from_flags(false, true));  // verify without a CA cannot work
    CHECK(client_verify_from_flags(true, false) == ClientVerify::optional);
    CHECK(client_verify_from_flags(true, true) == ClientVerify::required);
}

TEST_CASE("ALPN lists") {
    CHECK(parse_alpn_list("http/1.1") == std::vector<std::string>{"http/1.1"});
    CHECK(parse_alpn_list("h2,http/1.1") == std::vector<std::string>{"h2", "http/1.1"});
    CHECK_FALSE(parse_alpn_list(""));
    CHECK_FALSE(parse_alpn_list("h2,"));
    CHECK_FALSE(parse_alpn_list(",h2"));
    CHECK_FALSE(parse_alpn_list(std::string(256, 'a')));
    CHECK(parse_alpn_list(std::string(255, 'a')));
}

TEST_CASE("validation") {
    TlsOptions options;
    CHECK(validate_tls_options(options) == "TLS needs a certificate file (--ssl-certificate)");
    options.certificate_file = "cert.pem";
    CHECK(validate_tls_options(options) == "TLS needs a private key file (--ssl-keyfile)");
    options.key_file = "key.pem";
    CHECK(validate_tls_options(options).empty());
    options.crl_file = "crl.pem";
    CHECK(validate_tls_options(options) == "a CRL file (--ssl-crl) needs a CA file (--ssl-ca)");
    options.ca_file = "ca.pem";
    CHECK(validate_tls_options(options).empty());
    options.alpn.clear();
    CHECK(validate_tls_options(options) == "the ALPN list is empty");
}

} // namespace engine::tls
