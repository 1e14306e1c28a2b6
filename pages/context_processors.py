from django.conf import settings


def charity(request):
    return {"CHARITY_NAME": settings.CHARITY_NAME, "CHARITY_NUMBER": settings.CHARITY_NUMBER}
