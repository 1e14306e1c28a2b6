"""The donor's pages. Included first in config/urls.py: the appeal page is the busiest URL, and
each pattern tried before it costs a little on every view."""

from django.urls import path

from pages import regular_gift_card, views

app_name = "pages"
urlpatterns = [
    path("", views.index, name="index"),
    path("appeals/<slug:slug>/", views.appeal_detail, name="appeal"),
    path("appeals/<slug:slug>/embed/", views.appeal_embed, name="embed"),
    path("donations/<uuid:pk>/thanks/", views.thanks, name="thanks"),
    path("donor/monthly/<uuid:pk>/card/", regular_gift_card.regular_gift_card,
         name="regular_gift_card"),
]
