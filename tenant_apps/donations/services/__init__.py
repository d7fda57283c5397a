"""The services of donations (its writes), one module per domain object: gifts, allocations
and soft credits, campaigns, deposits, pledges, schedules, recurring gifts, receipts and their
settings and content, CSV imports; checks.py holds the validators they share and posting.py
what they put in the books. Reads are in donations.selectors.

This package is the app's interface to the rest of the project: it re-exports the names that
code outside donations uses. The app's own code imports from the submodules.
"""

from tenant_apps.donations.services.allocations import AllocationSpec
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.deposits import (
    deposit_add_gifts,
    deposit_close,
    deposit_create,
    deposit_gift_enter,
)
from tenant_apps.donations.services.gifts import (
    GiftSpec,
    gift_create,
    gift_post,
    gifts_create,
    gifts_post,
)
from tenant_apps.donations.services.giving_pages import (
    campaign_giving_page_update,
    giving_frame_ancestors_set,
    giving_page_settings,
)
from tenant_apps.donations.services.import_csv import DONOR_COLUMNS, GIFT_COLUMNS
from tenant_apps.donations.services.imports import import_job_create
from tenant_apps.donations.services.online import giving_funds, giving_funds_set
from tenant_apps.donations.services.pledges import pledge_create, pledge_post
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings as receipt_settings_current,  # its own name is the module's, here
)
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings_missing,
    receipt_settings_update,
)
from tenant_apps.donations.services.recurring import recurring_gift_create, recurring_gifts_run
from tenant_apps.donations.services.schedules import ScheduleSpec

__all__ = [
    "AllocationSpec",
    "DONOR_COLUMNS",
    "GIFT_COLUMNS",
    "GiftSpec",
    "ScheduleSpec",
    "campaign_create",
    "campaign_giving_page_update",
    "deposit_add_gifts",
    "deposit_close",
    "deposit_create",
    "deposit_gift_enter",
    "gift_create",
    "gift_post",
    "giving_frame_ancestors_set",
    "giving_funds",
    "giving_funds_set",
    "gifts_create",
    "gifts_post",
    "giving_page_settings",
    "import_job_create",
    "pledge_create",
    "pledge_post",
    "receipt_settings_current",
    "receipt_settings_missing",
    "receipt_settings_update",
    "recurring_gift_create",
    "recurring_gifts_run",
]
