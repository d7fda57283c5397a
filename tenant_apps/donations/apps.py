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

        # What each of those steps would move, for the merge page's preview; receipts have no
        # step (an issued receipt is never changed) but the preview says that they stay.
        from tenant_apps.donations import selectors
        from tenant_apps.donors.selectors import merge_preview_register

        merge_preview_register("donations.gifts", selectors.gifts_merge_preview)
        merge_preview_register("donations.soft_credits", selectors.soft_credits_merge_preview)
        merge_preview_register("donations.pledges", selectors.pledges_merge_preview)
        merge_preview_register("donations.recurring_gifts", selectors.recurring_gifts_merge_preview)
        merge_preview_register("donations.receipts", selectors.receipts_merge_preview)

        # The month-end close's checklist counts what the fundraising desk leaves open.
        from tenant_apps.accounting.closing import closing_check_register
        from tenant_apps.donations.closing import open_deposits_check, unposted_gifts_check

        closing_check_register("donations.open_deposits", open_deposits_check)
        closing_check_register("donations.unposted_gifts", unposted_gifts_check)
