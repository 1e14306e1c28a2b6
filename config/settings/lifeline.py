"""Lifeline's own settings: the charity, appeals, receipts, payments, Gift Aid,
reconciliation with Stripe and the card-testing defence."""

from .environment import env

# The charity
CHARITY_NAME = env("CHARITY_NAME", default="Lifeline Relief")
CHARITY_NUMBER = env("CHARITY_NUMBER", default="1234567")
RECEIPT_PREFIX = env("RECEIPT_PREFIX", default="LL")
# The receipt PDF's TrueType fonts (donations/receipts/fonts.py): Debian's, from `make fonts`.
RECEIPT_FONT_DIR = env("RECEIPT_FONT_DIR", default="/usr/share/fonts/truetype")
# The charity's postal address, printed on receipts (one line, or lines separated by ", ").
CHARITY_ADDRESS = env("CHARITY_ADDRESS", default="1 Example Street, London, AB1 2CD")
# Where donors write to (receipts, the pages' footer), and the charity's privacy notice (the
# footer links it when set).
CHARITY_EMAIL = env("CHARITY_EMAIL", default="supporters@lifeline.invalid")
CHARITY_PRIVACY_URL = env("CHARITY_PRIVACY_URL", default="")
# The donor pages' public address, for links in emails (a receipt's link back to its appeal,
# a monthly gift's card page, the appeal after Stripe gave up), which no request carries.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The appeal page and widget: each process reuses its last rendering for this long before
# asking the shared cache again (pages/views.py).
APPEAL_PAGE_LOCAL_SECONDS = env.int("APPEAL_PAGE_LOCAL_SECONDS", default=1)
# A shared cache in front (nginx in `make run-scale`, a CDN) may serve the appeal page for
# this long without asking Django (its `s-maxage`; docs/page-cache.md): the totals it shows
# are at most this much (plus APPEAL_PAGE_LOCAL_SECONDS) late, as SPEC allows (~5 s).
APPEAL_PAGE_SHARED_SECONDS = env.int("APPEAL_PAGE_SHARED_SECONDS", default=5)

