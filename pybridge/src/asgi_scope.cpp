// Py_BuildValue with "s#" takes Py_ssize_t lengths only with this defined before Python.h.
#define PY_SSIZE_T_CLEAN

#include "asgi_scope.hpp"

#include <fstream>
#include <sstream>

#include "names.hpp"
#include "py_objects.hpp"
#include "request_path.hpp"
#include "websocket_names.hpp"
#include "engine/ws_subprotocols.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

PyObject *method_object(std::string_view method) {
    const Names &n = names();
    PyObject *known = nullptr;
    switch (method.size()) {
    case 3: known = method == "GET" ? n.GET : method == "PUT" ? n.PUT : nullptr; break;
    case 4: known = method == "POST" ? n.POST : method == "HEAD" ? n.HEAD : nullptr; break;
    case 5: known = method == "PATCH" ? n.PATCH : nullptr; break;
    case 6: known = method == "DELETE" ? n.DELETE_ : nullptr; break;
    case 7: known = method == "OPTIONS" ? n.OPTIONS : nullptr; break;
    default: break;
    }
    if (known != nullptr) return Py_NewRef(known);
    // The parser accepts only token characters in a method, so Latin-1 decoding is exact (and cannot fail).
    return PyUnicode_DecodeLatin1(method.data(), static_cast<Py_ssize_t>(method.size()), nullptr);
}

PyObject *bytes_of(std::string_view text) {
    return PyBytes_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
}

PyObject *endpoint_object(const engine::Endpoint &endpoint, bool local) {
    using Family = engine::Endpoint::Family;
    switch (endpoint.family) {
    case Family::inet:
    case Family::inet6:
        return Py_BuildValue("(s#H)", endpoint.host.data(), static_cast<Py_ssize_t>(endpoint.host.size()),
                             endpoint.port);
    case Family::unix_path:
        // ASGI: the server of a Unix socket is [path, None]; its clients have no address worth giving.
        if (!local) Py_RETURN_NONE;
        return Py_BuildValue("(s#O)", endpoint.host.data(), static_cast<Py_ssize_t>(endpoint.host.size()), Py_None);
    case Family::none: break;
    }
    Py_RETURN_NONE;
}

PyObject *headers_list(const engine::Request &request) {
    py::object list = steal_or_throw(PyList_New(static_cast<Py_ssize_t>(request.headers.size())));
    Py_ssize_t index = 0;
    for (const engine::Header &header : request.headers) {
        PyObject *pair = PyTuple_New(2);
        if (pair == nullptr) throw py::error_already_set();
        PyList_SET_ITEM(list.ptr(), index++, pair);  // the list owns it from here, even if filling it fails
        PyObject *name = bytes_of(header.name);
        if (name == nullptr) throw py::error_already_set();
        PyTuple_SET_ITEM(pair, 0, name);
        PyObject *value = bytes_of(header.value);
        if (value == nullptr) throw py::error_already_set();
        PyTuple_SET_ITEM(pair, 1, value);
    }
    return list.release().ptr();
}

/// The ASGI TLS extension's keys, interned on first use (the GIL is held: scopes are built on the loop thread).
struct TlsNames {
    PyObject *tls = intern("tls");
    PyObject *server_cert = intern("server_cert");
    PyObject *client_cert_chain = intern("client_cert_chain");
    PyObject *client_cert_name = intern("client_cert_name");
    PyObject *client_cert_error = intern("client_cert_error");
    PyObject *tls_version = intern("tls_version");
    PyObject *cipher_suite = intern("cipher_suite");
};

const TlsNames &tls_names() {
    static const TlsNames interned;
    return interned;
}

/// A str, or None for "" (the extension's "not available").
PyObject *text_or_none(const std::string &text) {
    if (text.empty()) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
}

PyObject *tls_extension(const engine::TlsInfo &info, py::handle server_cert) {
    const TlsNames &n = tls_names();
    py::object extension = steal_or_throw(PyDict_New());
    PyObject *dict = extension.ptr();
    if (PyDict_SetItem(dict, n.server_cert, server_cert.ptr()) < 0) throw py::error_already_set();
    py::object chain = steal_or_throw(PyList_New(static_cast<Py_ssize_t>(info.client_cert_chain.size())));
    Py_ssize_t index = 0;
    for (const std::string &pem : info.client_cert_chain) {
        PyObject *item = PyUnicode_DecodeASCII(pem.data(), static_cast<Py_ssize_t>(pem.size()), "replace");
        if (item == nullptr) throw py::error_already_set();
        PyList_SET_ITEM(chain.ptr(), index++, item);
    }
    if (PyDict_SetItem(dict, n.client_cert_chain, chain.ptr()) < 0) throw py::error_already_set();
    set_item(dict, n.client_cert_name, text_or_none(info.client_cert_name));
    set_item(dict, n.client_cert_error, text_or_none(info.client_cert_error));
    set_item(dict, n.tls_version, PyLong_FromUnsignedLong(info.tls_version));
    set_item(dict, n.cipher_suite, PyLong_FromUnsignedLong(info.cipher_suite));
    return extension.release().ptr();
}

