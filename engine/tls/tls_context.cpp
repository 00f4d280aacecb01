#include "tls/tls_context.hpp"

#include "engine/server.hpp"
#include "tls/tls_error.hpp"
#include "tls/tls_options.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>

namespace engine::tls {

namespace {

[[noreturn]] void fail(const std::string &what, const std::string &path, const char *fallback) {
    throw StartupError(fmt::format("{} {}: {}", what, path, take_openssl_error_text(fallback)));
}

/// OpenSSL's file errors say "system lib" and little else; check readability first so the line names
/// the real cause (no such file, permission denied).
void require_readable(const std::string &what, const std::string &path) {
    std::FILE *file = std::fopen(path.c_str(), "rb");
    if (!file) throw StartupError(fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
    std::fclose(file);
}

struct PasswordRequest {
    const std::string *password = nullptr;
    bool asked = false;  ///< OpenSSL found the key encrypted
};

int password_callback(char *buffer, int size, int /*rwflag*/, void *userdata) {
    auto *request = static_cast<PasswordRequest *>(userdata);
    if (!request) return -1;
    request->asked = true;
    if (request->password->empty()) return -1;  // encrypted key and no password: fail, never prompt
    const auto length = std::min<std::size_t>(request->password->size(), static_cast<std::size_t>(size));
    std::memcpy(buffer, request->password->data(), length);
    return static_cast<int>(length);
}

/// ClientVerify::optional asks for a certificate but lets a failed check through: the failure is
/// reported to the application (TlsInfo::client_cert_error from SSL_get_verify_result), as the ASGI
/// tls extension expects. `required` keeps OpenSSL's verdict and fails the handshake.
int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX * /*context*/) { return 1; }

int select_alpn(SSL * /*ssl*/, const unsigned char **out, unsigned char *out_length, const unsigned char *offered,
                unsigned offered_length, void *arg) {
    const auto *ours = static_cast<const std::string *>(arg);
    unsigned char *selected = nullptr;
    // Server preference: the first of our protocols the client also offers.
    if (SSL_select_next_proto(&selected, out_length, reinterpret_cast<const unsigned char *>(ours->data()),
                              static_cast<unsigned>(ours->size()), offered,
                              offered_length) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;  // no overlap: carry on without ALPN (HTTP/1.1 is implied)
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

// Session ids are scoped to this context string; a resumed session with client verification needs it.
constexpr unsigned char session_id_context[] = "uring_granian";

} // namespace

TlsContext::TlsContext(const TlsOptions &options) : options_(options) {
    if (std::string problem = validate_tls_options(options_); !problem.empty()) throw StartupError(problem);
    ERR_clear_error();
    context_ = SSL_CTX_new(TLS_server_method());
    if (!context_) throw StartupError("cannot create a TLS context: " + take_openssl_error_text("out of memory"));
    try {
        SSL_CTX_set_min_proto_version(context_, options_.min_protocol == TlsProtocol::tls1_3 ? TLS1_3_VERSION
                                                                                            : TLS1_2_VERSION);
        // Client-initiated TLS 1.2 renegotiation costs the server a handshake per request: a cheap DoS.
        SSL_CTX_set_options(context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                          (options_.session_tickets ? 0 : SSL_OP_NO_TICKET));
        if (!options_.session_tickets) SSL_CTX_set_num_tickets(context_, 0);
        // Idle keep-alive connections give their 2 x ~17 KiB record buffers back.
        SSL_CTX_set_mode(context_, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_session_id_context(context_, session_id_context, sizeof session_id_context - 1);
        load_certificate_and_key();
        load_client_verification();
        configure_alpn();
    } catch (...) {
        SSL_CTX_free(context_);
        throw;
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

void TlsContext::load_certificate_and_key() {
    require_readable("TLS certificate", options_.certificate_file);
    if (SSL_CTX_use_certificate_chain_file(context_, options_.certificate_file.c_str()) != 1)
        fail("cannot load TLS certificate", options_.certificate_file, "not a PEM certificate");

    require_readable("TLS key", options_.key_file);
    PasswordRequest request{&options_.key_password};
    SSL_CTX_set_default_passwd_cb(context_, password_callback);
    SSL_CTX_set_default_passwd_cb_userdata(context_, &request);
    const int loaded = SSL_CTX_use_PrivateKey_file(context_, options_.key_file.c_str(), SSL_FILETYPE_PEM);
    // The request lives on this stack frame: the context must not keep pointing at it.
    SSL_CTX_set_default_passwd_cb_userdata(context_, nullptr);
    if (loaded != 1) {
        std::string reason = take_openssl_error_text("not a PEM private key");
        // Loading the key also checks it against the certificate loaded before it.
        if (reason.find("mismatch") != std::string::npos)
            throw StartupError(fmt::format("TLS key {} does not match certificate {}: {}", options_.key_file,
                                           options_.certificate_file, reason));
        if (request.asked && options_.key_password.empty())
            reason = "the key is encrypted: give --ssl-keyfile-password";
        else if (request.asked)
            reason += " (wrong --ssl-keyfile-password?)";
        throw StartupError(fmt::format("cannot load TLS key {}: {}", options_.key_file, reason));
    }
    if (SSL_CTX_check_private_key(context_) != 1)
        throw StartupError(fmt::format("TLS key {} does not match certificate {}: {}", options_.key_file,
                                       options_.certificate_file, take_openssl_error_text("mismatch")));
}

void TlsContext::load_client_verification() {
    if (options_.ca_file.empty()) return;
    require_readable("TLS CA file", options_.ca_file);
    if (SSL_CTX_load_verify_locations(context_, options_.ca_file.c_str(), nullptr) != 1)
        fail("cannot load TLS CA file", options_.ca_file, "no PEM certificates");
    // Tell clients which CAs we accept, so they pick the right certificate.
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(options_.ca_file.c_str());
    if (!names) fail("cannot read CA names from", options_.ca_file, "no PEM certificates");
    SSL_CTX_set_client_CA_list(context_, names);

    if (!options_.crl_file.empty()) {
        require_readable("TLS CRL file", options_.crl_file);
        X509_STORE *store = SSL_CTX_get_cert_store(context_);
        X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        if (!lookup || X509_load_crl_file(lookup, options_.crl_file.c_str(), X509_FILETYPE_PEM) <= 0)
            fail("cannot load TLS CRL file", options_.crl_file, "no PEM CRLs");
        // Check the client's own certificate against the CRLs (intermediates are not required to have one).
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }

    switch (options_.client_verify) {
    case ClientVerify::none: SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr); break;
    case ClientVerify::optional: SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, accept_any_certificate); break;
    case ClientVerify::required:
        SSL_CTX_set_verify(context_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        break;
    }
}

void TlsContext::configure_alpn() {
    for (const std::string &name : options_.alpn) {
        alpn_wire_.push_back(static_cast<char>(name.size()));
        alpn_wire_ += name;
    }
    SSL_CTX_set_alpn_select_cb(context_, select_alpn, &alpn_wire_);
}

std::string TlsContext::describe() const {
    std::string alpn;
    for (const std::string &name : options_.alpn) alpn += (alpn.empty() ? "" : ",") + name;
    return fmt::format("TLS: minimum {}, client certificates {}, ALPN {}, session tickets {}",
                       to_string(options_.min_protocol), to_string(options_.client_verify), alpn,
                       options_.session_tickets ? "on" : "off");
}

} // namespace engine::tls
