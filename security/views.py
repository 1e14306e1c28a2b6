"""A staff member's own two-factor page: enrol an authenticator app, or remove it."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login

from security import two_factor


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code from the app", max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@require_http_methods(["GET", "POST"])
def two_factor_page(request):
    from django.contrib import admin

    user = request.user
    enrolled = list(devices_for_user(user, confirmed=True))
    form = CodeForm(request.POST or None)
    if enrolled:
        if request.method == "POST" and form.is_valid():
            # Removing the second factor takes a current code, not only the session.
            device = next((d for d in enrolled if d.verify_token(form.cleaned_data["token"])), None)
            if device is None:
                form.add_error("token", "That code is not right: enter the current one.")
            else:
                for d in enrolled:
                    d.delete()
                messages.success(request, "Two-factor removed: the admin login asks for your "
                                          "password only.")
                return redirect("admin:two-factor")
        device = None
    else:
        device = two_factor.pending_device(user=user)
        if request.method == "POST" and form.is_valid():
            if two_factor.device_confirm(device=device, token=form.cleaned_data["token"]):
                otp_login(request, device)
                messages.success(request, "Two-factor is on: the admin login will ask for a "
                                          "code from your app.")
                return redirect("admin:two-factor")
            form.add_error("token", "That code is not right: check the app's clock and the key.")
    return TemplateResponse(request, "security/two_factor.html", {
        **admin.site.each_context(request),
        "title": "Two-factor authentication",
        "enrolled": enrolled,
        "device": device,
        "key": two_factor.device_key(device) if device else "",
        "config_url": device.config_url if device else "",
        "form": form,
    })