/// http scopes offer pathsend and response trailers, websocket scopes the denial response; both get tls on TLS
/// connections.
PyObject *extensions_object(const engine::Request &request, bool websocket, py::handle server_cert) {
    const Names &n = names();
    py::object extensions = steal_or_throw(websocket ? Py_BuildValue("{O{}}", websocket_names().denial_extension)
                                                     : Py_BuildValue("{O{}O{}}", n.pathsend_extension,
                                                                     n.http_response_trailers));
    if (request.tls && request.tls_info)
        set_item(extensions.ptr(), tls_names().tls, tls_extension(*request.tls_info, server_cert));
    return extensions.release().ptr();
}

/// scope["subprotocols"]: every Sec-WebSocket-Protocol item, in order (the engine's own parsing of them).
PyObject *subprotocols_list(const engine::Request &request) {
    const std::vector<std::string_view> offered = engine::ws::requested_subprotocols(request);
    py::object list = steal_or_throw(PyList_New(static_cast<Py_ssize_t>(offered.size())));
    Py_ssize_t index = 0;
    for (std::string_view name : offered) {
        // A token (checked when the app picks one), so Latin-1 is exact for any that is valid.
        PyObject *item = PyUnicode_DecodeLatin1(name.data(), static_cast<Py_ssize_t>(name.size()), nullptr);
        if (item == nullptr) throw py::error_already_set();
        PyList_SET_ITEM(list.ptr(), index++, item);
    }
    return list.release().ptr();
}

} // namespace

py::object server_certificate_pem(py::handle engine_settings) {
    py::object tls = engine_settings.attr("tls");
    if (tls.is_none()) return py::none();
    const std::string path = py::str(tls.attr("certificate_file"));
    std::string text;
    {
        py::gil_scoped_release unlocked;  // a file read: other Python threads may run meanwhile
        std::ifstream file(path);
        std::ostringstream contents;
        contents << file.rdbuf();
        text = contents.str();
    }
    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    const std::size_t first = text.find(begin);
    const std::size_t last = first == std::string::npos ? first : text.find(end, first);
    if (last == std::string::npos) return py::none();
    const std::string block = text.substr(first, last + end.size() - first) + "\n";
    return steal_or_throw(PyUnicode_DecodeASCII(block.data(), static_cast<Py_ssize_t>(block.size()), "replace"));
}

namespace {

/// The keys http and websocket scopes share, with what differs between them (type, method, scheme, extras).
py::object build_scope(const engine::Request &request, const ScopeContext &context, bool websocket) {
    const Names &n = names();
    const WebSocketNames &ws = websocket_names();

    // `path`: percent-decoded, then UTF-8 decoded strictly (see the header for why not surrogateescape).
    thread_local std::string decoded_storage;
    std::string_view decoded = request.path;
    if (percent_decode(request.path, decoded_storage)) decoded = decoded_storage;
    decoded = strip_root_path(decoded, context.root_path);
    PyObject *path = PyUnicode_DecodeUTF8(decoded.data(), static_cast<Py_ssize_t>(decoded.size()), nullptr);
    if (path == nullptr) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) throw py::error_already_set();
        PyErr_Clear();
        return py::object();
    }
    py::object path_object = py::reinterpret_steal<py::object>(path);

    py::object scope = steal_or_throw(PyDict_New());
    PyObject *dict = scope.ptr();
    if (PyDict_SetItem(dict, n.type, websocket ? ws.websocket : n.http) < 0) throw py::error_already_set();
    set_item(dict, n.asgi, Py_BuildValue("{sOsO}", "version", n.asgi_version, "spec_version", n.asgi_spec_version));
    const bool http_1_0 = request.http_major == 1 && request.http_minor == 0;
    PyObject *version = request.http_major == 2 ? n.http_2 : http_1_0 ? n.http_1_0 : n.http_1_1;
    if (PyDict_SetItem(dict, n.http_version, version) < 0) throw py::error_already_set();
    if (!websocket) set_item(dict, n.method, method_object(request.method));
    PyObject *scheme = websocket ? (request.tls ? ws.wss : ws.ws) : (request.tls ? n.https : n.http);
    if (PyDict_SetItem(dict, n.scheme, scheme) < 0) throw py::error_already_set();
    if (PyDict_SetItem(dict, n.path, path_object.ptr()) < 0) throw py::error_already_set();
    set_item(dict, n.raw_path, bytes_of(request.path));
    set_item(dict, n.query_string, bytes_of(request.query));
    if (PyDict_SetItem(dict, n.root_path, context.root_path_str.ptr()) < 0) throw py::error_already_set();
    set_item(dict, n.headers, headers_list(request));
    set_item(dict, n.client, endpoint_object(request.peer, false));
    set_item(dict, n.server, endpoint_object(request.local, true));
    if (websocket) set_item(dict, ws.subprotocols, subprotocols_list(request));
    if (PyDict_Check(context.state.ptr())) set_item(dict, n.state, PyDict_Copy(context.state.ptr()));
    set_item(dict, n.extensions, extensions_object(request, websocket, context.server_cert));
    return scope;
}

} // namespace

py::object build_http_scope(const engine::Request &request, const ScopeContext &context) {
    return build_scope(request, context, false);
}

py::object build_websocket_scope(const engine::Request &request, const ScopeContext &context) {
    return build_scope(request, context, true);
}

} // namespace bridge
