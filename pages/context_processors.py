from django.conf import settings


def charity(request):
    return {
        "CHARITY_NAME": settings.CHARITY_NAME,
        "CHARITY_NUMBER": settings.CHARITY_NUMBER,
        "CHARITY_EMAIL": settings.CHARITY_EMAIL,
        "CHARITY_PRIVACY_URL": settings.CHARITY_PRIVACY_URL,
        "SITE_URL": settings.SITE_URL,
        # Each language in its own name, untranslated (the switcher: pages/_languages.html).
        "LANGUAGE_CHOICES": settings.LANGUAGES,
    }
