from django.urls import path

from appeals import views

app_name = "appeals"
urlpatterns = [
    path("", views.index, name="index"),
    path("appeals/<slug:slug>/", views.appeal_detail, name="detail"),
    path("appeals/<slug:slug>/embed/", views.appeal_embed, name="embed"),
]
