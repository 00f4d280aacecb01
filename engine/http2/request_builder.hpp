#pragma once
// Turns one HTTP/2 request's header fields (as nghttp2 delivers them: decoded, validated against RFC 9113 8.2
// and 8.3, pseudo-header fields first) into the engine's Request, so handlers see an HTTP/2 request exactly as
// an HTTP/1 one: `:method` and `:path` as the request line, `:authority` as Host (RFC 9113 8.3.1), split
// `cookie` fields joined again (RFC 9113 8.2.3). The HTTP/1 header limits apply per stream.

#include "engine/config.hpp"
#include "engine/request.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace engine::http2 {

class RequestBuilder {
  public:
    enum class Verdict : std::uint8_t {
        ok,
        too_large,        ///< over Limits::max_header_bytes or max_header_count: 431
        bad_request,      ///< a missing or malformed pseudo-header field, a bad content-length: 400
        connect,          ///< CONNECT (a tunnel) is not served: 405
    };

    /// Reserves room for a typical request's fields at once: grown from empty, the storage and the field list
    /// reallocated several times per request.
    explicit RequestBuilder(const Limits &limits) : limits_(limits) {
        storage_.reserve(typical_storage_bytes);
        fields_.reserve(typical_field_count);
    }

    /// One field; names arrive lowercased (nghttp2 rejects uppercase ones).
    void add(std::string_view name, std::string_view value);
    /// After the last field of the header block. `end_stream`: the HEADERS frame ended the stream, so the
    /// request has no body. On `ok`, request() holds the request.
    Verdict finish(bool end_stream);
    std::unique_ptr<Request> take_request() noexcept { return std::move(request_); }

  private:
    static constexpr std::size_t typical_storage_bytes = 512;
    static constexpr std::size_t typical_field_count = 16;

    struct Field {
        std::size_t name_offset, name_size, value_offset, value_size;
    };
    struct Span {
        std::size_t offset = 0, size = 0;
        bool present = false;
    };

    const Limits &limits_;
    std::string storage_;
    std::vector<Field> fields_;
    Span method_, path_, authority_, scheme_;
    std::size_t header_bytes_ = 0;
    bool too_large_ = false;
    std::unique_ptr<Request> request_;
};

} // namespace engine::http2
