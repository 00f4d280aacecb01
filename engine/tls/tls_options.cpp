#include "tls/tls_options.hpp"

namespace engine::tls {

std::optional<TlsProtocol> parse_tls_protocol(std::string_view text) noexcept {
    if (text == "tls1.2") return TlsProtocol::tls1_2;
    if (text == "tls1.3") return TlsProtocol::tls1_3;
    return std::nullopt;
}

std::optional<ClientVerify> client_verify_from_flags(bool has_ca_file, bool verify_flag) noexcept {
    if (!has_ca_file) return verify_flag ? std::nullopt : std::optional(ClientVerify::none);
    return verify_flag ? ClientVerify::required : ClientVerify::optional;
}

std::optional<std::vector<std::string>> parse_alpn_list(std::string_view text) {
    std::vector<std::string> names;
    for (;;) {
        const std::size_t comma = text.find(',');
        const std::string_view name = text.substr(0, comma);
        // The wire format prefixes each name with one length byte.
        if (name.empty() || name.size() > 255) return std::nullopt;
        names.emplace_back(name);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return names;
}

std::string validate_tls_options(const TlsOptions &options) {
    if (options.certificate_file.empty()) return "TLS needs a certificate file (--ssl-certificate)";
    if (options.key_file.empty()) return "TLS needs a private key file (--ssl-keyfile)";
    if (options.client_verify != ClientVerify::none && options.ca_file.empty())
        return "client certificate verification needs a CA file (--ssl-ca)";
    if (!options.crl_file.empty() && options.ca_file.empty())
        return "a CRL file (--ssl-crl) needs a CA file (--ssl-ca)";
    if (options.alpn.empty()) return "the ALPN list is empty";
    for (const std::string &name : options.alpn)
        if (name.empty() || name.size() > 255) return "an ALPN protocol name must be 1 to 255 bytes";
    return {};
}

std::string_view to_string(TlsProtocol protocol) noexcept {
    return protocol == TlsProtocol::tls1_3 ? "tls1.3" : "tls1.2";
}

std::string_view to_string(ClientVerify verify) noexcept {
    switch (verify) {
    case ClientVerify::optional: return "optional";
    case ClientVerify::required: return "required";
    case ClientVerify::none: break;
    }
    return "none";
}

} // namespace engine::tls
