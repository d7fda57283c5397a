import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

application = get_wsgi_application()

# A web request's statements are cancelled after DATABASE_STATEMENT_TIMEOUT_MS.
from saas_platform.lib.statement_timeout import statement_timeout_set  # noqa: E402

statement_timeout_set(settings.DATABASE_STATEMENT_TIMEOUT_MS)
