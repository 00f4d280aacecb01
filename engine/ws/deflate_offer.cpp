#include "ws/deflate_offer.hpp"

#include "engine/ascii.hpp"

#include <algorithm>

namespace engine::ws {
namespace {

constexpr std::string_view extension_name = "permessage-deflate";

/// "10" or "\"10\"" (7.1: a quoted-string whose content is the same token) -> 8..15, else 0.
std::uint8_t parse_window_bits(std::string_view value) noexcept {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty() || value.size() > 2) return 0;
    unsigned bits = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return 0;
        bits = bits * 10 + static_cast<unsigned>(c - '0');
    }
    if (value.size() == 2 && value.front() == '0') return 0;  // no leading zeros: the value is a plain 1*DIGIT
    return bits >= 8 && bits <= 15 ? static_cast<std::uint8_t>(bits) : 0;
}

/// One offer's parameters, as the client sent them.
struct Offer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::uint8_t server_max_window_bits = 0;  ///< 0: not offered
    bool client_max_window_bits_offered = false;
    std::uint8_t client_max_window_bits = 0;  ///< 0: offered without a value (or not at all)
};

/// Parses "; name[=value]" parameters; false for anything RFC 7692 7.1 makes a declining reason.
bool parse_parameters(std::string_view parameters, Offer &offer) {
    bool seen_server_bits = false;
    while (!parameters.empty()) {
        const std::size_t semicolon = parameters.find(';');
        const std::string_view item = trim_whitespace(parameters.substr(0, semicolon));
        parameters = semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
        if (item.empty()) return false;
        const std::size_t equals = item.find('=');
        const std::string_view name = trim_whitespace(item.substr(0, equals));
        const bool has_value = equals != std::string_view::npos;
        const std::string_view value = has_value ? trim_whitespace(item.substr(equals + 1)) : std::string_view{};
        if (equals_ignoring_ascii_case(name, "server_no_context_takeover")) {
            if (has_value || offer.server_no_context_takeover) return false;
            offer.server_no_context_takeover = true;
        } else if (equals_ignoring_ascii_case(name, "client_no_context_takeover")) {
            if (has_value || offer.client_no_context_takeover) return false;
            offer.client_no_context_takeover = true;
        } else if (equals_ignoring_ascii_case(name, "server_max_window_bits")) {
            if (!has_value || seen_server_bits) return false;
            seen_server_bits = true;
            offer.server_max_window_bits = parse_window_bits(value);
            if (offer.server_max_window_bits == 0) return false;
        } else if (equals_ignoring_ascii_case(name, "client_max_window_bits")) {
            if (offer.client_max_window_bits_offered) return false;
            offer.client_max_window_bits_offered = true;
            if (has_value) {
                offer.client_max_window_bits = parse_window_bits(value);
                if (offer.client_max_window_bits == 0) return false;
            }
        } else {
            return false;
        }
    }
    return true;
}

std::optional<DeflateAgreement> answer(const Offer &offer, const DeflatePolicy &policy) {
    DeflateAgreement agreement;
    agreement.server_no_context_takeover = offer.server_no_context_takeover || policy.server_no_context_takeover;
    agreement.client_no_context_takeover = policy.client_no_context_takeover;
    const std::uint8_t our_bits = std::clamp<std::uint8_t>(policy.server_max_window_bits, 9, 15);
    agreement.server_window_bits =
        offer.server_max_window_bits ? std::min(our_bits, offer.server_max_window_bits) : our_bits;
    if (agreement.server_window_bits < 9) return std::nullopt;  // zlib has no raw 8-bit window (see header)
    agreement.announce_server_window = offer.server_max_window_bits != 0 || agreement.server_window_bits < 15;
    if (offer.client_max_window_bits_offered) {
        const std::uint8_t limit = offer.client_max_window_bits ? offer.client_max_window_bits : 15;
        agreement.client_window_bits = std::min(std::clamp<std::uint8_t>(policy.client_max_window_bits, 8, 15), limit);
        agreement.announce_client_window = true;
    }
    return agreement;
}

} // namespace

std::optional<DeflateAgreement> negotiate_deflate(std::string_view header_values, const DeflatePolicy &policy) {
    while (!header_values.empty()) {
        const std::size_t comma = header_values.find(',');
        const std::string_view extension = trim_whitespace(header_values.substr(0, comma));
        header_values = comma == std::string_view::npos ? std::string_view{} : header_values.substr(comma + 1);
        const std::size_t semicolon = extension.find(';');
        if (!equals_ignoring_ascii_case(trim_whitespace(extension.substr(0, semicolon)), extension_name)) continue;
        Offer offer;
        const std::string_view parameters =
            semicolon == std::string_view::npos ? std::string_view{} : extension.substr(semicolon + 1);
        // "name;" is malformed
        if (semicolon != std::string_view::npos && trim_whitespace(parameters).empty()) continue;
        if (!parse_parameters(parameters, offer)) continue;
        if (auto agreement = answer(offer, policy)) return agreement;
    }
    return std::nullopt;
}

std::string deflate_response_value(const DeflateAgreement &agreement) {
    std::string value(extension_name);
    if (agreement.server_no_context_takeover) value += "; server_no_context_takeover";
    if (agreement.client_no_context_takeover) value += "; client_no_context_takeover";
    if (agreement.announce_server_window)
        value += "; server_max_window_bits=" + std::to_string(agreement.server_window_bits);
    if (agreement.announce_client_window)
        value += "; client_max_window_bits=" + std::to_string(agreement.client_window_bits);
    return value;
}

} // namespace engine::ws
