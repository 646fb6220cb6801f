#!/usr/bin/env bash
# The jsii build: compiles lib/ with jsii into dist-jsii/ (git-ignored) and writes the jsii assembly
# dist-jsii/.jsii, which the API reference (docs/API.md, scripts/api-docs.sh) and the Python binding
# (scripts/python-binding.sh) are made from. It proves that the public API stays within jsii's rules
# (no unions or generics in props, structs as readonly interfaces, no `any`), and then that every
# public type, property, method, method or constructor parameter and enum member has a doc comment
# and every optional struct property a `@default` (scripts/check-api-docs.ts): a gap fails the build.
# The project's own build stays plain tsc; the jsii settings (targets) are the `jsii` key of package.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/dist-jsii"
# What the assembly is built from; scripts/api-docs.sh and scripts/python-binding.sh rebuild (--if-stale) when it changed.
source_hash() {
  (cd "$root" && find lib README.md package.json scripts/jsii-build.sh -type f -not -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
if [ "${1:-}" = "--source-hash" ]; then source_hash; exit 0; fi
# --if-stale: build only when the assembly is missing or was built from other sources.
if [ "${1:-}" = "--if-stale" ]; then
  [ "$(source_hash)" != "$(cat "$out/.source-hash" 2>/dev/null || true)" ] || exit 0
  echo "dist-jsii/.jsii is missing or older than the sources: building it"
fi
rm -rf "$out"
mkdir -p "$out"
cp -r "$root/lib" "$root/README.md" "$out/"
[ ! -f "$root/LICENSE" ] || cp "$root/LICENSE" "$out/"
# The assets the constructs load at synth (pre-bundled handlers, Glue scripts, notebooks, edge
# components), so that the package jsii-pacmak embeds in the Python binding synthesizes.
mkdir "$out/assets"
for dir in runtime glue notebooks notebook-lifecycle edge; do
  [ ! -d "$root/assets/$dir" ] || cp -r "$root/assets/$dir" "$out/assets/"
done
# MlAtScaleError extends Error, which jsii cannot model (aws-cdk-lib keeps its own ValidationError out of
# its jsii API for the same reason); other languages receive it as their host exception.
echo "export {}; // MlAtScaleError is TypeScript-only (see scripts/jsii-build.sh)" > "$out/lib/common/index.ts"
mkdir "$out/node_modules"
for dep in aws-cdk-lib constructs @aws-sdk @smithy @types; do ln -s "$root/node_modules/$dep" "$out/node_modules/$dep"; done
node -e '
const pkg = require(process.argv[1] + "/package.json");
const out = {
  // jsii-pacmak writes the description into a JSON string inside a Python """...""" literal of setup.py,
  // where \" turns into a bare quote and the JSON breaks: the binding gets typographic quotes instead.
  name: pkg.name, version: pkg.version, description: pkg.description.replace(/"([^"]*)"/g, "\u201c$1\u201d"), license: pkg.license,
  author: pkg.author ?? { name: "cdk-ml-at-scale maintainers", organization: false },
  repository: pkg.repository ?? { type: "git", url: "https://example.invalid/cdk-ml-at-scale.git" },
  main: "lib/index.js", types: "lib/index.d.ts",
  files: ["lib/**/*.js", "lib/**/*.d.ts", "!lib/**/runtime/**", ".jsii", "assets/**", "README.md", "LICENSE"],
  // The construct peers only: the optional SDK peers of preflight are not jsii modules, and its quota check is TypeScript tooling.
  peerDependencies: { "aws-cdk-lib": pkg.peerDependencies["aws-cdk-lib"], constructs: pkg.peerDependencies.constructs },
  devDependencies: { "aws-cdk-lib": pkg.devDependencies["aws-cdk-lib"], constructs: pkg.devDependencies.constructs },
  jsii: { ...pkg.jsii, outdir: "dist", tsc: { outDir: "lib", rootDir: "lib" }, excludeTypescript: ["lib/**/runtime/**"] },
};
require("fs").writeFileSync(process.argv[2] + "/package.json", JSON.stringify(out, null, 2));
' "$root" "$out"
cd "$out"
start=$SECONDS
"$root/node_modules/.bin/jsii" --fail-on-warnings 2>&1 | grep -v '^!!' || { echo "jsii build failed"; exit 1; }
echo "jsii assembly: dist-jsii/.jsii ($((SECONDS - start)) s)"
"$root/node_modules/.bin/tsx" "$root/scripts/check-api-docs.ts" "$out/.jsii"
source_hash > "$out/.source-hash"
