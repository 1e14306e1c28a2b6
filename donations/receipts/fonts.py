"""The receipt PDF's fonts: TrueType, embedded, so that a name in any script prints.

DejaVu Sans (Debian's fonts-dejavu-core) covers Latin, Greek, Cyrillic and Arabic, with the
OpenType tables that shape Arabic (harfbuzz, through fpdf2's text shaping and uharfbuzz);
Droid Sans Fallback (fonts-droid-fallback) covers Chinese, Japanese and Korean, as fpdf2's
fallback font for characters DejaVu lacks. `make fonts` installs both (docs/languages.md).
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from fontTools.ttLib import TTFont

# (family, style) -> the file; RECEIPT_FONT_DIR moves them all (README, "Languages").
FILES = {
    ("DejaVu", ""): "dejavu/DejaVuSans.ttf",
    ("DejaVu", "B"): "dejavu/DejaVuSans-Bold.ttf",
    ("DroidFallback", ""): "droid/DroidSansFallbackFull.ttf",
}
PACKAGES = "fonts-dejavu-core fonts-droid-fallback"
MAIN = "DejaVu"
FALLBACK = "DroidFallback"


class FontsMissing(RuntimeError):
    """A receipt font is not installed."""


def font_paths() -> dict[tuple[str, str], Path]:
    base = Path(settings.RECEIPT_FONT_DIR)
    return {key: base / name for key, name in FILES.items()}


def missing_fonts() -> list[Path]:
    return [path for path in font_paths().values() if not path.is_file()]


def check_fonts() -> None:
    """:raises FontsMissing: naming the files and the Debian packages that install them."""
    missing = missing_fonts()
    if missing:
        raise FontsMissing(
            f"Receipt fonts missing: {', '.join(map(str, missing))}. Install Debian's "
            f"{PACKAGES} (`make fonts`), or set RECEIPT_FONT_DIR.")


def add_fonts(pdf, texts) -> None:
    """Embed the fonts in an fpdf2 document, shaping on; the CJK fallback font only when one
    of `texts` has a character the main font lacks (reading it costs ~0.25 s a document)."""
    check_fonts()
    paths = font_paths()
    for (family, style), path in paths.items():
        if family == MAIN:
            pdf.add_font(family, style, str(path))
    covered = _codepoints(str(paths[(MAIN, "")]))
    if any(ord(ch) not in covered and not ch.isspace() for text in texts for ch in text):
        pdf.add_font(FALLBACK, "", str(paths[(FALLBACK, "")]))
        pdf.set_fallback_fonts([FALLBACK], exact_match=False)
    pdf.set_text_shaping(True)


@lru_cache(maxsize=4)
def _codepoints(path: str) -> frozenset[int]:
    return frozenset(TTFont(path, lazy=True).getBestCmap())
