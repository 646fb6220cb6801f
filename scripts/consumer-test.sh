#!/usr/bin/env bash
# The consumer test: packs the library as `npm publish` would, installs the tarball into a team's own
# app outside the project (consumer/, copied to a temporary folder) together with aws-cdk-lib,
# constructs, cdk-nag and typescript at the project's pinned versions, type-checks the app and
# synthesizes its three shapes with cdk-nag's AwsSolutions pack; any unacknowledged finding fails.
# Needs no AWS account and no Docker; npm's cache serves the packages (--prefer-offline).
# TARBALL=<path> tests a tarball packed already (for example from a clean clone) instead of packing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

echo "== pack"
if [ -n "${TARBALL:-}" ]; then
  tarball="$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")"
else
  tarball="$work/$(npm pack --pack-destination "$work" --silent | tail -n 1)"
fi
listing="$(tar -tzf "$tarball")"
fail() { echo "consumer test: $*" >&2; exit 1; }
for file in package/dist/lib/index.js package/dist/lib/index.d.ts package/README.md; do
  grep -qx "$file" <<<"$listing" || fail "the tarball lacks $file"
done
for name in $(node -e 'for (const k of Object.keys(require("./lib/runtimes.json"))) if (!k.startsWith("//")) console.log(k)'); do
  grep -qx "package/assets/runtime/$name/index.js" <<<"$listing" || fail "the tarball lacks the pre-bundled handler $name"
done
! grep -E '^package/(lib/|dist/lib/.*/runtime/|assets/runtime/.*/SOURCE$|test/|bin/)' <<<"$listing" || fail "the tarball ships sources or tests"
echo "$(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) KiB: $(basename "$tarball")"

echo "== install into a team app"
app="$work/app"
cp -r "$root/consumer" "$app"
pin() { node -p "require('$root/package.json').devDependencies['$1']"; }
cd "$app"
npm install --prefer-offline --no-audit --no-fund --loglevel=error \
  "$tarball" "aws-cdk-lib@$(pin aws-cdk-lib)" "constructs@$(pin constructs)" "cdk-nag@$(pin cdk-nag)" \
  "typescript@$(pin typescript)" "@types/node@$(pin @types/node)"
[ ! -e node_modules/esbuild ] || fail "installing the package pulled in esbuild"
[ ! -e node_modules/@aws-sdk ] || fail "installing the package pulled in the AWS SDK (the handlers ship bundled)"

echo "== type-check"
npx tsc -p tsconfig.json

echo "== synth with cdk-nag (AwsSolutions)"
# The feature flags of the project's cdk.json, as `cdk init` writes them into a new app's cdk.json.
context="$(node -e '
const ctx = require(process.argv[1]).context;
console.log(JSON.stringify(Object.fromEntries(Object.entries(ctx).filter(([k]) => k.startsWith("@aws-cdk")))));
' "$root/cdk.json")"
for shape in imported-resources one-stack shared-lake; do
  out="$work/cdk.out/$shape"
  CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$context" node "dist/bin/$shape.js" || fail "$shape: synth failed"
  echo "$shape: $(ls "$out"/*.template.json | xargs -n1 basename | sed 's/.template.json//' | paste -sd ' ')"
done
echo "consumer test passed"
