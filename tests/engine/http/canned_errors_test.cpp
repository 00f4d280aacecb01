#include "http/canned_errors.hpp"

#include <doctest/doctest.h>
#include <llhttp.h>

#include <cctype>
#include <map>
#include <string>

using engine::http::canned_error_may_keep_alive;
using engine::http::canned_status;
using engine::http::CannedError;
using engine::http::RequestFacts;
using engine::http::write_canned_error;

namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view server = "uring_granian";

/// A response as an independent parser (llhttp, strict response mode) sees it.
struct ParsedResponse {
    bool complete = false;
    unsigned status = 0;
    bool keep_alive = false;  ///< llhttp_should_keep_alive after the message
    std::map<std::string, std::string> headers;  ///< lowercase names
    std::string body;
    std::size_t messages = 0;

    /// The value of a header, or "(absent)".
    std::string header(const std::string &lowercase_name) const {
        const auto found = headers.find(lowercase_name);
        return found == headers.end() ? "(absent)" : found->second;
    }

    std::string field_in_progress;
    std::string value_in_progress;
};

int collect_field(llhttp_t *p, const char *at, std::size_t length) {
    static_cast<ParsedResponse *>(p->data)->field_in_progress.append(at, length);
    return 0;
}
int collect_value(llhttp_t *p, const char *at, std::size_t length) {
    static_cast<ParsedResponse *>(p->data)->value_in_progress.append(at, length);
    return 0;
}
int finish_header(llhttp_t *p) {
    auto &r = *static_cast<ParsedResponse *>(p->data);
    std::string name;
    for (char c : r.field_in_progress)
        name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    r.headers[name] = r.value_in_progress;
    r.field_in_progress.clear();
    r.value_in_progress.clear();
    return 0;
}
int collect_body(llhttp_t *p, const char *at, std::size_t length) {
    static_cast<ParsedResponse *>(p->data)->body.append(at, length);
    return 0;
}
int finish_message(llhttp_t *p) {
    auto &r = *static_cast<ParsedResponse *>(p->data);
    r.complete = true;
    r.status = llhttp_get_status_code(p);
    r.keep_alive = llhttp_should_keep_alive(p) != 0;
    ++r.messages;
    return 0;
}

/// `head_request`: the response answers a HEAD, so the parser must not expect a body.
ParsedResponse parse_response(const std::string &bytes, bool head_request = false) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_header_field = collect_field;
    settings.on_header_value = collect_value;
    settings.on_header_value_complete = finish_header;
    settings.on_body = collect_body;
    settings.on_message_complete = finish_message;
    if (head_request) settings.on_headers_complete = [](llhttp_t *) { return 1; };  // 1 = "no body follows"

    ParsedResponse result;
    llhttp_t parser;
    llhttp_init(&parser, HTTP_RESPONSE, &settings);
    parser.data = &result;
    const llhttp_errno_t error = llhttp_execute(&parser, bytes.data(), bytes.size());
    REQUIRE_MESSAGE(error == HPE_OK, llhttp_errno_name(error), " ", llhttp_get_error_reason(&parser));
    return result;
}

std::string canned(CannedError error, bool keep_alive) {
    std::string out;
    write_canned_error(out, error, date, server, keep_alive);
    return out;
}

constexpr auto error_count = static_cast<std::size_t>(CannedError::count_);

} // namespace

TEST_CASE("canned statuses") {
    CHECK(canned_status(CannedError::bad_request) == 400);
    CHECK(canned_status(CannedError::forbidden) == 403);
    CHECK(canned_status(CannedError::not_found) == 404);
    CHECK(canned_status(CannedError::method_not_allowed) == 405);
    CHECK(canned_status(CannedError::request_timeout) == 408);
    CHECK(canned_status(CannedError::payload_too_large) == 413);
    CHECK(canned_status(CannedError::uri_too_long) == 414);
    CHECK(canned_status(CannedError::range_not_satisfiable) == 416);
    CHECK(canned_status(CannedError::expectation_failed) == 417);
    CHECK(canned_status(CannedError::header_fields_too_large) == 431);
    CHECK(canned_status(CannedError::internal_error) == 500);
    CHECK(canned_status(CannedError::not_implemented) == 501);
    CHECK(canned_status(CannedError::service_unavailable) == 503);
    CHECK(canned_status(CannedError::http_version_not_supported) == 505);
    CHECK(canned_status(CannedError::count_) == 500);
}

