#include "http/tls_transport.hpp"

#include "http/connection.hpp"
#include "tls/tls_error.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace engine::http {

namespace {

// Plaintext encrypted per step. The reactor sends one step's ciphertext before encrypting more, so
// this bounds the ciphertext a connection holds and keeps the handler's back-pressure meaningful.
constexpr std::size_t encrypt_step = 256 * 1024;

} // namespace

TlsTransport::TlsTransport(const tls::TlsContext &context, core::SendBufferPool &pool, Connection &connection)
    : session_(context), wire_(pool), connection_(connection) {}

void TlsTransport::flush_to_wire() {
    if (ciphertext_.empty()) return;
    wire_.append_owned(std::move(ciphertext_));
    ciphertext_ = std::string();
}

void TlsTransport::on_plaintext(std::string_view plaintext) { connection_.on_plaintext(plaintext); }

std::error_code TlsTransport::on_ciphertext(std::string_view ciphertext) {
    const std::error_code error = session_.feed_ciphertext(ciphertext, *this, ciphertext_);
    if (error) return error;  // ciphertext_ keeps the alert for send_alert_now()
    flush_to_wire();
    return {};
}

std::error_code TlsTransport::encrypt_queued(core::OutputQueue &plaintext, std::vector<ExchangeId> &sent) {
    iovec vectors[16];
    std::size_t encrypted = 0;
    while (encrypted < encrypt_step && !plaintext.empty() && !plaintext.front_is_file()) {
        std::size_t total = 0;
        const std::size_t count = plaintext.gather(vectors, std::size(vectors), total);
        std::size_t taken = 0;
        for (std::size_t i = 0; i < count && encrypted + taken < encrypt_step; ++i) {
            const std::size_t length = std::min(vectors[i].iov_len, encrypt_step - encrypted - taken);
            if (auto error = session_.write_plaintext({static_cast<const char *>(vectors[i].iov_base), length},
                                                      ciphertext_))
                return error;
            taken += length;
        }
        // The bytes are copied into records: release the plaintext now (count 0 fires due notifications).
        plaintext.consume(taken, false, sent);
        encrypted += taken;
    }
    flush_to_wire();
    return {};
}

std::error_code TlsTransport::encrypt_file_step(core::OutputQueue &plaintext, std::vector<ExchangeId> &sent) {
    // Without kTLS the kernel cannot encrypt for us, so file bytes come up into memory to be sealed
    // into records. With the `tls` ULP (absent on these machines, see tls/ktls.hpp) the records would
    // be made in the kernel and the file sent with sendfile() as on a plain connection.
    // The read is a plain pread on the reactor thread: a page-cache hit costs a copy, but a cold file
    // blocks this reactor for the disk read; an IORING_OP_READ into this buffer would avoid that.
    const FileRegion &file = plaintext.front().file;
    std::string chunk(static_cast<std::size_t>(std::min<std::uint64_t>(file.length, encrypt_step)), '\0');
    std::size_t filled = 0;
    while (filled < chunk.size()) {
        const ssize_t got = ::pread(file.fd, chunk.data() + filled, chunk.size() - filled,
                                    static_cast<off_t>(file.offset + filled));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return {errno, std::generic_category()};
        if (got == 0) return std::make_error_code(std::errc::io_error);  // the file shrank under us
        filled += static_cast<std::size_t>(got);
    }
    if (auto error = session_.write_plaintext(chunk, ciphertext_)) return error;
    plaintext.consume_file(chunk.size(), sent);
    flush_to_wire();
    return {};
}

bool TlsTransport::queue_close_notify() {
    if (close_notify_queued_) return false;
    close_notify_queued_ = true;
    session_.close_notify(ciphertext_);
    const bool queued = !ciphertext_.empty();
    flush_to_wire();
    return queued;
}

void TlsTransport::send_alert_now(int fd) noexcept {
    // The connection is torn down right after; a non-blocking send on the error path is simpler than
    // keeping a dying connection around until its alert has gone through the ring.
    if (!ciphertext_.empty()) (void)::send(fd, ciphertext_.data(), ciphertext_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ciphertext_.clear();
}

const std::shared_ptr<const TlsInfo> &TlsTransport::info() {
    if (!info_) info_ = std::make_shared<const TlsInfo>(session_.peer_info());
    return info_;
}

} // namespace engine::http
