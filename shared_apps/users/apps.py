from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "shared_apps.users"
    label = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from shared_apps.users import schema  # noqa: F401 - registers the OpenAPI extension
