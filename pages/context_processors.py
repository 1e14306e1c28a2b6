from django.conf import settings


def charity(request):
    return {
        "CHARITY_NAME": settings.CHARITY_NAME,
        "CHARITY_NUMBER": settings.CHARITY_NUMBER,
        # Each language in its own name, untranslated (the switcher: pages/_languages.html).
        "LANGUAGE_CHOICES": settings.LANGUAGES,
    }
