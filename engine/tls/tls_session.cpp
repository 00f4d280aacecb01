#include "tls/tls_session.hpp"

#include "tls/tls_context.hpp"
#include "tls/tls_error.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <new>

namespace engine::tls {

namespace {

// Decrypted bytes are read in pieces of one maximum TLS record, into a buffer on the stack: no
// memory per connection, and each piece goes straight on to the HTTP parser.
constexpr std::size_t plaintext_chunk = 16 * 1024;

// What one record adds to its plaintext in TLS 1.3: 5 bytes of header, the inner content type and a 16-byte
// AEAD tag (TLS 1.2's GCM records add 5 + 8 + 16): the room reserved ahead of encrypting.
constexpr std::size_t record_overhead = 32;

// The write side is a sink BIO that appends each record OpenSSL seals to the session's output string. A memory
// BIO would cost two more passes over every record: its buffer grows zero-filled (BUF_MEM_grow_clean) and
// the records are copied into it and out again; here the one copy is OpenSSL's record buffer -> the string.
int append_records(BIO *bio, const char *data, std::size_t length, std::size_t *written) {
    static_cast<std::string *>(BIO_get_data(bio))->append(data, length);
    *written = length;
    return 1;
}

long record_sink_control(BIO *, int command, long, void *) {
    // Writes never wait, so a flush is done at once; nothing else (pending counts, kTLS queries) applies.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int record_sink_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD *record_sink_method() {
    static BIO_METHOD *const method = [] {
        BIO_METHOD *made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "engine TLS record sink");
        if (!made || BIO_meth_set_write_ex(made, append_records) != 1 ||
            BIO_meth_set_ctrl(made, record_sink_control) != 1 || BIO_meth_set_create(made, record_sink_create) != 1)
            return static_cast<BIO_METHOD *>(nullptr);
        return made;
    }();
    return method;
}

std::string memory_bio_text(BIO *bio) {
    char *data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::string certificate_pem(X509 *certificate) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return {};
    std::string pem = PEM_write_bio_X509(bio, certificate) == 1 ? memory_bio_text(bio) : std::string();
    BIO_free(bio);
    return pem;
}

std::string rfc4514_name(X509_NAME *name) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return {};
    // XN_FLAG_RFC2253 prints the most specific RDN first with RFC 2253 escaping, which RFC 4514 keeps.
    std::string text = X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 ? memory_bio_text(bio) : std::string();
    BIO_free(bio);
    return text;
}

} // namespace

TlsSession::TlsSession(const TlsContext &context) : TlsSession(context.native_handle(), Role::server) {}

TlsSession::TlsSession(ssl_ctx_st *context, Role role) {
    ssl_ = SSL_new(context);
    BIO *input = BIO_new(BIO_s_mem());
    const BIO_METHOD *sink = record_sink_method();
    BIO *output = sink ? BIO_new(sink) : nullptr;
    if (!ssl_ || !input || !output) {
        BIO_free(input);
        BIO_free(output);
        SSL_free(ssl_);
        ERR_clear_error();
        throw std::bad_alloc();
    }
    // An empty input BIO means "no more bytes yet" (retry), not end of stream: the socket's EOF
    // reaches the connection through the recv completion, never through OpenSSL.
    BIO_set_mem_eof_return(input, -1);
    BIO_set_data(output, &records_);
    SSL_set_bio(ssl_, input, output);  // the SSL owns both BIOs from here
    if (role == Role::server) SSL_set_accept_state(ssl_);
    else SSL_set_connect_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::drain_output(std::string &ciphertext_out) {
    if (records_.empty()) return;
    // The usual caller passes an empty string (its last one went to the wire): then the records move, uncopied.
    if (ciphertext_out.empty()) ciphertext_out.swap(records_);
    else ciphertext_out.append(records_);
    records_.clear();
}

std::error_code TlsSession::fail_with_alert(std::string &ciphertext_out) {
    const std::error_code error = take_openssl_error();
    closed_ = true;
    drain_output(ciphertext_out);  // OpenSSL queued a fatal alert: let the peer know why
    return error;
}

std::error_code TlsSession::start_handshake(std::string &ciphertext_out) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (result != 1 && SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) return fail_with_alert(ciphertext_out);
    drain_output(ciphertext_out);
    return {};
}