TEST_CASE("exact bytes of a canned error") {
    SUBCASE("404 that keeps the connection") {
        CHECK(canned(CannedError::not_found, true) == "HTTP/1.1 404 Not Found\r\n"
                                                      "Content-Type: text/plain; charset=utf-8\r\n"
                                                      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                                      "Server: uring_granian\r\n"
                                                      "Content-Length: 10\r\n"
                                                      "\r\n"
                                                      "Not Found\n");
    }
    SUBCASE("400 always closes") {
        CHECK(canned(CannedError::bad_request, true) == "HTTP/1.1 400 Bad Request\r\n"
                                                        "Content-Type: text/plain; charset=utf-8\r\n"
                                                        "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                                        "Server: uring_granian\r\n"
                                                        "Content-Length: 12\r\n"
                                                        "Connection: close\r\n"
                                                        "\r\n"
                                                        "Bad Request\n");
    }
}

TEST_CASE("every canned error is a valid response") {
    for (std::size_t index = 0; index < error_count; ++index) {
        const auto error = static_cast<CannedError>(index);
        CAPTURE(index);
        for (bool asked_keep_alive : {false, true}) {
            CAPTURE(asked_keep_alive);
            const ParsedResponse r = parse_response(canned(error, asked_keep_alive));
            CHECK(r.complete);
            CHECK(r.messages == 1);
            CHECK(r.status == canned_status(error));
            CHECK(r.header("content-type") == "text/plain; charset=utf-8");
            CHECK(r.header("date") == date);
            CHECK(r.header("server") == server);
            CHECK(r.header("content-length") == std::to_string(r.body.size()));
            CHECK(r.body == std::string(engine::http::reason_phrase(r.status)) + "\n");
            const bool kept = asked_keep_alive && canned_error_may_keep_alive(error);
            CHECK(r.keep_alive == kept);
            CHECK(r.header("connection") == (kept ? "(absent)" : "close"));
        }
    }
}

TEST_CASE("which errors may keep the connection") {
    for (std::size_t index = 0; index < error_count; ++index) {
        const auto error = static_cast<CannedError>(index);
        const std::uint16_t status = canned_status(error);
        CAPTURE(status);
        const bool resource_error = status == 403 || status == 404 || status == 405 || status == 416;
        CHECK(canned_error_may_keep_alive(error) == resource_error);
    }
}

TEST_CASE("canned errors for a parsed request") {
    SUBCASE("HEAD gets the length and no body") {
        std::string out;
        const auto framing =
            write_canned_error(out, CannedError::not_found, RequestFacts{1, true, true}, date, server, true);
        CHECK_FALSE(framing.body_allowed);
        CHECK(framing.keep_alive);
        CHECK(out.ends_with("Content-Length: 10\r\n\r\n"));
        const ParsedResponse r = parse_response(out, true);
        CHECK(r.complete);
        CHECK(r.status == 404);
        CHECK(r.body.empty());
    }
    SUBCASE("HTTP/1.0 keep-alive is announced") {
        std::string out;
        const auto framing =
            write_canned_error(out, CannedError::forbidden, RequestFacts{0, false, true}, date, server, true);
        CHECK(framing.keep_alive);
        const ParsedResponse r = parse_response(out);
        CHECK(r.header("connection") == "keep-alive");
        CHECK(r.body == "Forbidden\n");
    }
    SUBCASE("client that asked to close") {
        std::string out;
        const auto framing =
            write_canned_error(out, CannedError::not_found, RequestFacts{1, false, false}, date, server, true);
        CHECK_FALSE(framing.keep_alive);
        CHECK(parse_response(out).header("connection") == "close");
    }
    SUBCASE("extra header lines, e.g. Allow for 405") {
        std::string out;
        write_canned_error(out, CannedError::method_not_allowed, RequestFacts{}, date, server, true,
                           "Allow: GET, HEAD\r\n");
        const ParsedResponse r = parse_response(out);
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "GET, HEAD");
        CHECK(r.header("content-type") == "text/plain; charset=utf-8");
        CHECK(r.body == "Method Not Allowed\n");
    }
    SUBCASE("a protocol error closes even when the caller would keep the connection") {
        std::string out;
        const auto framing =
            write_canned_error(out, CannedError::payload_too_large, RequestFacts{}, date, server, true);
        CHECK_FALSE(framing.keep_alive);
        CHECK(parse_response(out).status == 413);
    }
}
