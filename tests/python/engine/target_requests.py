"""Request-target forms (RFC 9112 3.2), shared by the engine, ASGI and WSGI end-to-end tests.

Whatever form a request's target has, the application sees origin-form + Host: ABSOLUTE_FORM must reach it as path
/p, query q=1 and host b.example (the target's authority wins over the Host header, RFC 9112 3.2.2). The refused
forms get one response (400, or 405 for CONNECT) and the close, and the request written behind them is never read.
"""

from __future__ import annotations

ABSOLUTE_FORM = b"GET http://b.example:8080/p?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Probe: 1\r\n\r\n"
ABSOLUTE_FORM_AUTHORITY = "b.example:8080"
ABSOLUTE_FORM_NO_PATH = b"GET HTTP://b.example?x=y HTTP/1.1\r\nHost: a.example\r\n\r\n"
ABSOLUTE_FORM_HTTP10 = b"GET http://b.example/p?q=1 HTTP/1.0\r\n\r\n"
OPTIONS_ASTERISK = b"OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n"

CONNECT = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"

# Each gets 400 and the close.
REFUSED_TARGETS = {
    "asterisk_with_get": b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "asterisk_with_more": b"OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n",
    "authority_form_with_get": b"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n",
    "scheme_ftp": b"GET ftp://example.com/f HTTP/1.1\r\nHost: a\r\n\r\n",
    "userinfo": b"GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "empty_host": b"GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n",
    "absolute_form_two_hosts": b"GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "absolute_form_invalid_host_header": b"GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n",
    "connect_origin_form": b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
    "connect_without_port": b"CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
}

# Chunked uploads whose trailer section carries fields the body's sender must not send as trailers (RFC 9110 6.5.1).
# Each is a request smuggling attempt too: smuggling_requests.SMUGGLING_ATTEMPTS lists them.
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
FORBIDDEN_TRAILERS = {
    "trailer_content_length": CHUNKED_HEAD + b"0\r\nContent-Length: 37\r\n\r\n",
    "trailer_transfer_encoding": CHUNKED_HEAD + b"0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "trailer_host": CHUNKED_HEAD + b"2\r\nok\r\n0\r\nHost: evil.example\r\n\r\n",
    "trailer_authorization_after_allowed": CHUNKED_HEAD + b"0\r\nX-A: 1\r\nAuthorization: Basic eDp5\r\n\r\n",
    "trailer_if_none_match": CHUNKED_HEAD + b"0\r\nif-none-match: *\r\n\r\n",
}

# Allowed trailer fields are dropped: the application never sees them among the headers.
CHUNKED_WITH_ALLOWED_TRAILERS = (
    b"POST /trailers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2\r\nok\r\n0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=1\r\n\r\n"
)
