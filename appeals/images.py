"""Appeal images as the public gets them: re-encoded by us, never served as uploaded.

An upload is refused when it is larger than APPEAL_IMAGE_MAX_BYTES, not an image Pillow
reads as JPEG, PNG, WebP or GIF, or larger than APPEAL_IMAGE_MAX_PIXELS (a decompression
bomb: a few hundred bytes that decode to gigabytes). What is kept is a WebP re-encoded from
the pixels alone: no EXIF (a phone photo's carries the camera and where it stood), no XMP,
no comments; turned upright as its EXIF said; colours converted to sRGB; no wider than
APPEAL_IMAGE_MAX_WIDTH. See docs/uploads.md.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
WEBP_QUALITY = 82


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class AppealImageField(forms.ImageField):
    """The admin's image field: checks the upload, then hands on the re-encoded WebP."""

    default_error_messages = {
        **forms.ImageField.default_error_messages,
        "too_large": "This image is %(size)s; at most %(limit)s can be uploaded. Save it "
                     "smaller (the page shows it at most %(width)s pixels wide).",
        "not_an_image": "This file is not an image we can use: upload a JPEG, PNG, WebP or "
                        "GIF.",
        "too_many_pixels": "This image is %(pixels)s megapixels; at most %(limit)s "
                           "megapixels can be uploaded. Resize it first.",
    }

    def to_python(self, data):
        # FileField's checks (a name, not empty), but not ImageField's: we decode fully below.
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        limit = settings.APPEAL_IMAGE_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large",
                                        params={"size": _megabytes(upload.size),
                                                "limit": f"{limit // 1024 // 1024} MB",
                                                "width": settings.APPEAL_IMAGE_MAX_WIDTH})
        return self._reencoded(upload)

    def _reencoded(self, upload) -> SimpleUploadedFile:
        max_pixels = settings.APPEAL_IMAGE_MAX_PIXELS
        upload.seek(0)
        try:
            with warnings.catch_warnings():
                # Pillow's own bomb guard only warns below twice its limit: make it refuse.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(upload)
                if image.format not in ACCEPTED_FORMATS:
                    raise forms.ValidationError(self.error_messages["not_an_image"],
                                                code="not_an_image")
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(self, width * height)
                web = web_version(image, max_width=settings.APPEAL_IMAGE_MAX_WIDTH)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(self, None) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            # Unreadable, truncated or corrupt: Pillow's errors for bad data.
            raise forms.ValidationError(self.error_messages["not_an_image"],
                                        code="not_an_image") from exc
        name = (Path(upload.name or "image").stem[:80] or "image") + ".webp"
        encoded = SimpleUploadedFile(name, web, content_type="image/webp")
        encoded.image = Image.open(io.BytesIO(web))  # what ImageField.to_python would set
        return encoded


def _too_many_pixels(field, pixels: int | None) -> forms.ValidationError:
    limit = settings.APPEAL_IMAGE_MAX_PIXELS
    shown = f"{pixels / 1_000_000:.0f}" if pixels else f"more than {2 * limit // 1_000_000}"
    return forms.ValidationError(field.error_messages["too_many_pixels"], code="too_many_pixels",
                                 params={"pixels": shown, "limit": limit // 1_000_000})


def web_version(image: Image.Image, *, max_width: int) -> bytes:
    """`image` (opened, not yet decoded) as WebP bytes from its pixels only."""
    # JPEG: let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers max_width.
    image.draft("RGB", (max_width, max_width))
    image.load()
    icc = image.info.get("icc_profile")
    mode = "RGBA" if _has_alpha(image) else "RGB"
    image = ImageOps.exif_transpose(image)  # upright, before the orientation tag is dropped
    if icc:
        image = _to_srgb(image, icc, mode)
    image = image.convert(mode)
    if image.width > max_width:
        image = image.resize((max_width, max(1, round(image.height * max_width / image.width))),
                             Image.Resampling.LANCZOS)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)  # a new image: nothing of the upload's info (EXIF, XMP, ICC) travels
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"", xmp=b"")
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)


def _to_srgb(image: Image.Image, icc: bytes, mode: str) -> Image.Image:
    """The pixels converted from the upload's colour profile to sRGB (the web's default),
    since the profile itself is not kept; unchanged when the profile cannot be used."""
    try:
        return ImageCms.profileToProfile(
            image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
            outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        logger.info("appeal image: colour profile unreadable, kept its pixel values")
        return image
