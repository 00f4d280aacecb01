#pragma once
// TLS failures as std::error_code in one category, so the hot path returns codes, never throws.
// A code's value is OpenSSL's packed error (library and reason, ERR_PACK) of the error that ended
// the operation; message() is OpenSSL's reason text ("wrong version number", "http request", ...).
// A few conditions OpenSSL has no code for get their own values below 256 (OpenSSL packs its
// library number above bit 23, so the two ranges never meet).

#include <string>
#include <system_error>

namespace engine::tls {

enum class TlsErrc : int {
    internal = 1,          ///< OpenSSL failed without saying why (or an allocation failed)
    handshake_incomplete,  ///< application data written before the handshake finished
    closed,                ///< the session was closed (close_notify sent or received)
};

const std::error_category &tls_category() noexcept;

std::error_code make_error_code(TlsErrc error) noexcept;

/// Takes the newest error off this thread's OpenSSL error queue (and clears the queue, so nothing
/// is left over for the next connection on this thread) as a code in tls_category().
std::error_code take_openssl_error() noexcept;

/// The earliest error on this thread's OpenSSL error queue as "reason (library)", clearing the queue;
/// `fallback` when the queue is empty. For one-line startup errors.
std::string take_openssl_error_text(const char *fallback);

} // namespace engine::tls

template <> struct std::is_error_code_enum<engine::tls::TlsErrc> : std::true_type {};
