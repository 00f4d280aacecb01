"""The seed's Django case in one file: a sync view returning a 4 MB HttpResponse, no middleware.

`django_app:application` is Django's ASGI handler (the view runs in an asgiref thread and the body goes out
as 64 KiB http.response.body messages); `django_app:wsgi_application` serves the same view over WSGI.
"""

import django
from django.conf import settings

settings.configure(DEBUG=False, SECRET_KEY="perf-only", ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], MIDDLEWARE=[],
                   LOGGING_CONFIG=None)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

FOUR_MB = "x" * (4 * 1000 * 1000)

urlpatterns = [
    path("", lambda request: HttpResponse("Hello, World!")),
    path("4mb", lambda request: HttpResponse(FOUR_MB)),
]

application = get_asgi_application()
wsgi_application = get_wsgi_application()
