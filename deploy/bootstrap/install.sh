#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: system packages, Poetry, the
# locked Python dependencies in .venv (Python 3.13), and the browser tests' locked npm packages
# (axe-core) in tests/browser/node_modules. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

# chromium (with its driver and fonts) for the browser tests, driven by Playwright. Tesseract
# reads scanned checks; the check-reading tests draw their checks in the DejaVu and Liberation
# faces. PgBouncer pools connections in front of PostgreSQL (started by services.sh; the pooled
# load test runs through it).
apt_packages=(tesseract-ocr postgresql-client pgbouncer chromium chromium-driver fonts-liberation
  fonts-dejavu-core fonts-dejavu-extra)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
# npm fetches axe-core for the browser tests. Debian's nodejs and npm only where there is no npm
# at all: a Node.js from elsewhere (NodeSource's, say) brings its own npm, and Debian's npm
# package would conflict with it.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; else sudo=; fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

poetry=$(deploy/bootstrap/install-poetry.sh)

python=""
if command -v pyenv >/dev/null 2>&1; then
  for candidate in "$(pyenv root)"/versions/3.13*/bin/python3; do
    [ -x "$candidate" ] && python=$candidate && break
  done
fi
[ -n "$python" ] || python=$(command -v python3.13 || true)
if [ -z "$python" ]; then
  echo "Python 3.13 is required (pyenv install 3.13, or your distribution's python3.13)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then
  "$poetry" env use "$python" >/dev/null
fi
"$poetry" sync --no-root --no-interaction 2>&1 | grep -v "^$" | tail -3

# axe-core, which the browser tests inject into every page they visit, at the locked version.
browser_tests=tests/browser
axe_installed=$browser_tests/node_modules/axe-core/package.json
axe_locked=$(node -p "require('./$browser_tests/package-lock.json').packages['node_modules/axe-core'].version")
if [ ! -f "$browser_tests/node_modules/axe-core/axe.min.js" ] \
  || [ "$(node -p "require('./$axe_installed').version" 2>/dev/null)" != "$axe_locked" ]; then
  npm ci --prefix "$browser_tests" --no-audit --no-fund --loglevel=error >/dev/null
fi
