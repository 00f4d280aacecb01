#include "names.hpp"

#include "py_objects.hpp"

namespace py = pybind11;

namespace bridge {

namespace {
Names interned;
} // namespace

const Names &names() noexcept { return interned; }

void register_names(py::module_ &) {
    Names &n = interned;
    n.type = intern("type");
    n.asgi = intern("asgi");
    n.version = intern("version");
    n.spec_version = intern("spec_version");
    n.http_version = intern("http_version");
    n.method = intern("method");
    n.scheme = intern("scheme");
    n.path = intern("path");
    n.raw_path = intern("raw_path");
    n.query_string = intern("query_string");
    n.root_path = intern("root_path");
    n.headers = intern("headers");
    n.client = intern("client");
    n.server = intern("server");
    n.state = intern("state");
    n.extensions = intern("extensions");

    n.http = intern("http");
    n.https = intern("https");
    n.asgi_version = intern("3.0");
    n.asgi_spec_version = intern("2.4");
    n.http_1_1 = intern("1.1");
    n.http_1_0 = intern("1.0");
    n.http_2 = intern("2");
    n.pathsend_extension = intern("http.response.pathsend");

    n.body = intern("body");
    n.more_body = intern("more_body");
    n.status = intern("status");
    n.trailers = intern("trailers");
    n.http_request = intern("http.request");
    n.http_disconnect = intern("http.disconnect");
    n.http_response_start = intern("http.response.start");
    n.http_response_body = intern("http.response.body");
    n.http_response_pathsend = intern("http.response.pathsend");
    n.http_response_trailers = intern("http.response.trailers");

    n.set_result = intern("set_result");
    n.set_exception = intern("set_exception");
    n.done = intern("done");
    n.cancel = intern("cancel");
    n.loop = intern("loop");
    n.eager_start = intern("eager_start");

    n.GET = intern("GET");
    n.POST = intern("POST");
    n.PUT = intern("PUT");
    n.DELETE_ = intern("DELETE");
    n.HEAD = intern("HEAD");
    n.OPTIONS = intern("OPTIONS");
    n.PATCH = intern("PATCH");
}

} // namespace bridge
