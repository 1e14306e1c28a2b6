"""Amounts read and written in each of the donor's languages, the messages about them in that
language, and the catalogues the build compiles (issue 16, docs/languages.md)."""

import subprocess
import sys

import pytest
from django.utils import translation

from core.languages import supported_language
from core.money import MoneyError, format_money, parse_amount
from gateways.stripe import elements_locale
from tests.conftest import ROOT

LANGUAGES = ("en", "uk", "pl", "de", "fr", "es", "ar")


@pytest.mark.parametrize("language, eur, gbp, jpy", [
    ("en", "€1,250.50", "£25.00", "¥3,000"),
    ("de", "1.250,50\u00a0€", "25,00\u00a0£", "3.000\u00a0¥"),
    ("fr", "1\u202f250,50\u00a0€", "25,00\u00a0£GB", "3\u202f000\u00a0JPY"),
    ("es", "1.250,50\u00a0€", "25,00\u00a0GBP", "3.000\u00a0JPY"),
    ("pl", "1\u00a0250,50\u00a0€", "25,00\u00a0GBP", "3\u00a0000\u00a0JPY"),
    ("uk", "1\u00a0250,50\u00a0EUR", "25,00\u00a0GBP", "3\u00a0000\u00a0¥"),
    # Arabic: Latin digits (CLDR's default for "ar"), a right-to-left mark before
    ("ar", "\u200f1,250.50\u00a0€", "\u200f25.00\u00a0UK£", "\u200f3,000\u00a0JP¥"),
])
def test_amounts_are_written_as_each_language_writes_them(language, eur, gbp, jpy):
    assert format_money(125050, "EUR", language) == eur
    assert format_money(2500, "GBP", language) == gbp
    assert format_money(3000, "JPY", language) == jpy
    with translation.override(language):  # the active language when none is named
        assert format_money(125050, "EUR") == eur


@pytest.mark.parametrize("language", ["de", "fr", "es", "pl", "uk"])
def test_ten_fifty_typed_on_a_comma_page_is_ten_fifty(language):
    assert parse_amount("10,50", "EUR", language) == 1050
    assert parse_amount("10,50 €", "EUR", language) == 1050
    assert parse_amount("10.50", "EUR", language) == 1050  # the machine form, always


@pytest.mark.parametrize("text, minor", [
    ("١٠", 1000), ("١٠٫٥٠", 1050), ("١٬٢٥٠٫٥٠", 125050),  # Arabic-Indic digits and marks
    ("۱۰", 1000), ("€ ١٠", 1000), ("10.50", 1050), ("1,250.50", 125050),
])
def test_an_arabic_page_reads_the_digits_an_arabic_keyboard_types(text, minor):
    assert parse_amount(text, "EUR", "ar") == minor


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_arabic_digits_are_refused_on_other_pages(language):
    with pytest.raises(MoneyError):
        parse_amount("١٠", "EUR", language)


@pytest.mark.parametrize("language, message", [
    ("de", "Geben Sie einen Betrag ein, z. B. 25,00."),
    ("fr", "Saisissez un montant, par exemple 25,00."),
    ("uk", "Введіть суму, наприклад 25,00."),
    ("ar", "أدخل مبلغًا، مثل 25.00."),
    ("en", "Enter an amount, like 25.00."),
])
def test_a_refusal_is_explained_in_the_readers_language(language, message):
    with translation.override(language), pytest.raises(MoneyError) as refused:
        parse_amount("abc", "EUR", language)
    assert str(refused.value) == message


@pytest.mark.parametrize("code, ours", [
    ("de-AT", "de"), ("de", "de"), ("en-gb", "en"), ("ar-EG", "ar"), ("pt-BR", "en"),
    ("", "en"), (None, "en"), ("uk", "uk"),
])
def test_a_requests_language_is_one_of_ours(code, ours):
    assert supported_language(code) == ours


@pytest.mark.parametrize("language, stripe", [
    ("de", "de"), ("ar", "ar"), ("en-gb", "en"), ("uk", "auto"), ("pl", "pl"), ("", "auto"),
])
def test_stripes_elements_get_the_pages_language_where_stripe_has_it(language, stripe):
    assert elements_locale(language) == stripe


def test_every_donor_language_has_a_complete_catalogue_that_compiles(tmp_path):
    from babel.messages.pofile import read_po

    for language in LANGUAGES[1:]:
        path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        with path.open("rb") as handle:
            catalog = read_po(handle)
        ours = [m for m in catalog if m.id and not any(
            "security/templates" in location for location, _line in m.locations)]
        untranslated = [m.id for m in ours if not m.string or m.fuzzy
                        or (isinstance(m.string, tuple) and not all(m.string))]
        assert untranslated == [], (language, untranslated)
    compiled = subprocess.run([sys.executable, str(ROOT / "scripts/compile_messages.py")],
                              capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr


def test_the_compiler_refuses_a_translation_that_loses_a_placeholder(tmp_path):
    po = tmp_path / "de" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "The smallest gift is %(amount)s."\n'
                  'msgstr "Die kleinste Spende ist %(betrag)s."\n', encoding="utf-8")
    compiled = subprocess.run([sys.executable, str(ROOT / "scripts/compile_messages.py"), str(po)],
                              capture_output=True, text=True)
    assert compiled.returncode == 1 and "%(betrag)s" in compiled.stderr
    assert not po.with_suffix(".mo").exists()
