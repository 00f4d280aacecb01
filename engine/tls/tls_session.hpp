#pragma once
// One TLS connection driven entirely through memory: the reactor hands it received ciphertext and
// sends whatever ciphertext it produces. No socket BIOs and no blocking SSL_read/SSL_write on
// sockets: OpenSSL reads from a memory BIO and writes its records into a string (a sink BIO), and
// the ring moves the bytes.

#include "engine/tls.hpp"

#include <string>
#include <string_view>
#include <system_error>

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace engine::tls {

class TlsContext;

/// Receives decrypted application bytes; `plaintext` is valid only during the call.
class PlaintextSink {
  public:
    virtual void on_plaintext(std::string_view plaintext) = 0;

  protected:
    ~PlaintextSink() = default;
};

class TlsSession {
  public:
    enum class Role : unsigned char { server, client };

    /// A server session on the server's context.
    explicit TlsSession(const TlsContext &context);
    /// Any role on a raw context (tests build their client contexts with OpenSSL directly).
    TlsSession(ssl_ctx_st *context, Role role);
    ~TlsSession();
    TlsSession(const TlsSession &) = delete;
    TlsSession &operator=(const TlsSession &) = delete;

    /// Client role: writes the ClientHello to `ciphertext_out`.
    std::error_code start_handshake(std::string &ciphertext_out);
    /// Takes received ciphertext: advances the handshake, passes decrypted bytes to `sink` (in
    /// order, possibly in several calls), and appends what must be sent back (handshake messages,
    /// tickets, alerts) to `ciphertext_out`. An error means the connection is unusable: send what
    /// was appended (an alert) and close. After a close_notify from the peer, further input is ignored.
    std::error_code feed_ciphertext(std::string_view ciphertext, PlaintextSink &sink, std::string &ciphertext_out);
    /// Encrypts `plaintext` completely, appending the records to `ciphertext_out`.
    std::error_code write_plaintext(std::string_view plaintext, std::string &ciphertext_out);
    /// Appends a close_notify alert (once); later writes fail with TlsErrc::closed.
    void close_notify(std::string &ciphertext_out);

    bool handshake_complete() const noexcept;
    bool peer_closed() const noexcept { return peer_closed_; }
    /// Negotiated facts and the client's certificate; meaningful once the handshake is complete.
    TlsInfo peer_info() const;

    ssl_st *native_handle() const noexcept { return ssl_; }

  private:
    std::error_code fail_with_alert(std::string &ciphertext_out);
    void drain_output(std::string &ciphertext_out);

    ssl_st *ssl_ = nullptr;
    std::string records_;  ///< what OpenSSL wrote during the current call, handed out by drain_output
    bool peer_closed_ = false;
    bool closed_ = false;
};

} // namespace engine::tls
