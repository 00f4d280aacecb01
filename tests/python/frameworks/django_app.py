"""A one-file Django project served through Django's ASGI handler: sync and async views, upload echo, 4 MB body."""

from __future__ import annotations

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="uring-granian-tests-only",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

FOUR_MB = "d" * (4 * 1024 * 1024)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, Django!")


async def json_view(request: HttpRequest, name: str) -> JsonResponse:
    return JsonResponse({"name": name, "q": request.GET.get("q"), "path": request.path})


def upload(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


async def big(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FOUR_MB)


def big_sync(request: HttpRequest) -> HttpResponse:
    """The seed's view: sync, so Django's ASGI handler runs it in an asgiref thread."""
    return HttpResponse(FOUR_MB)


urlpatterns = [
    path("", hello),
    path("json/<str:name>", json_view),
    path("upload", upload),
    path("big", big),
    path("big-sync", big_sync),
]

application = get_asgi_application()
