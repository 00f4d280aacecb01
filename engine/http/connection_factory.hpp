#pragma once
// Makes the HTTP/1 connections of one reactor and holds what they share there: the Date header cache
// and the TLS context (when the listeners speak HTTPS). One per reactor, so nothing here is locked.

#include "core/stream.hpp"
#include "http/date_cache.hpp"

#include <memory>
#include <string_view>

namespace engine::tls {
class TlsContext;
}

namespace engine::http {

class ConnectionFactory final : public core::StreamFactory {
  public:
    /// `tls` null: plain HTTP.
    explicit ConnectionFactory(std::shared_ptr<const tls::TlsContext> tls) : tls_(std::move(tls)) {}

    std::unique_ptr<core::Stream> make_stream(core::StreamHost &host, std::uint32_t slot) override;

    /// The current Date header value (reformatted once per second).
    std::string_view date() noexcept { return dates_.now(); }
    const tls::TlsContext *tls_context() const noexcept { return tls_.get(); }

  private:
    DateCache dates_;
    std::shared_ptr<const tls::TlsContext> tls_;
};

} // namespace engine::http
