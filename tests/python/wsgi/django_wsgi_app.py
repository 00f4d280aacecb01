"""A Django project in one module, served through django.core.wsgi (the WSGI handler)."""

from __future__ import annotations

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="uring-granian-tests-only",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("django index")


def item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse({"id": item_id, "q": request.GET.get("q"), "script_name": request.META["SCRIPT_NAME"]})


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"name": request.POST["name"], "upload": len(request.FILES["upload"].read())})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse((f"part {index}\n" for index in range(5)), content_type="text/plain")


def big(request: HttpRequest) -> HttpResponse:
    return HttpResponse("d" * (4 * 1024 * 1024))


urlpatterns = [
    path("", index),
    path("items/<int:item_id>", item),
    path("upload", upload),
    path("stream", stream),
    path("big", big),
]

app = get_wsgi_application()
