"""Small applications that show uring_granian serving ASGI and WSGI (used by scripts/serve)."""
