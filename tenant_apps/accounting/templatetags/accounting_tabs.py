"""`{% accounting_tabs %}`: the bookkeeping desk's tabs (accounting/navigation.py) on its pages."""

from __future__ import annotations

from typing import Any

from django import template

from tenant_apps.accounting.navigation import tab_links

register = template.Library()


@register.inclusion_tag("accounting/_tabs.html", takes_context=True)
def accounting_tabs(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    return {"tabs": tab_links(request.path if request is not None else "")}
