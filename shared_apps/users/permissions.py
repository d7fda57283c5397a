"""DRF permissions by role capability (see roles.py). Views say what they need:

permission_classes = [capability_required(read=Capability.ACCOUNTING_READ,
                                          write=Capability.ACCOUNTING_WRITE)]
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from shared_apps.users.roles import Capability


def capability_required(
    *, read: Capability, write: Capability | None = None
) -> type[BasePermission]:
    """A permission class: `read` for safe methods, `write` (default: refused) for the rest."""

    class CapabilityRequired(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            needed = read if request.method in SAFE_METHODS else write
            return needed is not None and user.has_capability(needed)

    CapabilityRequired.__name__ = f"CapabilityRequired_{read.value}_{write.value if write else ''}"
    return CapabilityRequired
