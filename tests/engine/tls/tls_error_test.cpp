#include "tls/tls_error.hpp"

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace engine::tls {

TEST_CASE("OpenSSL errors become codes in the tls category with OpenSSL's reason") {
    ERR_clear_error();
    CHECK(take_openssl_error() == make_error_code(TlsErrc::internal));  // empty queue

    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);
    const std::error_code error = take_openssl_error();
    CHECK(error.category() == tls_category());
    CHECK(error.message() == "wrong version number");
    CHECK(ERR_peek_error() == 0);  // the queue is left empty for the next connection

    ERR_raise(ERR_LIB_SSL, SSL_R_HTTP_REQUEST);
    CHECK(take_openssl_error_text("fallback") == "http request (SSL routines)");
    CHECK(take_openssl_error_text("fallback") == "fallback");

    CHECK(make_error_code(TlsErrc::closed).message() == "TLS session closed");
    CHECK(std::string(tls_category().name()) == "tls");
}

} // namespace engine::tls
