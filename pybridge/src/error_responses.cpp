#include "error_responses.hpp"

namespace bridge {

engine::ResponsePart internal_error_response() {
    return engine::make_response(500, "content-type: text/plain; charset=utf-8\r\n", "Internal Server Error");
}

} // namespace bridge
