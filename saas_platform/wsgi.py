import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

application = get_wsgi_application()

# A web request's statements are cancelled after DATABASE_STATEMENT_TIMEOUT_MS.
from saas_platform.lib.statement_timeout import statement_timeout_set  # noqa: E402

statement_timeout_set(settings.DATABASE_STATEMENT_TIMEOUT_MS)

# What the process holds for its whole life (settings, apps, models, and the views, serializers
# and libraries both URL maps import, which would otherwise load on the first request) is put
# out of the garbage collector's reach: a full collection walked its 125,000 to 200,000
# objects in 60 to 160 ms and fell inside about one request in a few hundred to a thousand
# (the slow run of a report page's p95, bench/ledger.py, and of the request path's,
# bench/README.md); frozen, it takes well under a millisecond, and the young collections each
# request sets off get cheaper too. Workers forked from a preloading master also keep sharing
# those pages.
for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
    get_resolver(urlconf).url_patterns  # noqa: B018 (loads the URL map and what it imports)
gc.collect()
gc.freeze()
