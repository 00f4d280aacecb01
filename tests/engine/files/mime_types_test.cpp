#include "files/mime_types.hpp"

#include <doctest/doctest.h>

using engine::files::default_mime_type;
using engine::files::mime_type_for;

TEST_CASE("mime_type_for: common web types") {
    CHECK(mime_type_for("index.html") == "text/html; charset=utf-8");
    CHECK(mime_type_for("site.css") == "text/css; charset=utf-8");
    CHECK(mime_type_for("app.js") == "text/javascript; charset=utf-8");
    CHECK(mime_type_for("mod.mjs") == "text/javascript; charset=utf-8");
    CHECK(mime_type_for("data.json") == "application/json");
    CHECK(mime_type_for("app.js.map") == "application/json");
    CHECK(mime_type_for("notes.txt") == "text/plain; charset=utf-8");
    CHECK(mime_type_for("feed.xml") == "text/xml; charset=utf-8");
    CHECK(mime_type_for("logo.svg") == "image/svg+xml");
    CHECK(mime_type_for("a.png") == "image/png");
    CHECK(mime_type_for("a.jpg") == "image/jpeg");
    CHECK(mime_type_for("a.jpeg") == "image/jpeg");
    CHECK(mime_type_for("a.gif") == "image/gif");
    CHECK(mime_type_for("a.webp") == "image/webp");
    CHECK(mime_type_for("a.avif") == "image/avif");
    CHECK(mime_type_for("favicon.ico") == "image/vnd.microsoft.icon");
    CHECK(mime_type_for("f.woff") == "font/woff");
    CHECK(mime_type_for("f.woff2") == "font/woff2");
    CHECK(mime_type_for("f.ttf") == "font/ttf");
    CHECK(mime_type_for("f.otf") == "font/otf");
    CHECK(mime_type_for("m.wasm") == "application/wasm");
    CHECK(mime_type_for("doc.pdf") == "application/pdf");
    CHECK(mime_type_for("a.zip") == "application/zip");
    CHECK(mime_type_for("a.tar.gz") == "application/gzip");
    CHECK(mime_type_for("v.mp4") == "video/mp4");
    CHECK(mime_type_for("v.webm") == "video/webm");
    CHECK(mime_type_for("s.mp3") == "audio/mpeg");
    CHECK(mime_type_for("s.ogg") == "audio/ogg");
    CHECK(mime_type_for("s.wav") == "audio/wav");
    CHECK(mime_type_for("t.csv") == "text/csv; charset=utf-8");
    CHECK(mime_type_for("README.md") == "text/markdown; charset=utf-8");
}

TEST_CASE("mime_type_for: case-insensitive, path-aware, default") {
    CHECK(mime_type_for("INDEX.HTML") == "text/html; charset=utf-8");
    CHECK(mime_type_for("Photo.JpG") == "image/jpeg");
    CHECK(mime_type_for("assets/v1.2/app.css") == "text/css; charset=utf-8");
    CHECK(mime_type_for("dir.html/file") == default_mime_type);  // the dot is in a directory name
    CHECK(mime_type_for("Makefile") == default_mime_type);
    CHECK(mime_type_for(".html") == default_mime_type);  // a dot-file, not an extension
    CHECK(mime_type_for("a.") == default_mime_type);
    CHECK(mime_type_for("a.unknownext") == default_mime_type);
    CHECK(mime_type_for("a.webmanifestx") == default_mime_type);  // longer than any known extension
    CHECK(mime_type_for("") == default_mime_type);
    CHECK(default_mime_type == "application/octet-stream");
}
