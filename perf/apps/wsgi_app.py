"""The WSGI app every WSGI server runs in perf/bench: `Hello, World!` with a Content-Length (keep-alive)."""

HELLO = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [HELLO]


# uWSGI looks for `application` by default.
application = app
