from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "tenant_apps.donations"
    label = "donations"
    verbose_name = "Donations"

    def ready(self) -> None:
        # Gifts and soft credits point at donors: a merge of duplicates moves them too. The
        # names carry the app's label: the merge record's keys say which app moved what.
        from tenant_apps.donations.services.allocations import merge_soft_credits
        from tenant_apps.donations.services.gifts import merge_gifts
        from tenant_apps.donors.services import merge_step_register

        merge_step_register("donations.gifts", merge_gifts)
        merge_step_register("donations.soft_credits", merge_soft_credits)

        # Pledges and recurring gifts are the donor's too: they follow their gifts.
        from tenant_apps.donations.services.pledges import merge_pledges
        from tenant_apps.donations.services.recurring import merge_recurring_gifts

        merge_step_register("donations.pledges", merge_pledges)
        merge_step_register("donations.recurring_gifts", merge_recurring_gifts)
