#pragma once
// HTTP dates (RFC 9110 section 5.6.7): formatting the Date header once per second per reactor, and
// parsing the three date forms a recipient must accept (If-Modified-Since and friends).

#include <cstddef>
#include <ctime>
#include <optional>
#include <string_view>

namespace engine::http {

/// Length of an IMF-fixdate such as "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_length = 29;

/// Writes `when` (seconds since the epoch, UTC) as an IMF-fixdate. Not NUL-terminated.
void format_http_date(std::time_t when, char (&out)[http_date_length]) noexcept;

/// Parses an IMF-fixdate, or one of the obsolete forms RFC 9110 asks recipients to accept:
/// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
/// Returns nullopt for anything else, including impossible dates (31 Apr) and trailing bytes.
/// A two-digit RFC 850 year more than 50 years ahead of `now` is taken as the most recent
/// past year with those digits, as the RFC requires.
std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now) noexcept;
/// Same, with `now` read from the wall clock (only consulted for RFC 850 dates).
std::optional<std::time_t> parse_http_date(std::string_view text);

/// The current Date header value for one reactor thread: reformatted only when the wall-clock
/// second changes. Not shared between threads and holds no lock.
class DateCache {
  public:
    DateCache();
    /// At most one clock read (CLOCK_REALTIME_COARSE, served from the vDSO) per call; the view
    /// stays valid until the next call to now() or refresh().
    std::string_view now() noexcept;
    /// The value as of the last now() or refresh(), without reading the clock (for a reactor that
    /// calls now() once per loop iteration).
    std::string_view current() const noexcept { return {text_, http_date_length}; }
    /// Formats `when` now; used by now() and by tests to pin the clock.
    void refresh(std::time_t when) noexcept;

  private:
    std::time_t cached_second_ = -1;
    char text_[http_date_length] = {};
};

} // namespace engine::http
