#include "tls/tls_error.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace engine::tls {

namespace {

// Reason strings are loaded lazily by OpenSSL; a process that formats an error before any SSL
// object exists (a test, an early startup failure) must load them itself.
void load_error_strings() noexcept {
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
}

class TlsCategory final : public std::error_category {
  public:
    const char *name() const noexcept override { return "tls"; }
    std::string message(int value) const override {
        switch (static_cast<TlsErrc>(value)) {
        case TlsErrc::internal: return "TLS internal error";
        case TlsErrc::handshake_incomplete: return "TLS handshake not complete";
        case TlsErrc::closed: return "TLS session closed";
        }
        load_error_strings();
        const char *reason = ERR_reason_error_string(static_cast<unsigned long>(value));
        return reason ? reason : "TLS error " + std::to_string(value);
    }
};

} // namespace

const std::error_category &tls_category() noexcept {
    static const TlsCategory category;
    return category;
}

std::error_code make_error_code(TlsErrc error) noexcept { return {static_cast<int>(error), tls_category()}; }

std::error_code take_openssl_error() noexcept {
    const unsigned long packed = ERR_peek_last_error();
    ERR_clear_error();
    if (packed == 0) return make_error_code(TlsErrc::internal);
    // System errors carry an errno rather than a library and reason.
    if (ERR_SYSTEM_ERROR(packed)) return {static_cast<int>(ERR_GET_REASON(packed)), std::generic_category()};
    // Keep library and reason; drop the function field OpenSSL 3 no longer fills.
    return {static_cast<int>(ERR_PACK(ERR_GET_LIB(packed), 0, ERR_GET_REASON(packed))), tls_category()};
}

std::string take_openssl_error_text(const char *fallback) {
    // The earliest error is the cause ("bad decrypt", "no start line"); later ones only say which
    // layer gave up on it ("PEM lib").
    const unsigned long packed = ERR_peek_error();
    ERR_clear_error();
    if (packed == 0) return fallback;
    load_error_strings();
    const char *reason = ERR_reason_error_string(packed);
    const char *library = ERR_lib_error_string(packed);
    std::string text = reason ? reason : fallback;
    if (library) text.append(" (").append(library).append(")");
    return text;
}

} // namespace engine::tls
