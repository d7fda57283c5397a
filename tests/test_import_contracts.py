"""The direction of imports (pyproject.toml, [tool.importlinter]) holds: no app imports one above
it, the library imports no app, shared apps import no tenant app's models, no two apps
import each other, and an app reaches another's services only through its package.
`make importlint` runs the same check before the suite."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

import grimp

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


def test_every_import_contract_is_kept() -> None:
    result = subprocess.run(  # noqa: S603 - our own virtualenv's command, fixed arguments
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert f"Contracts: {len(contracts['contracts'])} kept, 0 broken." in result.stdout


def test_the_library_imports_nothing_of_the_project_but_itself() -> None:
    # Imports under `if TYPE_CHECKING:` are annotations, not dependencies at run time.
    graph = grimp.build_graph(
        "saas_platform",
        "shared_apps",
        "tenant_apps",
        "provisioning",
        exclude_type_checking_imports=True,
    )
    library = graph.find_descendants("saas_platform.lib") | {"saas_platform.lib"}
    outside = {
        (importer, imported)
        for importer in library
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported not in library
    }
    assert outside == set()
