"""The copy-paste snippet a publisher puts in an article to show an appeal's widget."""

from django.template.loader import render_to_string
from django.urls import reverse

from appeals.models import Appeal


def embed_snippet(appeal: Appeal, site_url: str, *, source: str = "YOUR-SITE") -> str:
    """HTML for the publisher: an iframe of /appeals/<slug>/embed/ that sizes itself.

    The script adds the article's own address as `ref` (so the report names the article)
    and sets the iframe's height from the widget's postMessage, accepted only from our
    origin. Without JavaScript the iframe still shows, at its default height.
    `site_url` is our origin with a trailing slash (request.build_absolute_uri("/")).
    """
    origin = site_url.rstrip("/")
    return render_to_string("attribution/embed_snippet.html", {
        "appeal": appeal,
        "origin": origin,
        "src": f"{origin}{reverse('pages:embed', kwargs={'slug': appeal.slug})}"
               f"?utm_source={source}&utm_medium=embed",
        "page_url": f"{origin}{appeal.get_absolute_url()}?utm_source={source}&utm_medium=embed",
        "frame_id": f"lifeline-{appeal.slug}",
    }).strip()
