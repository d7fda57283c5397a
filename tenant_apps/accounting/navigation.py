"""The bookkeeping desk's tabs: one entry per area under /accounting/, in the order a bookkeeper
works through them. A tab is current when the page's path is under its URL (the longest match
wins, so /accounting/journal/12/ is the journal, and a report is a statement)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Tab:
    label: str
    url_name: str


TABS = (
    Tab("Statements", "accounting:index"),
    Tab("Journal", "accounting:journal"),
    Tab("Chart of accounts", "accounting:chart"),
    Tab("Funds", "accounting:funds"),
    Tab("Programs", "accounting:programs"),
    Tab("Periods", "accounting:periods"),
    Tab("Budgets", "accounting:budgets"),
    Tab("Bank", "banking:index"),
)


@dataclass(frozen=True)
class TabLink:
    label: str
    url: str
    current: bool


def tab_links(path: str) -> list[TabLink]:
    """The tabs with their URLs, the one holding `path` marked current. A tab whose page is not
    routed in this deployment is left out."""
    routed: list[tuple[Tab, str]] = []
    for tab in TABS:
        try:
            routed.append((tab, reverse(tab.url_name)))
        except NoReverseMatch:
            continue
    holding = [url for _, url in routed if path.startswith(url)]
    current = max(holding, key=len, default="")
    return [TabLink(tab.label, url, url == current) for tab, url in routed]
