from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "tenant_apps.personnel"
    label = "personnel"
    verbose_name = "Personnel"

    def ready(self) -> None:
        # A person may be linked to a donor: a merge of duplicate donors moves the link.
        from tenant_apps.donors.services import merge_step_register
        from tenant_apps.personnel.services.people import merge_personnel

        merge_step_register("personnel.people", merge_personnel)

        from tenant_apps.donors.selectors import merge_preview_register
        from tenant_apps.personnel.selectors import people_merge_preview

        merge_preview_register("personnel.people", people_merge_preview)
