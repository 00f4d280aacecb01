#pragma once
// The syntax check of a Host header value. RFC 9112 3.2 wants a 400 for an invalid one: proxies and
// applications that route or build URLs from Host must not each decide alone what a malformed value means.

#include <string_view>

namespace engine::http {

/// True when `value` (already stripped of surrounding whitespace) is `uri-host [ ":" port ]` of RFC 3986
/// (RFC 9110 7.2): a reg-name (unreserved, pct-encoded, sub-delims; an IPv4 address is one), or an
/// IP-literal `[IPv6address]` / `[vX.future]`, then optionally ':' and decimal digits. The empty value is
/// valid (RFC 9112 3.2: sent when the target URI has no authority), as is an empty port (`port = *DIGIT`).
bool is_valid_host(std::string_view value) noexcept;

} // namespace engine::http
