#include "wsgi_environ.hpp"

#include <string>
#include <unordered_map>

#include "py_objects.hpp"
#include "request_path.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// Interned keys and shared constant values; immortal for the life of the process, like the module.
struct EnvironNames {
    PyObject *request_method, *script_name, *path_info, *query_string, *content_type, *content_length,
        *server_name, *server_port, *server_protocol, *remote_addr, *remote_port, *https_flag;
    PyObject *wsgi_version, *wsgi_url_scheme, *wsgi_input, *wsgi_errors, *wsgi_multithread, *wsgi_multiprocess,
        *wsgi_run_once, *wsgi_file_wrapper, *wsgi_input_terminated;
    PyObject *version_1_0, *http_1_1, *http_1_0, *http_2, *http, *https, *empty, *zero, *on;
};
EnvironNames keys;

/// "HTTP_*" keys by lowercase header name, interned. Touched only with the GIL held; capped so that a client
/// sending random header names cannot grow it without bound.
std::unordered_map<std::string, PyObject *> http_keys;
constexpr std::size_t http_keys_cap = 512;

void set_constant(PyObject *dict, PyObject *key, PyObject *value) {
    if (PyDict_SetItem(dict, key, value) < 0) throw py::error_already_set();
}

PyObject *latin1(std::string_view text) {
    return PyUnicode_DecodeLatin1(text.data(), static_cast<Py_ssize_t>(text.size()), nullptr);
}

PyObject *port_string(std::uint16_t port) { return PyUnicode_FromFormat("%u", static_cast<unsigned>(port)); }

/// New reference to the environ key of a (lowercase) header name, or null with no error to skip it.
PyObject *http_key(std::string_view name) {
    if (name.find('_') != std::string_view::npos) return nullptr;
    std::string lookup(name);
    if (auto found = http_keys.find(lookup); found != http_keys.end()) return Py_NewRef(found->second);
    std::string key = "HTTP_";
    for (char c : name) key.push_back(c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c);
    PyObject *object = PyUnicode_FromStringAndSize(key.data(), static_cast<Py_ssize_t>(key.size()));
    if (object == nullptr) throw py::error_already_set();
    if (http_keys.size() < http_keys_cap) {
        PyUnicode_InternInPlace(&object);
        http_keys.emplace(std::move(lookup), Py_NewRef(object));
    }
    return object;
}

void add_header(PyObject *environ, const engine::Header &header) {
    PyObject *key;
    if (header.name == "content-type") {
        key = Py_NewRef(keys.content_type);
    } else if (header.name == "content-length") {
        key = Py_NewRef(keys.content_length);
    } else {
        key = http_key(header.name);
        if (key == nullptr) return;
    }
    py::object key_object = py::reinterpret_steal<py::object>(key);
    py::object value = steal_or_throw(latin1(header.value));
    PyObject *existing = PyDict_GetItemWithError(environ, key);  // borrowed
    if (existing == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        set_constant(environ, key, value.ptr());
        return;
    }
    // RFC 9110 5.3: repeated fields combine with ", "; cookies with "; " (RFC 6265 5.4).
    const char *format = header.name == "cookie" ? "%U; %U" : "%U, %U";
    set_item(environ, key, PyUnicode_FromFormat(format, existing, value.ptr()));
}

void add_endpoints(PyObject *environ, const engine::Request &request) {
    using Family = engine::Endpoint::Family;
    const engine::Endpoint &local = request.local;
    set_item(environ, keys.server_name, latin1(local.host));
    if (local.family == Family::inet || local.family == Family::inet6) {
        set_item(environ, keys.server_port, port_string(local.port));
    } else {
        set_constant(environ, keys.server_port, keys.zero);  // a Unix socket: no port, but the key is required
    }
    const engine::Endpoint &peer = request.peer;
    if (peer.family == Family::inet || peer.family == Family::inet6) {
        set_item(environ, keys.remote_addr, latin1(peer.host));
        set_item(environ, keys.remote_port, port_string(peer.port));
    }
}

} // namespace

