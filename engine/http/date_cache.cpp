#include "http/date_cache.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace engine::http {
namespace {

// English names are fixed by the grammar, so they are tables here rather than strftime/strptime,
// whose %a/%b follow the process locale (Python may change it) and whose parsing is lenient about
// widths and whitespace where RFC 9110 is not. The calendar arithmetic itself is std::chrono's.
constexpr std::array<std::string_view, 7> short_day_names = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_day_names = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                            "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::int64_t seconds_per_day = 86'400;

void put_two_digits(char *at, unsigned value) noexcept {
    at[0] = static_cast<char>('0' + value / 10);
    at[1] = static_cast<char>('0' + value % 10);
}

void put_text(char *at, std::string_view text) noexcept {
    for (char c : text)
        *at++ = c;
}

/// A forward-only reader over the date text; every accessor fails (returns false) instead of
/// reading past the end, so a truncated date is simply rejected.
class Cursor {
  public:
    explicit Cursor(std::string_view text) noexcept : text_(text) {}

    bool literal(std::string_view expected) noexcept {
        if (text_.substr(pos_, expected.size()) != expected) return false;
        pos_ += expected.size();
        return true;
    }
    /// Exactly `width` decimal digits.
    bool digits(std::size_t width, int &value) noexcept {
        if (text_.size() - pos_ < width) return false;
        value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            char c = text_[pos_ + i];
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        pos_ += width;
        return true;
    }
    /// One of `names`, compared case-sensitively as the grammar's "%s" literals require.
    template <std::size_t N> bool name(const std::array<std::string_view, N> &names, int &index) noexcept {
        for (std::size_t i = 0; i < N; ++i)
            if (literal(names[i])) {
                index = static_cast<int>(i);
                return true;
            }
        return false;
    }
    bool at_end() const noexcept { return pos_ == text_.size(); }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

struct DateFields {
    int year = 0, month_index = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool read_time_of_day(Cursor &in, DateFields &f) noexcept {
    return in.digits(2, f.hour) && in.literal(":") && in.digits(2, f.minute) && in.literal(":") &&
           in.digits(2, f.second);
}

/// "Sun, 06 Nov 1994 08:49:37 GMT"
bool read_imf_fixdate(Cursor &in, DateFields &f) noexcept {
    int weekday = 0;
    return in.name(short_day_names, weekday) && in.literal(", ") && in.digits(2, f.day) && in.literal(" ") &&
           in.name(month_names, f.month_index) && in.literal(" ") && in.digits(4, f.year) && in.literal(" ") &&
           read_time_of_day(in, f) && in.literal(" GMT") && in.at_end();
}

/// "Sunday, 06-Nov-94 08:49:37 GMT"; the year is two digits, resolved by the caller.
bool read_rfc850_date(Cursor &in, DateFields &f) noexcept {
    int weekday = 0;
    return in.name(long_day_names, weekday) && in.literal(", ") && in.digits(2, f.day) && in.literal("-") &&
           in.name(month_names, f.month_index) && in.literal("-") && in.digits(2, f.year) && in.literal(" ") &&
           read_time_of_day(in, f) && in.literal(" GMT") && in.at_end();
}

/// "Sun Nov  6 08:49:37 1994": the day is either two digits or a space and one digit.
bool read_asctime_date(Cursor &in, DateFields &f) noexcept {
    int weekday = 0;
    if (!(in.name(short_day_names, weekday) && in.literal(" ") && in.name(month_names, f.month_index) &&
          in.literal(" ")))
        return false;
    if (!(in.literal(" ") ? in.digits(1, f.day) : in.digits(2, f.day))) return false;
    return in.literal(" ") && read_time_of_day(in, f) && in.literal(" ") && in.digits(4, f.year) && in.at_end();
}

std::optional<std::time_t> to_epoch_seconds(const DateFields &f) noexcept {
    // Second 60 is a leap second, which the grammar allows; it counts as the next minute's first.
    if (f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year{f.year},
                                           std::chrono::month{static_cast<unsigned>(f.month_index + 1)},
                                           std::chrono::day{static_cast<unsigned>(f.day)}};
    if (!date.ok()) return std::nullopt;
    const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
    return static_cast<std::time_t>(days * seconds_per_day + f.hour * 3600 + f.minute * 60 + f.second);
}

int year_of(std::time_t when) noexcept {
    const auto day = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{std::chrono::seconds{when}});
    return static_cast<int>(std::chrono::year_month_day{day}.year());
}

} // namespace

void format_http_date(std::time_t when, char (&out)[http_date_length]) noexcept {
    using namespace std::chrono;
    const sys_seconds instant{seconds{when}};
    const sys_days day = floor<days>(instant);
    const year_month_day date{day};
    const hh_mm_ss<seconds> time{instant - day};
    const int year = static_cast<int>(date.year());

    // Layout: "Sun, 06 Nov 1994 08:49:37 GMT"
    //          0    5  8   12   17 20 23 26
    put_text(out, short_day_names[weekday{day}.c_encoding()]);
    put_text(out + 3, ", ");
    put_two_digits(out + 5, static_cast<unsigned>(date.day()));
    out[7] = ' ';
    put_text(out + 8, month_names[static_cast<unsigned>(date.month()) - 1]);
    out[11] = ' ';
    // IMF-fixdate has exactly four year digits; years outside 0..9999 cannot be written and are clamped.
    const unsigned four_digit_year = static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year);
    put_two_digits(out + 12, four_digit_year / 100);
    put_two_digits(out + 14, four_digit_year % 100);
    out[16] = ' ';
    put_two_digits(out + 17, static_cast<unsigned>(time.hours().count()));
    out[19] = ':';
    put_two_digits(out + 20, static_cast<unsigned>(time.minutes().count()));
    out[22] = ':';
    put_two_digits(out + 23, static_cast<unsigned>(time.seconds().count()));
    put_text(out + 25, " GMT");
}

std::optional<std::time_t> parse_http_date(std::string_view text, std::time_t now) noexcept {
    // The fourth byte tells the forms apart: "Sun," (IMF-fixdate), "Sun " (asctime), "Sunday," (RFC 850).
    DateFields fields;
    Cursor in(text);
    const char fourth = text.size() > 3 ? text[3] : '\0';
    if (fourth == ',') {
        if (!read_imf_fixdate(in, fields)) return std::nullopt;
    } else if (fourth == ' ') {
        if (!read_asctime_date(in, fields)) return std::nullopt;
    } else {
        if (!read_rfc850_date(in, fields)) return std::nullopt;
        // RFC 9110 5.6.7: a two-digit year that appears to be more than 50 years in the future
        // means the most recent past year with the same last two digits.
        const int current_year = year_of(now);
        int year = current_year - current_year % 100 + fields.year;
        if (year > current_year + 50) year -= 100;
        fields.year = year;
    }
    return to_epoch_seconds(fields);
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
    return parse_http_date(text, std::time(nullptr));
}

DateCache::DateCache() { refresh(std::time(nullptr)); }

std::string_view DateCache::now() noexcept {
    // The coarse clock is read from the vDSO without a syscall; its few-millisecond resolution
    // is far finer than the one-second resolution of the header.
    timespec wall{};
    clock_gettime(CLOCK_REALTIME_COARSE, &wall);
    if (wall.tv_sec != cached_second_) refresh(wall.tv_sec);
    return current();
}

void DateCache::refresh(std::time_t when) noexcept {
    format_http_date(when, text_);
    cached_second_ = when;
}

} // namespace engine::http
