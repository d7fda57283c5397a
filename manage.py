#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings.local")
    # Commands connect to PostgreSQL itself (DIRECT_DATABASE_URL), not through a pooler in
    # transaction mode: migrations, pg_dump and advisory locks need a session of their own.
    os.environ.setdefault("DATABASE_PROCESS", "manage")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
