"""An appeal's image as staff upload it through the admin's own form, and as the public then
gets it: bounded in size, always a real image, re-encoded for the web, with no metadata (a
phone photo's EXIF carries where it was taken)."""

import io
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from appeals.models import Appeal

pytestmark = pytest.mark.django_db

ADD = "/admin/appeals/appeal/add/"
GPS_IFD = 0x8825
MAKE = 0x010F


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


class FormFields(HTMLParser):
    """The values a browser would submit from the page's appeal form, as rendered."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(client, url) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    parser = FormFields()
    parser.feed(page.content.decode())
    return {k: v for k, v in parser.values.items()
            if k not in ("csrfmiddlewaretoken", "_save", "_continue", "_addanother")}


def add_appeal(client, image: SimpleUploadedFile, slug="flood-relief"):
    data = form_of(client, ADD)
    # The English text (appeals/translation.py: the other languages may stay empty).
    data.update(title_en="Flood relief", slug=slug, summary_en="Families cut off by the flood.",
                story_en="Water rose overnight.", currency="GBP", goal_amount="1000",
                status="draft", image_alt_en="A flooded street", image=image)
    return client.post(ADD, data)


def jpeg(size=(1200, 800), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """A JPEG as a phone takes it: the camera and where it stood, in EXIF."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    photo = jpeg(exif=exif)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)  # it is there to strip
    return photo


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header says width x height (a decompression bomb)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def errors_on_image(answer) -> str:
    assert answer.status_code == 200, answer.status_code  # the form again, not a redirect
    form = answer.context["adminform"].form
    return " ".join(form.errors.get("image", []))


def test_a_phone_photo_is_stored_without_exif_or_gps(admin_client, media_root):
    answer = add_appeal(admin_client, SimpleUploadedFile("street.jpg", phone_photo(),
                                                         "image/jpeg"))

    assert answer.status_code == 302, errors_on_image(answer)
    appeal = Appeal.objects.get(slug="flood-relief")
    stored = media_root / appeal.image.name
    served = admin_client.get(appeal.image.url)
    body = b"".join(served.streaming_content)
    assert body == stored.read_bytes()
    image = Image.open(io.BytesIO(body))
    assert not image.getexif().get_ifd(GPS_IFD) and not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"PhoneCo" not in body
    assert image.format == "WEBP" and served["Content-Type"] == "image/webp"


def test_a_photo_taken_sideways_is_stored_upright(admin_client, media_root):
    """The orientation tag goes with the EXIF, so the pixels are turned first."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    answer = add_appeal(admin_client, SimpleUploadedFile(
        "sideways.jpg", jpeg(size=(300, 100), exif=exif), "image/jpeg"))

    assert answer.status_code == 302, errors_on_image(answer)
    stored = Image.open(media_root / Appeal.objects.get(slug="flood-relief").image.name)
    assert stored.size == (100, 300)


def test_a_40_mb_image_is_refused_with_a_clear_error(admin_client, settings):
    huge = jpeg() + b"\x00" * (40 * 1024 * 1024)

    answer = add_appeal(admin_client, SimpleUploadedFile("huge.jpg", huge, "image/jpeg"))

    message = errors_on_image(answer)
    assert "40.0 MB" in message and f"{settings.APPEAL_IMAGE_MAX_BYTES // 1024 // 1024} MB" \
        in message
    assert not Appeal.objects.filter(slug="flood-relief").exists()


def test_the_change_form_refuses_a_file_that_is_not_an_image(admin_client, demo):
    url = f"/admin/appeals/appeal/{demo.pk}/change/"
    data = form_of(admin_client, url)
    data["image"] = SimpleUploadedFile("photo.jpg", b"<?php echo 'hi'; ?>", "image/jpeg")

    message = errors_on_image(admin_client.post(url, data))

    assert "JPEG, PNG, WebP or GIF" in message or "valid image" in message
    demo.refresh_from_db()
    assert not demo.image


def test_a_decompression_bomb_is_refused_before_it_is_decoded(admin_client):
    bomb = png_claiming(30_000, 30_000)  # 900 megapixels in 200 bytes

    message = errors_on_image(add_appeal(admin_client, SimpleUploadedFile(
        "bomb.png", bomb, "image/png")))

    assert "megapixels" in message
    assert not Appeal.objects.filter(slug="flood-relief").exists()


def test_a_wide_image_is_scaled_down_to_the_page_width(admin_client, settings, media_root):
    answer = add_appeal(admin_client, SimpleUploadedFile(
        "wide.png", _png((4000, 1000)), "image/png"))

    assert answer.status_code == 302, errors_on_image(answer)
    stored = Image.open(media_root / Appeal.objects.get(slug="flood-relief").image.name)
    assert stored.size == (settings.APPEAL_IMAGE_MAX_WIDTH,
                           settings.APPEAL_IMAGE_MAX_WIDTH // 4)


def _png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 128)).save(buffer, "PNG")
    return buffer.getvalue()
