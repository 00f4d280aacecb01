#pragma once
// The TLS half of a connection's transport. Plain and TLS connections share Connection and the
// reactor's send path; a TLS connection additionally owns one of these, which turns received
// ciphertext into plaintext for the HTTP state machine, and the plaintext output queue into a second
// queue of ciphertext that the reactor sends exactly as it sends a plain connection's output.

#include "core/output_queue.hpp"
#include "engine/tls.hpp"
#include "tls/tls_session.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace engine::tls {
class TlsContext;
}

namespace engine::http {

class Connection;

class TlsTransport final : private tls::PlaintextSink {
  public:
    TlsTransport(const tls::TlsContext &context, core::SendBufferPool &pool, Connection &connection);

    /// Decrypts `ciphertext`; plaintext goes to Connection::on_plaintext, handshake replies into
    /// wire(). An error means the session is dead: the caller closes the connection.
    std::error_code on_ciphertext(std::string_view ciphertext);
    /// Encrypts memory segments from the front of `plaintext` (stops at a file segment or after a
    /// bounded amount) into wire(); notifications that come due are appended to `sent`.
    std::error_code encrypt_queued(core::OutputQueue &plaintext, std::vector<ExchangeId> &sent);
    /// Reads one bounded step of the file segment at the front of `plaintext` into memory, encrypts
    /// it into wire() and consumes it (closing the file when done).
    std::error_code encrypt_file_step(core::OutputQueue &plaintext, std::vector<ExchangeId> &sent);
    /// Queues our close_notify once; false if it was queued before (or the session failed).
    bool queue_close_notify();
    /// Sends the fatal alert OpenSSL queued for a failed session, best effort, without waiting.
    void send_alert_now(int fd) noexcept;

    /// The ciphertext waiting for the socket.
    core::OutputQueue &wire() noexcept { return wire_; }
    bool handshake_complete() const noexcept { return session_.handshake_complete(); }
    /// The facts for Request::tls_info, computed on first use after the handshake and then shared.
    const std::shared_ptr<const TlsInfo> &info();

  private:
    void on_plaintext(std::string_view plaintext) override;
    void flush_to_wire();

    tls::TlsSession session_;
    core::OutputQueue wire_;
    Connection &connection_;
    std::string ciphertext_;  ///< records produced by the current call, moved into wire_
    std::shared_ptr<const TlsInfo> info_;
    bool close_notify_queued_ = false;
};

} // namespace engine::http
