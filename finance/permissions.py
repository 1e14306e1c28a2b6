from rest_framework.permissions import BasePermission

from finance.roles import FINANCE_GROUP


def is_finance(user) -> bool:
    """A superuser, or an active member of the Finance group."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=FINANCE_GROUP).exists()


class IsFinance(BasePermission):
    message = "Finance staff only (the Finance group)."

    def has_permission(self, request, view):
        return is_finance(request.user)