std::error_code TlsSession::feed_ciphertext(std::string_view ciphertext, PlaintextSink &sink,
                                            std::string &ciphertext_out) {
    if (closed_ || peer_closed_) return {};
    ERR_clear_error();
    // A memory BIO takes everything at once (it grows); OpenSSL then reads it record by record.
    if (!ciphertext.empty() &&
        BIO_write(SSL_get_rbio(ssl_), ciphertext.data(), static_cast<int>(ciphertext.size())) !=
            static_cast<int>(ciphertext.size()))
        return fail_with_alert(ciphertext_out);

    char plaintext[plaintext_chunk];
    for (;;) {
        std::size_t read = 0;
        // SSL_read_ex drives the handshake too, so one loop serves both phases.
        if (SSL_read_ex(ssl_, plaintext, sizeof plaintext, &read) == 1) {
            sink.on_plaintext(std::string_view(plaintext, read));
            if (closed_) break;  // the sink closed the session (e.g. the HTTP side gave up)
            continue;
        }
        const int reason = SSL_get_error(ssl_, 0);
        if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) break;  // needs more ciphertext
        if (reason == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            break;
        }
        return fail_with_alert(ciphertext_out);
    }
    drain_output(ciphertext_out);
    return {};
}

std::error_code TlsSession::write_plaintext(std::string_view plaintext, std::string &ciphertext_out) {
    if (closed_) return make_error_code(TlsErrc::closed);
    if (!SSL_is_init_finished(ssl_)) return make_error_code(TlsErrc::handshake_incomplete);
    ERR_clear_error();
    // Room for every record up front: growing the string as records arrive would copy them again.
    records_.reserve(records_.size() + plaintext.size() +
                     (plaintext.size() / plaintext_chunk + 1) * record_overhead);
    while (!plaintext.empty()) {
        std::size_t written = 0;
        // Memory BIOs never push back, so a write takes everything unless the session broke.
        if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) != 1)
            return fail_with_alert(ciphertext_out);
        plaintext.remove_prefix(written);
    }
    drain_output(ciphertext_out);
    return {};
}

void TlsSession::close_notify(std::string &ciphertext_out) {
    if (closed_) return;
    closed_ = true;
    ERR_clear_error();
    // One call sends our close_notify; we do not wait for the peer's (the socket is closed after it).
    SSL_shutdown(ssl_);
    ERR_clear_error();
    drain_output(ciphertext_out);
}

bool TlsSession::handshake_complete() const noexcept { return SSL_is_init_finished(ssl_) == 1; }

TlsInfo TlsSession::peer_info() const {
    TlsInfo info;
    info.tls_version = static_cast<std::uint16_t>(SSL_version(ssl_));
    if (const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl_)) {
        info.cipher_suite = SSL_CIPHER_get_protocol_id(cipher);
        info.cipher_name = SSL_CIPHER_get_name(cipher);
    }
    const unsigned char *alpn = nullptr;
    unsigned alpn_length = 0;
    SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
    if (alpn) info.alpn.assign(reinterpret_cast<const char *>(alpn), alpn_length);
    info.session_reused = SSL_session_reused(ssl_) == 1;

    X509 *leaf = SSL_get1_peer_certificate(ssl_);
    if (!leaf) return info;
    info.client_cert_name = rfc4514_name(X509_get_subject_name(leaf));
    info.client_cert_chain.push_back(certificate_pem(leaf));
    // On a server the peer chain leaves out the leaf; on a client it starts with it.
    if (STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl_)) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            X509 *certificate = sk_X509_value(chain, i);
            if (X509_cmp(certificate, leaf) != 0) info.client_cert_chain.push_back(certificate_pem(certificate));
        }
    }
    X509_free(leaf);
    const long verdict = SSL_get_verify_result(ssl_);
    if (verdict != X509_V_OK) info.client_cert_error = X509_verify_cert_error_string(verdict);
    return info;
}

} // namespace engine::tls
