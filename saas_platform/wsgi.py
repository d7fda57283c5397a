import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

application = get_wsgi_application()

# A web request's statements are cancelled after DATABASE_STATEMENT_TIMEOUT_MS.
from saas_platform.lib.statement_timeout import statement_timeout_set  # noqa: E402

statement_timeout_set(settings.DATABASE_STATEMENT_TIMEOUT_MS)

# What starting made (Django's apps, models, settings, this module's imports) lives as long as the
# process: frozen, the collector no longer walks it. A full collection walked its 125,000 objects
# in 60 to 80 ms of CPU on a 2-CPU machine and fell inside about one request in 200, the slow run
# of a page's p95 (bench/ledger.py); frozen, it takes well under a millisecond.
gc.collect()
gc.freeze()
