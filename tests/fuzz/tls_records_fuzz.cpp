// TLS records from a client into a server session through the memory-BIO path (TlsSession), cut at the
// points the input's first bytes choose. The server's P-256 key and self-signed certificate are made once
// in memory at start-up, so no file is read. A fuzz input cannot finish a handshake (the server's random
// differs each run), so this reaches the ClientHello parsing, record layer and alert paths; the checks are
// the sanitizers' (no overflow, no leak, no UB) and that a failed session stays failed.
#include "pieces.hpp"
#include "tls/tls_session.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace {

class Discard final : public engine::tls::PlaintextSink {
  public:
    void on_plaintext(std::string_view) override {}
};

SSL_CTX *make_server_context() {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
    X509_set_pubkey(certificate, key);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("fuzz"), -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509_sign(certificate, key, EVP_sha256());
    SSL_CTX *context = SSL_CTX_new(TLS_server_method());
    if (!key || !context || SSL_CTX_use_certificate(context, certificate) != 1 ||
        SSL_CTX_use_PrivateKey(context, key) != 1)
        fuzz::invariant_broken("could not set up the server context");
    X509_free(certificate);
    EVP_PKEY_free(key);
    return context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    // One context for the whole run, like a server's; it lives until exit (not a leak: still reachable).
    static SSL_CTX *const context = make_server_context();
    std::string_view data(reinterpret_cast<const char *>(bytes), size);
    const auto cuts = fuzz::take_cuts(data);
    engine::tls::TlsSession session(context, engine::tls::TlsSession::Role::server);
    Discard sink;
    std::string out;
    bool failed = false;
    fuzz::for_each_piece(data, cuts, [&](std::string_view piece) {
        if (!failed && session.feed_ciphertext(piece, sink, out)) failed = true;
    });
    if (failed) {
        // The connection is closed after an error; writing on it must fail, not encrypt.
        std::string more;
        if (!session.write_plaintext("x", more) && !session.handshake_complete())
            fuzz::invariant_broken("a failed session accepted plaintext before its handshake");
    }
    return 0;
}
