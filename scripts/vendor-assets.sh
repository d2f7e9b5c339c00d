#!/usr/bin/env bash
# Re-fetch the vendored front-end assets from the npm registry at the pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
V=static/vendor
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent htmx.org@2.0.11 bootstrap@5.3.9 bootstrap-icons@1.13.2 chart.js@4.6.1 >/dev/null
  for f in *.tgz; do mkdir -p "x/${f%.tgz}"; tar xzf "$f" -C "x/${f%.tgz}"; done )
X="$tmp/x"
mkdir -p $V/htmx $V/bootstrap/css $V/bootstrap/js $V/bootstrap-icons/fonts $V/chartjs
cp "$X"/htmx.org-*/package/dist/htmx.min.js "$X"/htmx.org-*/package/LICENSE $V/htmx/
cp "$X"/bootstrap-5*/package/dist/css/bootstrap.min.css* $V/bootstrap/css/
cp "$X"/bootstrap-5*/package/dist/js/bootstrap.bundle.min.js* $V/bootstrap/js/
cp "$X"/bootstrap-5*/package/LICENSE $V/bootstrap/
cp "$X"/bootstrap-icons-*/package/font/bootstrap-icons.min.css "$X"/bootstrap-icons-*/package/LICENSE $V/bootstrap-icons/
cp "$X"/bootstrap-icons-*/package/font/fonts/*.woff* $V/bootstrap-icons/fonts/
cp "$X"/chart.js-*/package/dist/chart.umd.min.js* "$X"/chart.js-*/package/LICENSE.md $V/chartjs/
echo "vendored into $V"
