import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")

application = get_asgi_application()

# A web request's statements are cancelled after DATABASE_STATEMENT_TIMEOUT_MS, as under WSGI.
from saas_platform.lib.statement_timeout import statement_timeout_set  # noqa: E402

statement_timeout_set(settings.DATABASE_STATEMENT_TIMEOUT_MS)
