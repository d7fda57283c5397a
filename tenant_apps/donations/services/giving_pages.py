"""The giving pages' own settings, written by fundraisers and administrators: a campaign's
public page (its address, whether it is open, its story, image and fund) and the sites allowed
to show the giving pages in a frame (the Content-Security-Policy's frame-ancestors)."""

from __future__ import annotations

import functools
import hashlib
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from saas_platform.lib.singletons import singleton_get
from saas_platform.lib.uploads import image_check
from tenant_apps.accounting.models import Fund
from tenant_apps.core.services import audit_record, changes_save
from tenant_apps.donations.models import Campaign, GivingPageSettings

if TYPE_CHECKING:
    from shared_apps.users.models import User

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_LENGTH = (3, 60)
# Addresses under /give/ that are pages of their own, never a campaign's.
RESERVED_SLUGS = frozenset({"thanks", "manage", "embed", "image", "static", "new"})
STORY_MAX_LENGTH = 10_000
# The page's image is shown at the width of a phone or of the page's column: a photograph of a
# few hundred kilobytes. Past these it is an upload mistake, refused with a message.
CAMPAIGN_IMAGE_MAX_BYTES = 2 * 1024 * 1024
CAMPAIGN_IMAGE_MAX_SIDE = 4000
CAMPAIGN_IMAGE_FOLDER = "campaigns"
# An origin a giving page may be framed by: https (http too where the platform itself runs on
# http, in development), a host name with its domain (a leading "*." for its subdomains), an
# optional port; nothing else, so that no CSP keyword or separator gets in.
ORIGIN_PATTERN = re.compile(
    r"^(?P<scheme>https?)://(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"(:[0-9]{1,5})?$"
)
FRAME_ANCESTORS_AT_MOST = 10


def slug_check(slug: str, *, campaign: Campaign) -> str:
    slug = text_check(slug, field="slug", max_length=SLUG_LENGTH[1]).lower()
    if not slug:
        return ""
    if len(slug) < SLUG_LENGTH[0] or not SLUG_PATTERN.match(slug):
        raise ServiceError(
            "A page address is 3 to 60 lowercase letters, digits and dashes, such as "
            "spring-appeal.",
            fields={"slug": ["3 to 60 lowercase letters, digits and dashes."]},
        )
    if slug in RESERVED_SLUGS:
        raise ServiceError(
            f"/give/{slug}/ is a page of its own; choose another address.",
            fields={"slug": ["This address is taken by another page."]},
        )
    if Campaign.objects.filter(slug=slug).exclude(pk=campaign.pk).exists():
        raise ServiceError(
            f"Another campaign's page is at /give/{slug}/.",
            fields={"slug": ["Another campaign has this address."]},
        )
    return slug


def campaign_giving_page_update(
    *,
    campaign: Campaign,
    slug: str,
    is_public: bool,
    story: str,
    giving_fund: str,
    acting_user: User | None,
) -> Campaign:
    """Set the campaign's public giving page: its address (/give/<slug>/), whether donors can
    open it, its story, and the fund every gift on it goes to ("" lets the donor choose among
    the funds the organization offers)."""
    slug = slug_check(slug, campaign=campaign)
    if is_public and not slug:
        raise ServiceError(
            "A page open to donors needs an address.",
            fields={"slug": ["Required for a page open to donors."]},
        )
    story = text_check(story, field="story", max_length=STORY_MAX_LENGTH)
    fund = None
    if giving_fund:
        fund = Fund.objects.filter(code=giving_fund, is_active=True).first()
        if fund is None:
            raise ServiceError(
                f"Not an active fund: {giving_fund}.",
                fields={"giving_fund": ["Not an active fund."]},
            )
    wanted = {"slug": slug, "is_public": is_public, "story": story, "giving_fund": fund}
    changes = {name: value for name, value in wanted.items() if getattr(campaign, name) != value}
    return changes_save(
        campaign,
        changes,
        action="campaign.giving_page_update",
        acting_user=acting_user,
        changed=sorted(changes),
    )


def campaign_image_set(*, campaign: Campaign, content: bytes, acting_user: User | None) -> Campaign:
    """Store `content` as the campaign page's image, in the organization's own storage,
    replacing the one it had. The name carries a digest of the content, so a browser never
    shows a cached copy of the previous image for the new one."""
    extension = image_check(
        content,
        field="image",
        what="The image",
        max_bytes=CAMPAIGN_IMAGE_MAX_BYTES,
        max_side=CAMPAIGN_IMAGE_MAX_SIDE,
    )
    digest = hashlib.sha256(content).hexdigest()[:16]
    with transaction.atomic():
        row = Campaign.objects.select_for_update().get(pk=campaign.pk)
        previous = row.image
        stored = default_storage.save(
            f"{CAMPAIGN_IMAGE_FOLDER}/{row.pk}-{digest}.{extension}", ContentFile(content)
        )
        row.image = stored
        row.save(update_fields=["image", "updated_at"])
        audit_record(
            "campaign.image_set", acting_user=acting_user, obj=row, image=[previous, stored]
        )
        if previous and previous != stored:
            transaction.on_commit(functools.partial(default_storage.delete, previous))
    return row


def campaign_image_remove(*, campaign: Campaign, acting_user: User | None) -> Campaign:
    with transaction.atomic():
        row = Campaign.objects.select_for_update().get(pk=campaign.pk)
        previous = row.image
        if not previous:
            return row
        row.image = ""
        row.save(update_fields=["image", "updated_at"])
        audit_record(
            "campaign.image_remove", acting_user=acting_user, obj=row, image=[previous, ""]
        )
        transaction.on_commit(functools.partial(default_storage.delete, previous))
    return row


def giving_page_settings() -> GivingPageSettings:
    return singleton_get(GivingPageSettings)


def frame_origins_check(text: str) -> list[str]:
    """The origins in `text` (one a line, or separated by spaces), lowercased, each checked;
    or a ServiceError naming the first that is not an https origin."""
    origins: list[str] = []
    for written in (text or "").split():
        origin = written.strip().lower().rstrip("/")
        matched = ORIGIN_PATTERN.match(origin)
        if not matched or matched["scheme"] not in (settings.PLATFORM_SCHEME, "https"):
            raise ServiceError(
                f"{written[:100]!r} is not a site's address: write each as https://example.org "
                "(https, a host name, an optional port; *.example.org for its subdomains; no "
                "path).",
                fields={"frame_ancestors": ["Only https origins such as https://example.org."]},
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > FRAME_ANCESTORS_AT_MOST:
        raise ServiceError(
            f"At most {FRAME_ANCESTORS_AT_MOST} sites may show the giving pages.",
            fields={"frame_ancestors": [f"At most {FRAME_ANCESTORS_AT_MOST} sites."]},
        )
    return origins


def giving_frame_ancestors_set(*, text: str, acting_user: User | None) -> list[str]:
    """Allow exactly these sites to show the giving pages in a frame (an embedded form); an
    empty list allows none. Returns the origins now allowed."""
    origins = frame_origins_check(text)
    with transaction.atomic():
        row = GivingPageSettings.objects.select_for_update().filter(pk=1).first()
        row = row or giving_page_settings()
        changes_save(
            row,
            {"frame_ancestors": "\n".join(origins)} if row.frame_origins != origins else {},
            action="giving.frame_ancestors_set",
            acting_user=acting_user,
            origins=[row.frame_origins, origins],
        )
    return origins