# Appeal images uploaded in the admin (appeals/images.py, docs/uploads.md): refused above this
# size or pixel count, re-encoded to WebP without metadata, at most this wide.
APPEAL_IMAGE_MAX_BYTES = env.int("APPEAL_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
APPEAL_IMAGE_MAX_PIXELS = 50_000_000
APPEAL_IMAGE_MAX_WIDTH = env.int("APPEAL_IMAGE_MAX_WIDTH", default=1920)

# Appeal totals shown to donors are never staler than this many seconds (cache.py).
APPEAL_TOTALS_TTL = env.int("APPEAL_TOTALS_TTL", default=5)

# Requests per publisher key to its feed (/api/v1/publishers/<source>/stats/, docs/publishers.md),
# as DRF writes rates: "120/hour", "10/min".
PUBLISHER_FEED_RATE = env("PUBLISHER_FEED_RATE", default="120/hour")

# The thanks page of a pending gift asks Stripe at most once per gift per this many seconds,
# however often it is loaded (the webhook, ~1 s after payment, and reconciliation do the rest).
THANKS_PAGE_STRIPE_INTERVAL = env.int("THANKS_PAGE_STRIPE_INTERVAL", default=20)

# Seconds a worker keeps trying to record a receipt the mail server accepted while the
# database was away, rather than let it be sent again (donations.receipts.sending.receipt_send).
RECEIPT_RECORD_PATIENCE = env.int("RECEIPT_RECORD_PATIENCE", default=60)
# The longest wait between two attempts of a receipt's email (exponential backoff, full
# jitter): once the mail server is back, every receipt goes within this, or within the
# sweeper's 45 s more if that attempt is lost (docs/receipts.md). During a long outage each
# unsent receipt is tried about 86 times an hour at 120 (39 at 300).
RECEIPT_RETRY_MAX_SECONDS = env.int("RECEIPT_RETRY_MAX_SECONDS", default=120)
# Seconds a receipt's sender holds its lease on the receipt while it talks to the mail server
# (renewed every third of it while the sender lives): a crashed sender's receipt is sent again
# this long after the crash, at the latest (donations.receipts.sending.receipt_send).
RECEIPT_SEND_LEASE = env.int("RECEIPT_SEND_LEASE", default=15)
# The same for a donor's card setup or payment while Stripe is called (donation_pay): a
# second click meanwhile is told the payment is in progress.
PAYMENT_CLAIM_SECONDS = env.int("PAYMENT_CLAIM_SECONDS", default=30)
# A payment_intent.succeeded event that arrives while our own confirm of it is still being
# answered waits this long for that answer rather than reading the PaymentIntent
# (donations/services/stripe_events.py). Well inside Stripe's webhook timeout.
WEBHOOK_WAIT_FOR_PAY_SECONDS = env.float("WEBHOOK_WAIT_FOR_PAY_SECONDS", default=5.0)

# Gift Aid declaration (HMRC model wording, simplified 2015). Versioned: the version and the
# text shown are stored with each declaration.
GIFT_AID_DECLARATION_VERSION = "2025-01"
# HMRC: "a claim is to have up to 1,000 Gift Aid donors". A claim takes at most this many
# donations (one schedule row each, so never more donors), oldest first; the next claim for
# the period takes the rest.
GIFT_AID_CLAIM_MAX_DONATIONS = 1000

# The donor's own page (donors/, pages/donor.py; docs/donor-page.md). Sign-in links asked for
# (POST /api/v1/donor-links/ and the page's form), per address and per client (django-ratelimit
# rates in the `limits` cache), before 429.
DONOR_LINKS_PER_EMAIL = env("DONOR_LINKS_PER_EMAIL", default="5/h")
DONOR_LINKS_PER_CLIENT = env("DONOR_LINKS_PER_CLIENT", default="30/h")
# A donor stays signed in this long after signing in with a link (then asks for a new one).
DONOR_SESSION_SECONDS = env.int("DONOR_SESSION_SECONDS", default=3600)

# Reconciliation with Stripe (donations/services/reconciliation.py, docs/reconciliation.md).
# A gift not paid and untouched this long is canceled at Stripe and here: a donor who left
# mid-payment, a 3-D Secure never finished. A day leaves room for a donor who returns later
# the same day, and is Stripe Checkout's own default session lifetime.
DONATION_EXPIRE_HOURS = env.int("DONATION_EXPIRE_HOURS", default=24)
# Pending gifts re-read per run, at most (the rest wait for the next runs, in turn).
RECONCILE_BATCH = env.int("RECONCILE_BATCH", default=200)
# Calls a second a reconciliation may make, at most: a small share of Stripe's 100/s (live)
# and of the retrieve endpoint's 25/s that donors' payments need.
RECONCILE_STRIPE_RATE = env.int("RECONCILE_STRIPE_RATE", default=5)
# How far back the refunds and disputes of settled gifts are brought in line (SPEC).
RECONCILE_SETTLED_DAYS = 120

# Card-testing defence (donations/services/defence.py): django-ratelimit rates, "count/period".
DEFENCE_LIMITS = {
    # Lenient for real donors (many share a mobile carrier's or an office's address; test
    # mode's few test cards are shared by everyone), still far below a tester's thousands.
    "declines_per_client": env("DEFENCE_DECLINES_PER_CLIENT", default="30/h"),
    "declines_per_email": env("DEFENCE_DECLINES_PER_EMAIL", default="10/h"),
    "declines_per_card": env("DEFENCE_DECLINES_PER_CARD", default="10/h"),
    # New gifts per client: each makes a PaymentIntent (a call on Stripe's rate limit). A
    # household or a phone carrier's shared address makes a few in 10 minutes, an office's
    # giving day a dozen or two (docs/card-testing.md); 600 had let 640 through in 7 s.
    "creates_per_client": env("DEFENCE_CREATES_PER_CLIENT", default="30/10m"),
    "setups_per_client": env("DEFENCE_SETUPS_PER_CLIENT", default="60/10m"),
    # "400 cards on a single donor in less than 3 minutes" (DOMAIN.md): cards tried per gift.
    "cards_per_gift": env("DEFENCE_CARDS_PER_GIFT", default="10/h"),
}
DEFENCE_ATTACK_LIMITS = {
    "declines_per_client": "5/h",
    "declines_per_email": "3/h",
    "declines_per_card": "2/d",
    "creates_per_client": "10/10m",
    "setups_per_client": "20/10m",
    "cards_per_gift": "3/h",
}
DEFENCE_ATTACK_MIN_AMOUNT = {"GBP": 500, "EUR": 500, "USD": 500, "JPY": 500}
# Attack mode switches itself on after this many declines across the site, for this long.
DEFENCE_ATTACK_THRESHOLD = env("DEFENCE_ATTACK_THRESHOLD", default="200/10m")
DEFENCE_ATTACK_DURATION = env.int("DEFENCE_ATTACK_DURATION", default=3600)
# Which request header holds the client's address: REMOTE_ADDR unless a trusted proxy sets one.
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")

# Monthly gifts (docs/monthly-gifts.md); the links in their emails start with SITE_URL (above).
# Days the link to a monthly gift's card page, emailed after a failed month, stays valid.
REGULAR_GIFT_CARD_LINK_DAYS = env.int("REGULAR_GIFT_CARD_LINK_DAYS", default=7)
