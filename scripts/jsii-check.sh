#!/usr/bin/env bash
# Compiles lib/ with jsii, in a scratch copy, to prove that the public API stays within jsii's rules
# (no unions or generics in props, structs as readonly interfaces, no `any`), so that the library
# can later be published for Python, Java and .NET teams. The project's own build stays plain tsc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/lib" "$root/README.md" "$work/"
# MlAtScaleError extends Error, which jsii cannot model (aws-cdk-lib keeps its own ValidationError out of
# its jsii API for the same reason); other languages receive it as their host exception.
echo "export {}; // MlAtScaleError is TypeScript-only (see scripts/jsii-check.sh)" > "$work/lib/common/index.ts"
mkdir "$work/node_modules"
for dep in aws-cdk-lib constructs @aws-sdk @smithy @types; do ln -s "$root/node_modules/$dep" "$work/node_modules/$dep"; done
node -e '
const pkg = require(process.argv[1] + "/package.json");
const out = {
  name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license,
  author: { name: "cdk-ml-at-scale maintainers", organization: false },
  repository: { type: "git", url: "https://example.invalid/cdk-ml-at-scale.git" },
  main: "lib/index.js", types: "lib/index.d.ts",
  // The construct peers only: the optional SDK peers of preflight are not jsii modules, and its quota check is TypeScript tooling.
  peerDependencies: { "aws-cdk-lib": pkg.peerDependencies["aws-cdk-lib"], constructs: pkg.peerDependencies.constructs },
  devDependencies: { "aws-cdk-lib": pkg.devDependencies["aws-cdk-lib"], constructs: pkg.devDependencies.constructs },
  jsii: { outdir: "dist", targets: {}, tsc: { outDir: "lib", rootDir: "lib" }, excludeTypescript: ["lib/**/runtime/**"] },
};
require("fs").writeFileSync(process.argv[2] + "/package.json", JSON.stringify(out, null, 2));
' "$root" "$work"
cd "$work"
"$root/node_modules/.bin/jsii" --fail-on-warnings 2>&1 | grep -v '^!!' || { echo "jsii check failed"; exit 1; }
echo "jsii check passed"
