#!/usr/bin/env bash
# Put htmx's minified build at src/studyforge/web/static/vendor/htmx.min.js if it is missing.
# It comes from the npm registry (`npm pack htmx.org@2`). Without npm we warn and carry on:
# every page works without htmx, it only adds live refreshes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/studyforge/web/static/vendor/htmx.min.js"
SPEC="${HTMX_SPEC:-htmx.org@2}"

if [[ -s "$DEST" ]]; then
    echo "htmx: $DEST already present"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "warning: npm not found; skipping htmx (pages work without it, minus live refresh)" >&2
    exit 0
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# `npm pack` prints the tarball's file name as its last line of output.
TARBALL="$(cd "$TMP" && timeout 120 npm pack --silent "$SPEC" | tail -n 1)"
tar -xzf "$TMP/$TARBALL" -C "$TMP" package/dist/htmx.min.js package/package.json
if [[ ! -s "$TMP/package/dist/htmx.min.js" ]]; then
    echo "error: $TARBALL has no package/dist/htmx.min.js" >&2
    exit 1
fi

mkdir -p "$(dirname "$DEST")"
# Write to a temp name and rename so a partial file never looks complete.
cp "$TMP/package/dist/htmx.min.js" "$DEST.tmp"
mv "$DEST.tmp" "$DEST"
VERSION="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$TMP/package/package.json" | head -n 1)"
echo "htmx: installed $SPEC (${VERSION:-unknown version}) at $DEST"
