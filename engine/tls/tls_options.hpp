#pragma once
// Turning option text (CLI flags, the Python settings object) into TlsOptions, apart from the runtime
// that builds contexts from them (tls_context.hpp). Nothing here touches OpenSSL or the filesystem.

#include "engine/tls.hpp"
#include "engine/tls_flags.hpp"  // parse_tls_protocol, client_verify_from_flags

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine::tls {

/// A comma-separated ALPN list ("h2,http/1.1"); nullopt if a name is empty or longer than 255 bytes.
std::optional<std::vector<std::string>> parse_alpn_list(std::string_view text);

/// "" when `options` can work, else a one-line reason (a missing certificate or key, a CRL or client
/// verification without a CA, an empty ALPN list). Files are not opened here.
std::string validate_tls_options(const TlsOptions &options);

std::string_view to_string(TlsProtocol protocol) noexcept;
std::string_view to_string(ClientVerify verify) noexcept;

} // namespace engine::tls