py::object build_environ(const engine::Request &request, const EnvironContext &context, py::handle input) {
    py::object environ = steal_or_throw(PyDict_New());
    PyObject *dict = environ.ptr();

    set_item(dict, keys.request_method, latin1(request.method));
    thread_local std::string decoded_storage;
    std::string_view decoded = request.path;
    if (percent_decode(request.path, decoded_storage)) decoded = decoded_storage;
    const std::string_view path_info = strip_root_path(decoded, context.root_path);
    const bool under_root = !context.root_path.empty() && path_info.size() != decoded.size();
    set_constant(dict, keys.script_name, under_root ? context.root_path_str.ptr() : keys.empty);
    set_item(dict, keys.path_info, latin1(path_info));
    set_item(dict, keys.query_string, latin1(request.query));
    for (const engine::Header &header : request.headers) add_header(dict, header);
    add_endpoints(dict, request);
    const bool http_1_0 = request.http_major == 1 && request.http_minor == 0;
    set_constant(dict, keys.server_protocol,
                 request.http_major == 2 ? keys.http_2 : http_1_0 ? keys.http_1_0 : keys.http_1_1);

    set_constant(dict, keys.wsgi_version, keys.version_1_0);
    set_constant(dict, keys.wsgi_url_scheme, request.tls ? keys.https : keys.http);
    if (request.tls) set_constant(dict, keys.https_flag, keys.on);  // the CGI variable, as Apache and gunicorn set it
    set_constant(dict, keys.wsgi_input, input.ptr());
    set_constant(dict, keys.wsgi_errors, context.errors_stream.ptr());
    set_constant(dict, keys.wsgi_multithread, Py_True);
    set_constant(dict, keys.wsgi_multiprocess, context.multiprocess ? Py_True : Py_False);
    set_constant(dict, keys.wsgi_run_once, Py_False);
    set_constant(dict, keys.wsgi_file_wrapper, context.file_wrapper.ptr());
    // wsgi.input returns b"" at the end of the body, chunked or not (werkzeug and others honour this).
    set_constant(dict, keys.wsgi_input_terminated, Py_True);
    return environ;
}

void register_wsgi_environ(py::module_ &) {
    EnvironNames &k = keys;
    k.request_method = intern("REQUEST_METHOD");
    k.script_name = intern("SCRIPT_NAME");
    k.path_info = intern("PATH_INFO");
    k.query_string = intern("QUERY_STRING");
    k.content_type = intern("CONTENT_TYPE");
    k.content_length = intern("CONTENT_LENGTH");
    k.server_name = intern("SERVER_NAME");
    k.server_port = intern("SERVER_PORT");
    k.server_protocol = intern("SERVER_PROTOCOL");
    k.remote_addr = intern("REMOTE_ADDR");
    k.remote_port = intern("REMOTE_PORT");
    k.https_flag = intern("HTTPS");
    k.wsgi_version = intern("wsgi.version");
    k.wsgi_url_scheme = intern("wsgi.url_scheme");
    k.wsgi_input = intern("wsgi.input");
    k.wsgi_errors = intern("wsgi.errors");
    k.wsgi_multithread = intern("wsgi.multithread");
    k.wsgi_multiprocess = intern("wsgi.multiprocess");
    k.wsgi_run_once = intern("wsgi.run_once");
    k.wsgi_file_wrapper = intern("wsgi.file_wrapper");
    k.wsgi_input_terminated = intern("wsgi.input_terminated");
    k.version_1_0 = Py_BuildValue("(ii)", 1, 0);
    if (k.version_1_0 == nullptr) throw py::error_already_set();
    k.http_1_1 = intern("HTTP/1.1");
    k.http_1_0 = intern("HTTP/1.0");
    k.http_2 = intern("HTTP/2");
    k.http = intern("http");
    k.https = intern("https");
    k.empty = intern("");
    k.zero = intern("0");
    k.on = intern("on");
}

} // namespace bridge
