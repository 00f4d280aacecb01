#include "ws/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "engine/ascii.hpp"

namespace engine::ws {
namespace {

constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t encoded_key_size = 24;      // base64 of 16 bytes
constexpr std::size_t encoded_key_payload = 22;   // characters before the "==" padding
constexpr std::size_t accept_key_size = 28;       // base64 of a 20-byte SHA-1 digest

constexpr bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// True when any header named `lowercase_name` lists `token`; a field may be sent several times.
bool any_header_lists_token(const engine::Request &request, std::string_view lowercase_name,
                            std::string_view token) noexcept {
    for (const auto &header : request.headers)
        if (header.name == lowercase_name && list_contains_token(header.value, token)) return true;
    return false;
}

UpgradeCheck refuse(UpgradeVerdict verdict, std::string_view reason) noexcept {
    UpgradeCheck check;
    check.verdict = verdict;
    check.reason = reason;
    return check;
}

} // namespace

bool is_valid_key(std::string_view key) noexcept {
    // Only the shape is checked: 22 base64 characters then "==" always decode to 16 bytes. Nonzero
    // unused low bits in the last character are tolerated, as common base64 decoders do.
    if (key.size() != encoded_key_size || key.substr(encoded_key_payload) != "==") return false;
    for (std::size_t i = 0; i < encoded_key_payload; ++i)
        if (!is_base64_char(key[i])) return false;
    return true;
}

UpgradeCheck check_upgrade(const engine::Request &request) noexcept {
    if (!any_header_lists_token(request, "upgrade", "websocket")) return refuse(UpgradeVerdict::not_websocket, {});
    if (request.method != "GET") return refuse(UpgradeVerdict::bad_request, "WebSocket upgrade needs GET");
    if (request.http_major < 1 || (request.http_major == 1 && request.http_minor < 1))
        return refuse(UpgradeVerdict::bad_request, "WebSocket upgrade needs HTTP/1.1");
    if (!any_header_lists_token(request, "connection", "upgrade"))
        return refuse(UpgradeVerdict::bad_request, "Connection header does not list upgrade");
    const auto version = request.header("sec-websocket-version");
    if (!version) return refuse(UpgradeVerdict::bad_request, "missing Sec-WebSocket-Version");
    if (*version != "13") return refuse(UpgradeVerdict::unsupported_version, "unsupported Sec-WebSocket-Version");
    const auto key = request.header("sec-websocket-key");
    if (!key || !is_valid_key(*key)) return refuse(UpgradeVerdict::bad_request, "invalid Sec-WebSocket-Key");
    UpgradeCheck check;
    check.verdict = UpgradeVerdict::accept;
    check.key = *key;
    return check;
}

std::string accept_key(std::string_view key) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    unsigned int digest_size = 0;
    const bool hashed = context && EVP_DigestInit_ex(context, EVP_sha1(), nullptr) == 1 &&
                        EVP_DigestUpdate(context, key.data(), key.size()) == 1 &&
                        EVP_DigestUpdate(context, handshake_guid.data(), handshake_guid.size()) == 1 &&
                        EVP_DigestFinal_ex(context, digest, &digest_size) == 1;
    EVP_MD_CTX_free(context);
    if (!hashed || digest_size != SHA_DIGEST_LENGTH) return {};

    // EVP_EncodeBlock writes the padded base64 text and a terminating NUL.
    char encoded[accept_key_size + 1];
    const int encoded_size = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(encoded), digest, SHA_DIGEST_LENGTH);
    return std::string(encoded, static_cast<std::size_t>(encoded_size));
}

std::vector<std::string_view> requested_subprotocols(const engine::Request &request) {
    std::vector<std::string_view> protocols;
    for (const auto &header : request.headers) {
        if (header.name != "sec-websocket-protocol") continue;
        for_each_list_item(header.value, [&protocols](std::string_view item) {
            protocols.push_back(item);
            return false;
        });
    }
    return protocols;
}

std::string join_subprotocols(const std::vector<std::string_view> &protocols) {
    std::string joined;
    for (const std::string_view protocol : protocols) {
        joined.append(protocol);
        joined.push_back(',');
    }
    return joined;
}

bool subprotocol_offered(std::string_view joined, std::string_view chosen) noexcept {
    if (!is_token(chosen)) return false;  // a token has no comma, so it cannot span two items
    while (!joined.empty()) {
        const std::size_t comma = joined.find(',');
        if (joined.substr(0, comma) == chosen) return true;
        if (comma == std::string_view::npos) break;
        joined.remove_prefix(comma + 1);
    }
    return false;
}

engine::ResponseHead accept_response_head(std::string_view key, std::string_view subprotocol,
                                          std::string_view extra_header_lines) {
    engine::ResponseHead head;
    head.status = 101;
    std::string &lines = head.header_lines;
    lines.reserve(96 + subprotocol.size() + extra_header_lines.size());
    lines.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    lines.append(accept_key(key));
    lines.append("\r\n");
    if (!subprotocol.empty()) {
        lines.append("Sec-WebSocket-Protocol: ");
        lines.append(subprotocol);
        lines.append("\r\n");
    }
    lines.append(extra_header_lines);
    return head;
}

engine::ResponseHead unsupported_version_response_head() {
    engine::ResponseHead head;
    head.status = 426;
    // RFC 9110 15.5.22: a 426 names the protocol to switch to; RFC 6455 4.4: and the versions spoken.
    head.header_lines = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
    head.content_length = 0;
    return head;
}

} // namespace engine::ws
