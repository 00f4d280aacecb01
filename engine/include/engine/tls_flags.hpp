#pragma once
// Reading the TLS command-line flags into TlsOptions values, so that every front end (uring-serve, the Python
// settings) spells them alike. The rest of the option parsing stays private to the engine in tls/tls_options.hpp.

#include <optional>
#include <string_view>

#include "engine/tls.hpp"

namespace engine::tls {

/// "tls1.2" or "tls1.3" (Granian's --ssl-protocol-min values); nullopt for anything else.
std::optional<TlsProtocol> parse_tls_protocol(std::string_view text) noexcept;

/// Granian's flag pair: --ssl-client-verify without --ssl-ca cannot work (nullopt); with a CA the
/// flag means required and its absence optional; no CA means none.
std::optional<ClientVerify> client_verify_from_flags(bool has_ca_file, bool verify_flag) noexcept;

} // namespace engine::tls
