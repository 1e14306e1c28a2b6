from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from appeals import selectors, services
from appeals.admin_forms import AppealAdminForm, SuggestedAmountForm, SuggestedAmountFormSet
from appeals.images import AppealImageField
from appeals.models import Appeal, Designation, SuggestedAmount
from core.admin import ValuesInChangeMessage
from core.money import format_money
from donations.monthly_selectors import appeal_monthly


# The translated fields' names, as a translator reads them in the language they write in.
FIELD_NAMES = {
    "title": gettext_noop("Title"), "summary": gettext_noop("Summary"),
    "story": gettext_noop("Story"), "image_alt": gettext_noop("Image alt"),
    "name": gettext_noop("Name"), "description": gettext_noop("Description"),
    "impact": gettext_noop("Impact"),
}
OTHER_LANGUAGES = [(code, name) for code, name in settings.LANGUAGES if code != "en"]


class LanguageLabels:
    """An appeal's text in every language (appeals/translation.py): the English field keeps
    its plain label ("Title"); another language's is named in that language, with its name
    ("Titel (Deutsch)"), and its input says its language and direction."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = getattr(db_field, "language", None)
        if field is None or language is None:
            return field
        name = FIELD_NAMES.get(db_field.translated_field.name, db_field.translated_field.name)
        if language == "en":
            field.label = capfirst(gettext(name))
            return field
        with translation.override(language):
            field.label = f"{capfirst(gettext(name))} ({dict(settings.LANGUAGES)[language]})"
        field.widget.attrs.update(lang=language, dir="rtl" if language in settings.LANGUAGES_BIDI
                                  else "ltr")
        return field


class DesignationInline(LanguageLabels, TranslationStackedInline):
    model = Designation
    extra = 1
    fields = ["code", "name", "description", "position"]


class SuggestedAmountInline(LanguageLabels, TranslationStackedInline):
    model = SuggestedAmount
    form = SuggestedAmountForm
    formset = SuggestedAmountFormSet
    extra = 1
    fields = ["amount", "impact", "position"]


@admin.register(Appeal)
class AppealAdmin(ValuesInChangeMessage, LanguageLabels, TranslationAdmin):
    form = AppealAdminForm
    list_display = ["title", "slug", "status", "currency", "goal_display", "raised_display",
                    "donor_count", "published_at"]
    list_filter = ["status", "currency"]
    search_fields = ["title", "slug"]
    # Uploads are checked and re-encoded, never kept as uploaded (appeals/images.py).
    formfield_overrides = {models.ImageField: {"form_class": AppealImageField}}
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DesignationInline, SuggestedAmountInline]
    actions = ["publish", "close"]
    # Written into the admin's history with their values (the audit log shows them).
    audited_fields = ("status", "successor", "currency")
    readonly_fields = ["published_at", "closed_at", "totals_by_designation", "monthly_gifts",
                       "public_link"]
    fieldsets = [
        (None, {"fields": ["title_en", "slug", "summary_en", "story_en", "image",
                           "image_alt_en"]}),
        ("Money", {"fields": ["currency", "goal_amount"]}),
        ("Publishing", {"fields": ["status", "published_at", "closed_at", "public_link",
                                   "successor"]}),
        ("Totals", {"fields": ["totals_by_designation", "monthly_gifts"]}),
        # The appeal's text in the other languages, each folded away until opened: empty
        # fields show the English text to that language's readers.
        *((name, {"classes": ["collapse"],
                  "fields": [f"{field}_{code}" for field in ("title", "summary", "story",
                                                              "image_alt")]})
          for code, name in OTHER_LANGUAGES),
    ]

    def get_queryset(self, request):
        # Raised and donors by the database, one query for the whole list.
        return selectors.appeals_with_totals(super().get_queryset(request))

    @admin.display(description="Goal", ordering="goal_amount")
    def goal_display(self, appeal):
        return appeal.goal_display

    @admin.display(description="Raised", ordering="raised_amount")
    def raised_display(self, appeal):
        return format_money(appeal.raised_amount, appeal.currency)

    @admin.display(description="Donors", ordering="donor_count")
    def donor_count(self, appeal):
        return appeal.donor_count

    @admin.display(description="Raised by designation")
    def totals_by_designation(self, appeal):
        if appeal.pk is None:
            return "—"
        rows = selectors.designation_totals(appeal)
        if not rows:
            return "No gifts yet."
        return format_html(
            '<table data-testid="designation-totals"><thead><tr><th>Designation</th>'
            "<th>Raised</th><th>Gifts</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row["designation__name"] or "Where most needed",
                  format_money(row["raised"], appeal.currency), row["gifts"]) for row in rows),
            ),
        )

    @admin.display(description="Monthly gifts")
    def monthly_gifts(self, appeal):
        if appeal.pk is None:
            return "—"
        figures = appeal_monthly(appeal_id=appeal.pk)
        return format_html(
            '<table data-testid="monthly-gifts"><tbody>'
            "<tr><th>Monthly donors</th><td>{}</td></tr>"
            "<tr><th>Promised each month</th><td>{}</td></tr>"
            "<tr><th>Failed payments this month</th><td>{}</td></tr>"
            "</tbody></table>"
            '<div class="help">Monthly donors: gifts Stripe still collects (active or past '
            "due). Promised: what they give each month, without covered fees. Failed: gifts "
            "whose payment failed since the 1st (they went past due), each once.</div>",
            figures.donors, format_money(figures.promised, appeal.currency),
            figures.failed_this_month,
        )

    @admin.display(description="Page")
    def public_link(self, appeal):
        if appeal.pk is None:
            return "—"
        label = "Preview (draft: only staff see it)" if appeal.status == Appeal.Status.DRAFT \
            else "Open the appeal page"
        return format_html('<a href="{}?preview=1" target="_blank" rel="noopener">{}</a>',
                           appeal.get_absolute_url(), label)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from attribution.embed import embed_snippet

        appeal = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if appeal is not None:
            extra_context.update(
                embed_snippet=embed_snippet(appeal, request.build_absolute_uri("/")),
                attribution_report_url=reverse("appeal-attribution-report", args=[appeal.slug]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Status moves through the service, which stamps when it was published or closed.
        wanted = obj.status
        if "status" in form.changed_data:
            obj.status = form.initial.get("status", Appeal.Status.DRAFT)
        super().save_model(request, obj, form, change)
        services.appeal_set_status(appeal=obj, status=wanted)
        selectors.appeal_totals_changed(obj.pk)

    @admin.action(description="Publish selected appeals (take gifts)", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Appeal.Status.LIVE, "published")

    @admin.action(description="Close selected appeals (stop taking gifts)",
                  permissions=["change"])
    def close(self, request, queryset):
        self._set_status(request, queryset, Appeal.Status.CLOSED, "closed")

    def _set_status(self, request, queryset, status, verb):
        count = 0
        for appeal in queryset:
            before = appeal.get_status_display()
            services.appeal_set_status(appeal=appeal, status=status)
            # In the admin's history, as a change by form is (the audit log reads it).
            self.log_change(request, appeal, f"Status: {before} → {appeal.get_status_display()}")
            count += 1
        messages.success(request, f"{count} appeal(s) {verb}.")
