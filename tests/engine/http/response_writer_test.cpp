#include "http/response_writer.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::ResponseHead;
using engine::http::chunk_suffix;
using engine::http::last_chunk;
using engine::http::reason_phrase;
using engine::http::RequestFacts;
using engine::http::ResponseFraming;
using engine::http::ResponseHeadView;
using engine::http::write_chunk_prefix;
using engine::http::write_response_head;

namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view server = "uring_granian";
constexpr std::string_view date_and_server = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: uring_granian\r\n";

constexpr RequestFacts http11{1, false, true};
constexpr RequestFacts http11_close{1, false, false};
constexpr RequestFacts http11_head{1, true, true};
constexpr RequestFacts http10{0, false, false};
constexpr RequestFacts http10_keep_alive{0, false, true};
constexpr RequestFacts http10_head{0, true, false};

ResponseHead make_head(std::uint16_t status, std::optional<std::uint64_t> length, std::string lines = {},
                       bool close = false) {
    return ResponseHead{status, std::move(lines), length, close};
}

struct Written {
    std::string bytes;
    ResponseFraming framing;
};

Written write(const ResponseHead &head, const RequestFacts &req, bool server_keep_alive = true) {
    Written result;
    result.framing = write_response_head(result.bytes, head, req, server_keep_alive, date, server);
    return result;
}

std::string expected(std::string_view status_line, std::string_view tail, std::string_view lines = {}) {
    std::string text(status_line);
    text += "\r\n";
    text += lines;
    text += date_and_server;
    text += tail;
    text += "\r\n";
    return text;
}

void check_framing(const ResponseFraming &f, bool body_allowed, bool chunked, bool close_delimited,
                   bool keep_alive) {
    CHECK(f.body_allowed == body_allowed);
    CHECK(f.chunked == chunked);
    CHECK(f.close_delimited == close_delimited);
    CHECK(f.keep_alive == keep_alive);
}

} // namespace

TEST_CASE("response head for HTTP/1.1 clients") {
    SUBCASE("known length keeps the connection without saying so") {
        const auto w = write(make_head(200, 13, "Content-Type: text/plain\r\n"), http11);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 13\r\n", "Content-Type: text/plain\r\n"));
        check_framing(w.framing, true, false, false, true);
    }
    SUBCASE("zero length") {
        const auto w = write(make_head(200, 0), http11);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 0\r\n"));
        check_framing(w.framing, true, false, false, true);
    }
    SUBCASE("largest length") {
        const auto w = write(make_head(200, UINT64_MAX), http11);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 18446744073709551615\r\n"));
    }
    SUBCASE("unknown length is chunked") {
        const auto w = write(make_head(200, std::nullopt), http11);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n"));
        check_framing(w.framing, true, true, false, true);
    }
    SUBCASE("client asked to close") {
        const auto w = write(make_head(200, 5), http11_close);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 5\r\nConnection: close\r\n"));
        check_framing(w.framing, true, false, false, false);
    }
    SUBCASE("handler asked to close") {
        const auto w = write(make_head(200, std::nullopt, {}, true), http11);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\nConnection: close\r\n"));
        check_framing(w.framing, true, true, false, false);
    }
    SUBCASE("server keep-alive disabled") {
        const auto w = write(make_head(200, 5), http11, false);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 5\r\nConnection: close\r\n"));
        check_framing(w.framing, true, false, false, false);
    }
    SUBCASE("HEAD gets the length but no body") {
        const auto w = write(make_head(200, 1234), http11_head);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 1234\r\n"));
        check_framing(w.framing, false, false, false, true);
    }
    SUBCASE("HEAD with unknown length is neither chunked nor close-delimited") {
        const auto w = write(make_head(200, std::nullopt), http11_head);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", ""));
        check_framing(w.framing, false, false, false, true);
    }
    SUBCASE("204 never carries framing headers") {
        const auto w = write(make_head(204, 10), http11);
        CHECK(w.bytes == expected("HTTP/1.1 204 No Content", ""));
        check_framing(w.framing, false, false, false, true);
        const auto unknown = write(make_head(204, std::nullopt), http11);
        CHECK(unknown.bytes == expected("HTTP/1.1 204 No Content", ""));
        check_framing(unknown.framing, false, false, false, true);
    }
    SUBCASE("304 has no body and no length") {
        const auto w = write(make_head(304, 99, "ETag: \"abc\"\r\n"), http11);
        CHECK(w.bytes == expected("HTTP/1.1 304 Not Modified", "", "ETag: \"abc\"\r\n"));
        check_framing(w.framing, false, false, false, true);
    }
    SUBCASE("304 that closes") {
        const auto w = write(make_head(304, std::nullopt), http11_close);
        CHECK(w.bytes == expected("HTTP/1.1 304 Not Modified", "Connection: close\r\n"));
        check_framing(w.framing, false, false, false, false);
    }
    SUBCASE("100 Continue is interim: no framing, no Connection") {
        const auto w = write(make_head(100, std::nullopt), http11_close);
        CHECK(w.bytes == expected("HTTP/1.1 100 Continue", ""));
        check_framing(w.framing, false, false, false, true);
    }
    SUBCASE("101 keeps the producer's Connection: upgrade") {
        const auto w = write(make_head(101, std::nullopt, "Upgrade: websocket\r\nConnection: Upgrade\r\n"), http11);
        CHECK(w.bytes ==
              expected("HTTP/1.1 101 Switching Protocols", "", "Upgrade: websocket\r\nConnection: Upgrade\r\n"));
        check_framing(w.framing, false, false, false, true);
    }
    SUBCASE("error statuses are framed like any other") {
        const auto w = write(make_head(503, 4), http11);
        CHECK(w.bytes == expected("HTTP/1.1 503 Service Unavailable", "Content-Length: 4\r\n"));
    }
}

