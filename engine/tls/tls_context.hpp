#pragma once
// The server's OpenSSL context, built once from TlsOptions before any reactor starts and shared
// (read-only) by all of them: SSL_CTX is safe to use from several threads once configured, and one
// context means one ticket key, so a session ticket from one reactor resumes on any other.

#include "engine/tls.hpp"

#include <string>
#include <vector>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX; only tls/*.cpp see its definition

namespace engine::tls {

class TlsContext {
  public:
    /// Loads certificate, key, CA and CRL files. Throws engine::StartupError with one line that names
    /// the file and OpenSSL's reason (unreadable file, wrong password, key/certificate mismatch...).
    explicit TlsContext(const TlsOptions &options);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    ssl_ctx_st *native_handle() const noexcept { return context_; }
    const TlsOptions &options() const noexcept { return options_; }
    /// One line for the startup log: protocol floor, client verification, ALPN.
    std::string describe() const;

  private:
    void load_certificate_and_key();
    void load_client_verification();
    void configure_alpn();

    TlsOptions options_;
    ssl_ctx_st *context_ = nullptr;
    std::string alpn_wire_;  ///< options_.alpn in wire format (length-prefixed), for the ALPN callback
};

} // namespace engine::tls
