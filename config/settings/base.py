"""Settings shared by every environment, read from the environment (django-environ), one
module per concern. local.py, test.py and production.py start from these.

Stripe: with no STRIPE_SECRET_KEY the app talks to the local stand-in (localstripe) on
STRIPE_API_BASE, through the same SDK code path it uses for real Stripe (stripe.py).
No module writes to disk at import.
"""

from .environment import *  # noqa: F401,F403
from .django import *  # noqa: F401,F403
from .database import *  # noqa: F401,F403
from .cache import *  # noqa: F401,F403
from .email import *  # noqa: F401,F403
from .lifeline import *  # noqa: F401,F403
from .stripe import *  # noqa: F401,F403
from .celery import *  # noqa: F401,F403
from .api import *  # noqa: F401,F403
from .security import *  # noqa: F401,F403
from .deadlines import *  # noqa: F401,F403
