"""Optional two-factor for staff (django-otp, TOTP): who must give a code, and enrolment."""

from base64 import b32encode

from django.conf import settings
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice


def two_factor_required(user) -> bool:
    """A staff member gives a code at the admin login once they have enrolled a device, and
    every staff member does when ADMIN_REQUIRE_2FA is on."""
    return settings.ADMIN_REQUIRE_2FA or user_has_device(user, confirmed=True)


def pending_device(*, user) -> TOTPDevice:
    """The user's unconfirmed TOTP device, made on first call: its key is shown until a code
    from the authenticator app confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def device_key(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in (base32, no padding)."""
    return b32encode(device.bin_key).decode().rstrip("=")


def device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with a code from the app. :returns: whether the code was right."""
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True
