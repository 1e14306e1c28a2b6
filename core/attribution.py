"""Where a gift came from: the attribution fields a landing carries to the donation (the
article's `utm_*` parameters and its address, `ref`). One list for the middleware, the page
counter, the donation API, the admin, the donor's data export and the page's script."""

ATTRIBUTION_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "ref")