TEST_CASE("response head for HTTP/1.0 clients still says HTTP/1.1") {
    SUBCASE("known length, client did not ask for keep-alive") {
        const auto w = write(make_head(200, 2), http10);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 2\r\nConnection: close\r\n"));
        check_framing(w.framing, true, false, false, false);
    }
    SUBCASE("known length with keep-alive is announced") {
        const auto w = write(make_head(200, 2), http10_keep_alive);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 2\r\nConnection: keep-alive\r\n"));
        check_framing(w.framing, true, false, false, true);
    }
    SUBCASE("unknown length is close-delimited even if keep-alive was asked") {
        const auto w = write(make_head(200, std::nullopt), http10_keep_alive);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Connection: close\r\n"));
        check_framing(w.framing, true, false, true, false);
    }
    SUBCASE("keep-alive refused by the server") {
        const auto w = write(make_head(200, 2), http10_keep_alive, false);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Content-Length: 2\r\nConnection: close\r\n"));
        check_framing(w.framing, true, false, false, false);
    }
    SUBCASE("HEAD with unknown length is not close-delimited") {
        const auto w = write(make_head(200, std::nullopt), http10_head);
        CHECK(w.bytes == expected("HTTP/1.1 200 OK", "Connection: close\r\n"));
        check_framing(w.framing, false, false, false, false);
    }
    SUBCASE("204 with keep-alive") {
        const auto w = write(make_head(204, std::nullopt), http10_keep_alive);
        CHECK(w.bytes == expected("HTTP/1.1 204 No Content", "Connection: keep-alive\r\n"));
        check_framing(w.framing, false, false, false, true);
    }
}

