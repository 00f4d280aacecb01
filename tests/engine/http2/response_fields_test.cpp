#include "http2/response_fields.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using engine::http2::build_response_fields;
using engine::http2::FieldLine;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields fields_of(const engine::ResponseHead &head, std::string_view date = "D", std::string_view server = "S") {
    std::string storage;
    std::vector<FieldLine> fields;
    build_response_fields(head, date, server, storage, fields);
    Fields out;
    for (const FieldLine &field : fields) out.emplace_back(field.name, field.value);
    return out;
}

} // namespace

TEST_CASE("response fields: status first, names lowercased, connection-specific fields dropped") {
    engine::ResponseHead head{201, "Content-Type: text/plain\r\nConnection: close\r\nX-Thing:  spaced \r\n"
                                   "Transfer-Encoding: chunked\r\nKeep-Alive: 5\r\nUpgrade: h2c\r\n",
                              42, false};
    const auto fields = fields_of(head);
    const Fields expected = {
        {":status", "201"}, {"content-type", "text/plain"}, {"x-thing", "spaced"},
        {"content-length", "42"}, {"date", "D"}, {"server", "S"}};
    CHECK(fields == expected);
}

TEST_CASE("response fields: no content-length where no body is allowed; odd statuses become 500") {
    engine::ResponseHead not_modified{304, "", 10, false};
    CHECK(fields_of(not_modified, "", "") == Fields{{":status", "304"}});
    engine::ResponseHead odd{42, "", std::nullopt, false};
    CHECK(fields_of(odd, "", "").front().second == "500");
}

TEST_CASE("trailer fields: names lowercased; forbidden, connection-specific and nameless lines dropped") {
    std::string storage = "reused";
    std::vector<FieldLine> fields = {{"stale", "entry"}};
    engine::http2::build_trailer_fields("Grpc-Status: 0\r\nContent-Length: 5\r\nConnection: close\r\n: x\r\n"
                                        "X-Checksum:  abc \r\nIf-Match: *\r\n",
                                        storage, fields);
    Fields out;
    for (const FieldLine &field : fields) out.emplace_back(field.name, field.value);
    CHECK(out == Fields{{"grpc-status", "0"}, {"x-checksum", "abc"}});
    engine::http2::build_trailer_fields("", storage, fields);
    CHECK(fields.empty());
}
