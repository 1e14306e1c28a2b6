"""An appeal's own text in every language of settings.LANGUAGES (django-modeltranslation).

Each field below gets one column per language (title_en, title_de, …); reading `title` gives
the active language's, falling back to English where it is empty
(MODELTRANSLATION_FALLBACK_LANGUAGES). The admin shows them all (appeals/admin.py).
"""

from modeltranslation.translator import TranslationOptions, register

from appeals.models import Appeal, Designation, SuggestedAmount


@register(Appeal)
class AppealTranslation(TranslationOptions):
    fields = ("title", "summary", "story", "image_alt")
    # English is the fallback: required as before. The other languages may stay empty.
    required_languages = ("en",)


@register(Designation)
class DesignationTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"en": ("name",)}


@register(SuggestedAmount)
class SuggestedAmountTranslation(TranslationOptions):
    fields = ("impact",)
