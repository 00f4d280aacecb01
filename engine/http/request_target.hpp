#pragma once
// The four forms of a request-target (RFC 9112 3.2), for the targets that do not start with '/'. The parser
// turns every accepted request into origin-form + Host before anyone sees it, so the handlers (static files,
// ASGI, WSGI) never learn which form the client used: an absolute-form target becomes its path, query and
// authority here, once, instead of in each of them.

#include <cstdint>
#include <string_view>

namespace engine::http {

enum class TargetForm : std::uint8_t {
    origin,    ///< "/p?q": what almost every request uses; the parser splits it without calling here
    absolute,  ///< "http://host:port/p?q" (3.2.2): a server MUST accept it
    authority, ///< "host:port" (3.2.3): only CONNECT
    asterisk,  ///< "*" (3.2.4): only server-wide OPTIONS
};

/// A target split into what an origin-form request would carry. The views point into the target.
struct TargetParts {
    TargetForm form = TargetForm::origin;
    std::string_view path;      ///< raw (percent-encoded) path; "/" when an absolute-form target has none; "*"
    std::string_view query;     ///< after the first '?', without it
    std::string_view authority; ///< absolute- and authority-form: `uri-host [":" port]`, to be used as Host
};

/// Splits `target` whatever its form (an origin-form one too, though the parser splits those itself). Returns
/// why the target is none of the four forms, or nullptr. Checked here: the absolute-form scheme is http or https
/// (case-insensitive) followed by "//"; its authority is a valid Host value with a non-empty host and no
/// userinfo (RFC 9110 4.2.1 and 4.2.4 want both rejected); an authority-form target is `uri-host ":" port` with
/// both parts present; the asterisk-form is "*" alone. Which method may use which form is the caller's rule.
const char *split_request_target(std::string_view target, TargetParts &parts) noexcept;

} // namespace engine::http
