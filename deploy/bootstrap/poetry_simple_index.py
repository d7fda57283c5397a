"""Let Poetry read package metadata from the simple index when the JSON API lacks a release.

Some PyPI mirrors serve the simple index but not the per-release JSON API
(`/pypi/<name>/<version>/json`) that Poetry's PyPI repository asks for, so `poetry lock` and
`poetry install` fail with "Package ... not found". Some also answer the simple index only in
HTML (PEP 503) even when Poetry asks for JSON (PEP 691), which Poetry fails to parse.

This module is loaded by a `.pth` file in the virtual environment that runs Poetry (see
install-poetry.sh). Only when the JSON answer is missing does it take the release's files from
the simple index and their metadata from the files themselves (PEP 658 metadata or the wheel), as
Poetry does for any other index; it reads the simple index in whichever form the mirror answers.
Locks made this way are the same as those made against the JSON API.
"""

from __future__ import annotations

import contextlib
from typing import Any


def _install() -> None:
    from poetry.inspection.info import PackageInfo
    from poetry.repositories.exceptions import PackageNotFoundError
    from poetry.repositories.link_sources.html import HTMLPage
    from poetry.repositories.link_sources.json import SimpleJsonPage
    from poetry.repositories.pypi_repository import PyPiRepository

    json_release_info = PyPiRepository._get_release_info
    json_links = PyPiRepository.find_links_for_package

    def _get_release_info(self: PyPiRepository, name: Any, version: Any) -> dict[str, Any]:
        try:
            return json_release_info(self, name, version)
        except PackageNotFoundError:
            page = self.get_page(name)
            links = list(page.links_for_version(name, version))
            if not links:
                raise
            info = self._get_info_from_links(links, ignore_yanked=False)
            data = PackageInfo(
                name=name,
                version=version.text,
                summary=info.summary or "",
                requires_dist=info.requires_dist,
                requires_python=info.requires_python,
                files=[],
                yanked=page.yanked(name, version),
                cache_version=str(self.CACHE_VERSION),
            )
            return self._links_to_data(links, data)

    def find_links_for_package(self: PyPiRepository, package: Any) -> list[Any]:
        links = json_links(self, package)
        if links:
            return links
        try:
            page = self.get_page(package.name)
        except PackageNotFoundError:
            return []
        return list(page.links_for_version(package.name, package.version))

    def _get_page(self: PyPiRepository, name: Any) -> Any:
        source = self._base_url + f"simple/{name}/"
        response = self.session.get(
            source,
            raise_for_status=False,
            headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"},
        )
        if response.status_code != 200:
            raise PackageNotFoundError(f"Package [{name}] not found.")
        if "json" in response.headers.get("content-type", ""):
            return SimpleJsonPage(source, response.json())
        return HTMLPage(source, response.text)

    # Poetry has no hook for another index format: its repository's readers are replaced.
    PyPiRepository._get_page = _get_page  # type: ignore[method-assign]
    PyPiRepository._get_release_info = _get_release_info  # type: ignore[method-assign]
    PyPiRepository.find_links_for_package = find_links_for_package  # type: ignore[method-assign]


with contextlib.suppress(ImportError):  # in an interpreter without Poetry, do nothing
    _install()