TEST_CASE("response head details") {
    SUBCASE("appends to what is already in the buffer") {
        std::string out = "previous response";
        write_response_head(out, make_head(200, 0), http11, true, date, server);
        CHECK(out == "previous response" + expected("HTTP/1.1 200 OK", "Content-Length: 0\r\n"));
    }
    SUBCASE("empty date and server are left out") {
        std::string out;
        write_response_head(out, make_head(404, 0), http11, true, {}, {});
        CHECK(out == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    SUBCASE("the view overload writes the same bytes") {
        const ResponseHead owned = make_head(201, 7, "Location: /x\r\n", true);
        std::string from_owned, from_view;
        const auto a = write_response_head(from_owned, owned, http10_keep_alive, true, date, server);
        const auto b =
            write_response_head(from_view, ResponseHeadView{201, "Location: /x\r\n", 7, true}, http10_keep_alive,
                                true, date, server);
        CHECK(from_owned == from_view);
        CHECK(a.keep_alive == b.keep_alive);
        CHECK(from_owned == expected("HTTP/1.1 201 Created", "Content-Length: 7\r\nConnection: close\r\n",
                                     "Location: /x\r\n"));
    }
    SUBCASE("a bare 100 Continue") {
        std::string out;
        write_response_head(out, make_head(100, std::nullopt), http11, true, {}, {});
        CHECK(out == "HTTP/1.1 100 Continue\r\n\r\n");
    }
    SUBCASE("unregistered statuses get a class phrase") {
        std::string out;
        write_response_head(out, make_head(299, 0), http11, true, {}, {});
        CHECK(out == "HTTP/1.1 299 Success\r\nContent-Length: 0\r\n\r\n");
    }
    SUBCASE("an impossible status becomes 500") {
        std::string out;
        write_response_head(out, make_head(42, 0), http11, true, {}, {});
        CHECK(out == "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
        out.clear();
        write_response_head(out, make_head(1000, 0), http11, true, {}, {});
        CHECK(out == "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    }
    SUBCASE("a reused buffer does not grow again") {
        std::string out;
        write_response_head(out, make_head(200, 5, "X-A: b\r\n"), http11, true, date, server);
        const std::size_t capacity = out.capacity();
        const char *storage = out.data();
        out.clear();
        write_response_head(out, make_head(200, 5, "X-A: b\r\n"), http11, true, date, server);
        CHECK(out.data() == storage);
        CHECK(out.capacity() == capacity);
    }
}

TEST_CASE("chunk framing") {
    auto prefix = [](std::size_t size) {
        std::string out;
        write_chunk_prefix(out, size);
        return out;
    };
    CHECK(prefix(1) == "1\r\n");
    CHECK(prefix(10) == "a\r\n");
    CHECK(prefix(0x1a2b) == "1a2b\r\n");
    CHECK(prefix(SIZE_MAX) == "ffffffffffffffff\r\n");
    CHECK(chunk_suffix == "\r\n");
    CHECK(last_chunk == "0\r\n\r\n");

    SUBCASE("a whole chunked body") {
        std::string body;
        for (std::string_view part : {"Hello, ", "World!"}) {
            write_chunk_prefix(body, part.size());
            body += part;
            body += chunk_suffix;
        }
        body += last_chunk;
        CHECK(body == "7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\n");
    }
    SUBCASE("a trailer section keeps the fields a trailer may be, in order") {
        std::string end = "x";
        engine::http::write_last_chunk(end, "Grpc-Status: 0\r\nTransfer-Encoding: chunked\r\nX-Sum: 1\r\n");
        CHECK(end == "x0\r\nGrpc-Status: 0\r\nX-Sum: 1\r\n\r\n");
        end.clear();
        engine::http::write_last_chunk(end, "Host: h\r\n");
        CHECK(end == last_chunk);  // nothing left to send: the bare end
    }
}

TEST_CASE("reason phrases") {
    SUBCASE("registered codes") {
        CHECK(reason_phrase(100) == "Continue");
        CHECK(reason_phrase(101) == "Switching Protocols");
        CHECK(reason_phrase(200) == "OK");
        CHECK(reason_phrase(204) == "No Content");
        CHECK(reason_phrase(206) == "Partial Content");
        CHECK(reason_phrase(301) == "Moved Permanently");
        CHECK(reason_phrase(304) == "Not Modified");
        CHECK(reason_phrase(308) == "Permanent Redirect");
        CHECK(reason_phrase(400) == "Bad Request");
        CHECK(reason_phrase(404) == "Not Found");
        CHECK(reason_phrase(413) == "Content Too Large");
        CHECK(reason_phrase(418) == "I'm a teapot");
        CHECK(reason_phrase(431) == "Request Header Fields Too Large");
        CHECK(reason_phrase(500) == "Internal Server Error");
        CHECK(reason_phrase(505) == "HTTP Version Not Supported");
        CHECK(reason_phrase(511) == "Network Authentication Required");
    }
    SUBCASE("unregistered codes fall back to their class") {
        CHECK(reason_phrase(199) == "Informational");
        CHECK(reason_phrase(250) == "Success");
        CHECK(reason_phrase(399) == "Redirection");
        CHECK(reason_phrase(499) == "Client Error");
        CHECK(reason_phrase(599) == "Server Error");
        CHECK(reason_phrase(99) == "Unknown");
        CHECK(reason_phrase(600) == "Unknown");
    }
    SUBCASE("every phrase is a valid reason-phrase") {
        for (unsigned status = 100; status < 600; ++status) {
            const std::string_view phrase = reason_phrase(status);
            CAPTURE(status);
            REQUIRE_FALSE(phrase.empty());
            for (char c : phrase)
                CHECK((c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7e)));
        }
    }
}
