from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site

urlpatterns = [path("bench/ping", lambda request: HttpResponse("pong")), *site]
