// A built-in table rather than /etc/mime.types (Debian's media-types): answers must not change with
// what the host has installed, that file is absent from slim containers, and it carries no charset.
#include "files/mime_types.hpp"

#include <algorithm>
#include <array>

#include "engine/ascii.hpp"

namespace engine::files {
namespace {

struct MimeEntry {
    std::string_view extension;  ///< lowercase, without the dot
    std::string_view type;
};

// Sorted by extension (checked below) so lookup is a binary search.
constexpr std::array mime_table{
    MimeEntry{"7z", "application/x-7z-compressed"},
    MimeEntry{"aac", "audio/aac"},
    MimeEntry{"apng", "image/apng"},
    MimeEntry{"avif", "image/avif"},
    MimeEntry{"bmp", "image/bmp"},
    MimeEntry{"br", "application/x-brotli"},
    MimeEntry{"bz2", "application/x-bzip2"},
    MimeEntry{"cjs", "text/javascript; charset=utf-8"},
    MimeEntry{"css", "text/css; charset=utf-8"},
    MimeEntry{"csv", "text/csv; charset=utf-8"},
    MimeEntry{"eot", "application/vnd.ms-fontobject"},
    MimeEntry{"epub", "application/epub+zip"},
    MimeEntry{"flac", "audio/flac"},
    MimeEntry{"gif", "image/gif"},
    MimeEntry{"gz", "application/gzip"},
    MimeEntry{"htm", "text/html; charset=utf-8"},
    MimeEntry{"html", "text/html; charset=utf-8"},
    MimeEntry{"ico", "image/vnd.microsoft.icon"},
    MimeEntry{"ics", "text/calendar; charset=utf-8"},
    MimeEntry{"jpeg", "image/jpeg"},
    MimeEntry{"jpg", "image/jpeg"},
    MimeEntry{"js", "text/javascript; charset=utf-8"},
    MimeEntry{"json", "application/json"},
    MimeEntry{"jsonld", "application/ld+json"},
    MimeEntry{"m4a", "audio/mp4"},
    MimeEntry{"manifest", "application/manifest+json"},
    MimeEntry{"map", "application/json"},
    MimeEntry{"md", "text/markdown; charset=utf-8"},
    MimeEntry{"mjs", "text/javascript; charset=utf-8"},
    MimeEntry{"mov", "video/quicktime"},
    MimeEntry{"mp3", "audio/mpeg"},
    MimeEntry{"mp4", "video/mp4"},
    MimeEntry{"mpeg", "video/mpeg"},
    MimeEntry{"oga", "audio/ogg"},
    MimeEntry{"ogg", "audio/ogg"},
    MimeEntry{"ogv", "video/ogg"},
    MimeEntry{"opus", "audio/opus"},
    MimeEntry{"otf", "font/otf"},
    MimeEntry{"pdf", "application/pdf"},
    MimeEntry{"png", "image/png"},
    MimeEntry{"rss", "application/rss+xml"},
    MimeEntry{"svg", "image/svg+xml"},
    MimeEntry{"tar", "application/x-tar"},
    MimeEntry{"tif", "image/tiff"},
    MimeEntry{"tiff", "image/tiff"},
    MimeEntry{"ts", "video/mp2t"},
    MimeEntry{"ttf", "font/ttf"},
    MimeEntry{"txt", "text/plain; charset=utf-8"},
    MimeEntry{"vtt", "text/vtt; charset=utf-8"},
    MimeEntry{"wasm", "application/wasm"},
    MimeEntry{"wav", "audio/wav"},
    MimeEntry{"webm", "video/webm"},
    MimeEntry{"webmanifest", "application/manifest+json"},
    MimeEntry{"webp", "image/webp"},
    MimeEntry{"woff", "font/woff"},
    MimeEntry{"woff2", "font/woff2"},
    MimeEntry{"xhtml", "application/xhtml+xml"},
    MimeEntry{"xml", "text/xml; charset=utf-8"},
    MimeEntry{"yaml", "application/yaml"},
    MimeEntry{"yml", "application/yaml"},
    MimeEntry{"zip", "application/zip"},
    MimeEntry{"zst", "application/zstd"},
};

constexpr bool extension_less(const MimeEntry &a, const MimeEntry &b) noexcept { return a.extension < b.extension; }
static_assert(std::is_sorted(mime_table.begin(), mime_table.end(), extension_less), "keep mime_table sorted");
static_assert(std::adjacent_find(mime_table.begin(), mime_table.end(),
                                 [](const MimeEntry &a, const MimeEntry &b) { return a.extension == b.extension; }) ==
                  mime_table.end(),
              "one entry per extension");

constexpr std::size_t longest_extension =
    std::max_element(mime_table.begin(), mime_table.end(), [](const MimeEntry &a, const MimeEntry &b) {
        return a.extension.size() < b.extension.size();
    })->extension.size();

} // namespace

std::string_view mime_type_for(std::string_view file_name) noexcept {
    std::size_t slash = file_name.rfind('/');
    if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
    std::size_t dot = file_name.rfind('.');
    // No dot, or only a leading one (".bashrc" is a name, not an extension).
    if (dot == std::string_view::npos || dot == 0) return default_mime_type;
    std::string_view extension = file_name.substr(dot + 1);
    if (extension.empty() || extension.size() > longest_extension) return default_mime_type;

    char lowered[longest_extension];
    for (std::size_t i = 0; i < extension.size(); ++i) lowered[i] = to_lower_ascii(extension[i]);
    MimeEntry key{std::string_view(lowered, extension.size()), {}};
    auto found = std::lower_bound(mime_table.begin(), mime_table.end(), key, extension_less);
    if (found == mime_table.end() || found->extension != key.extension) return default_mime_type;
    return found->type;
}

} // namespace engine::files
