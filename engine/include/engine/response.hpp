#pragma once
// What a handler sends back: a head, then body parts, the last one marked `end`. A single part
// may carry head, body and end together, which the engine turns into one gathered send.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace engine {

/// Who takes back the bytes of the ExternalBuffers it lent. The engine calls release(ctx) exactly once per
/// buffer, on the reactor thread, after the kernel is done with the bytes (for zero-copy sends, after the
/// notification completion), or when the exchange is dropped. A lender is an object of its own (the Python bridge
/// has one per server), so a release reaches it without a global; it must outlive the engine.
class BufferLender {
  public:
    virtual void release(void *ctx) noexcept = 0;

  protected:
    ~BufferLender() = default;
};

/// Body bytes the engine does not own. It reads [data, data+size) until it calls lender->release(ctx).
struct ExternalBuffer {
    const char *data = nullptr;
    std::size_t size = 0;
    BufferLender *lender = nullptr;  ///< nullptr: nothing to give back (bytes that outlive the engine)
    void *ctx = nullptr;
};

/// Gives `buffer` back to its lender, if it has one.
inline void give_back(const ExternalBuffer &buffer) noexcept {
    if (buffer.lender != nullptr) buffer.lender->release(buffer.ctx);
}

/// A region of an open file, sent zero-copy (sendfile() from the page cache). The engine owns `fd`
/// from the moment the part is handed over and closes it when done.
struct FileRegion {
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct ResponseHead {
    std::uint16_t status = 200;
    /// Header lines, each "Name: value\r\n", already validated by the producer (no CR/LF/NUL inside
    /// names or values). The engine adds Date, Server, Content-Length or Transfer-Encoding, and
    /// Connection; a producer must not put those in here (Content-Length goes in the field below),
    /// except Date and Server when it sets has_date / has_server.
    std::string header_lines;
    /// Body length if known. nullopt: chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0.
    std::optional<std::uint64_t> content_length;
    bool close = false;  ///< ask for Connection: close after this response
    /// header_lines already carry the producer's own Date / Server: the engine leaves its own out.
    bool has_date = false;
    bool has_server = false;
};

using Body = std::variant<std::monostate, std::string, ExternalBuffer, FileRegion>;

struct ResponsePart {
    std::optional<ResponseHead> head;  ///< set on the first part only
    Body body;                         ///< may be empty
    bool end = false;                  ///< this part completes the response
    bool notify_sent = false;          ///< call Handler::on_sent once this part is fully sent
    /// On the last part (`end`): trailer fields, "Name: value\r\n" lines validated by the producer as
    /// header_lines are. HTTP/2 sends them as a HEADERS frame that ends the stream; HTTP/1.1 in the trailer
    /// section of a chunked body, and drops them from a response that is not chunked (one with a
    /// Content-Length, to an HTTP/1.0 client, or without a body). Fields RFC 9110 6.5.1 forbids as trailers
    /// (framing, routing, authentication, content metadata) are always dropped.
    std::string trailer_lines;
};

/// Convenience: a complete response with an owned body.
inline ResponsePart make_response(std::uint16_t status, std::string header_lines, std::string body) {
    ResponsePart part;
    part.head = ResponseHead{status, std::move(header_lines), body.size(), false};
    part.body = std::move(body);
    part.end = true;
    return part;
}

} // namespace engine
