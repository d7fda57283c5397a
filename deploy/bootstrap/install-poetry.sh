#!/usr/bin/env bash
# Installs Poetry into its own virtual environment (never into the project's), with the
# simple-index fallback of poetry_simple_index.py, and prints the path of the poetry command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
POETRY_VERSION=${POETRY_VERSION:-2.5.1}
POETRY_VENV=${POETRY_VENV:-$HOME/.local/share/ifm-poetry}
python=${POETRY_PYTHON:-}
if [ -z "$python" ]; then
  if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
    python="$(pyenv root)/versions/3.13.0/bin/python3"
  else
    python=$(command -v python3.13 || command -v python3)
  fi
fi
if ! "$POETRY_VENV/bin/poetry" --version 2>/dev/null | grep -q "$POETRY_VERSION"; then
  "$python" -m venv --clear "$POETRY_VENV" >&2
  "$POETRY_VENV/bin/pip" install --quiet "poetry==$POETRY_VERSION" >&2
fi
site=$("$POETRY_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$here/poetry_simple_index.py" "$site/ifm_poetry_simple_index.py"
echo "import ifm_poetry_simple_index" > "$site/ifm_poetry_simple_index.pth"
echo "$POETRY_VENV/bin/poetry"
