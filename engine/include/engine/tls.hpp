#pragma once
// HTTPS settings (ServerConfig::tls) and what a handler learns about a TLS connection's peer
// (Request::tls_info). Plain data only: OpenSSL never appears in public headers.

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

enum class TlsProtocol : std::uint8_t { tls1_2, tls1_3 };

/// Whether clients must present a certificate signed by `ca_file`.
/// Granian's --ssl-client-verify is a flag: with --ssl-ca it means `required`, and --ssl-ca alone
/// means `optional` (a certificate is asked for; a failed check is reported in TlsInfo, not fatal).
enum class ClientVerify : std::uint8_t { none, optional, required };

struct TlsOptions {
    std::string certificate_file;   ///< PEM: the server certificate, then its intermediates
    std::string key_file;           ///< PEM private key (may be encrypted: see key_password)
    std::string key_password;       ///< empty: the key is not encrypted
    TlsProtocol min_protocol = TlsProtocol::tls1_2;
    std::string ca_file;            ///< PEM CAs that sign client certificates; needed unless verify is none
    ClientVerify client_verify = ClientVerify::none;
    std::string crl_file;           ///< PEM CRLs checked against client certificates; needs ca_file
    std::vector<std::string> alpn = {"http/1.1"};  ///< protocols offered, in the server's preference order
    bool session_tickets = true;    ///< stateless resumption (RFC 5077 / TLS 1.3 tickets)
};

/// The ASGI `tls` extension's facts about one connection, computed once after its handshake.
struct TlsInfo {
    std::uint16_t tls_version = 0;   ///< wire value: 0x0303 = TLS 1.2, 0x0304 = TLS 1.3
    std::uint16_t cipher_suite = 0;  ///< IANA id, e.g. 0x1301 = TLS_AES_128_GCM_SHA256
    std::string cipher_name;         ///< OpenSSL's name for it (for logs)
    std::string alpn;                ///< negotiated protocol, "" if none
    bool session_reused = false;
    std::vector<std::string> client_cert_chain;  ///< PEM strings, the client's own certificate first
    std::string client_cert_name;    ///< subject of the client certificate, RFC 4514; "" if none
    std::string client_cert_error;   ///< why the client certificate failed verification; "" if it passed or is absent
};

} // namespace engine
