from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin

from security.two_factor import two_factor_required


class AdminLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """The admin login: username and password (throttled by django-axes), and the
    authenticator code for staff who have enrolled a device (or all, with ADMIN_REQUIRE_2FA)."""

    otp_token = forms.CharField(
        required=False, label="Two-factor code", max_length=16,
        help_text="Only if you have set up an authenticator app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "Enter the code from your authenticator app.",
        "invalid_token": "That code is not right (or has been used): enter the current one.",
        "device_required": "Two-factor is required: ask an administrator to set up an "
                           "authenticator app for you (Admin › TOTP devices).",
    }

    def _chosen_device(self, user):
        # One authenticator app per person (the two-factor page enrols one): no device menu.
        return super()._chosen_device(user) or next(
            devices_for_user(user, confirmed=True, for_verify=True), None)

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and two_factor_required(user):
            self.clean_otp(user)
        return cleaned
