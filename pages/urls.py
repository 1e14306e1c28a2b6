"""The donor's pages. Included first in config/urls.py: the appeal page is the busiest URL, and
each pattern tried before it costs a little on every view."""

from django.urls import path

from pages import donor, views

app_name = "pages"
urlpatterns = [
    path("", views.index, name="index"),
    path("appeals/<slug:slug>/", views.appeal_detail, name="appeal"),
    path("appeals/<slug:slug>/embed/", views.appeal_embed, name="embed"),
    path("donations/<uuid:pk>/thanks/", views.thanks, name="thanks"),
    # The donor's own page (pages/donor.py).
    path("donor/", donor.donor_home, name="donor"),
    path("donor/link-sent/", donor.donor_link_sent, name="donor-link-sent"),
    path("donor/sign-in/<str:token>/", donor.donor_sign_in, name="donor-sign-in"),
    path("donor/sign-out/", donor.donor_sign_out, name="donor-sign-out"),
    path("donor/gifts/<uuid:pk>/receipt.pdf", donor.donor_receipt_pdf, name="donor-receipt"),
    path("donor/statements/<int:year>.pdf", donor.donor_statement_pdf, name="donor-statement"),
    path("donor/monthly/<uuid:pk>/cancel/", donor.donor_monthly_cancel,
         name="donor-monthly-cancel"),
    path("donor/monthly/<uuid:pk>/amount/", donor.donor_monthly_amount,
         name="donor-monthly-amount"),
    path("donor/gift-aid/cancel/", donor.donor_gift_aid_cancel, name="donor-gift-aid-cancel"),
    path("donor/news/", donor.donor_news, name="donor-news"),
]
