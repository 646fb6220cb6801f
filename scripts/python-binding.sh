#!/usr/bin/env bash
# The Python binding: jsii-pacmak generates the Python package `cdk-ml-at-scale` (module
# `cdk_ml_at_scale`) from the jsii assembly (dist-jsii/.jsii, scripts/jsii-build.sh) into
# dist-jsii/dist/python, and this checks that it is valid Python and that its setup.py loads.
#
# Then it builds the wheel from the generated sources with the Python tools on these machines
# (python3's setuptools and the `wheel` package from the machine's local wheel index, in a venv).
# What these machines cannot do, for want of PyPI:
#  - jsii-pacmak's own packaging step (run without `--code-only`) does `python -m pip install -r
#    requirements-dev.txt` (setuptools~=75.3.2, build~=1.5.0, twine~=7.0.0, packaging>=26.3), then
#    `python -m build` and `twine check`: pip finds no such setuptools, build or twine here, so the
#    wheel is built by `pip wheel --no-build-isolation` with setuptools 65.5 instead, and not twine-checked.
#  - A Python CDK app needs the wheel's dependencies, the PyPI packages `jsii` (the runtime that embeds
#    the JavaScript kernel), `aws-cdk-lib`, `constructs` and `publication`, which no registry reached
#    here serves (nor Debian): the wheel installs with --no-deps, and `import cdk_ml_at_scale` stops at
#    `import jsii`. So no Python app is synthesized.
# The assembly is reused when it was built from the current sources, and rebuilt otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/jsii-build.sh --if-stale
start=$SECONDS
rm -rf dist-jsii/dist
(cd dist-jsii && "$root/node_modules/.bin/jsii-pacmak" --targets python --code-only 2>&1 | { grep -v '^!!' || true; })
pkg=dist-jsii/dist/python
[ -f "$pkg/src/cdk_ml_at_scale/__init__.py" ] || { echo "python binding: jsii-pacmak wrote no $pkg/src/cdk_ml_at_scale/__init__.py" >&2; exit 1; }
# Valid Python: every generated module compiles.
python3 -m compileall -q "$pkg/src" >/dev/null || { echo "python binding: the generated modules do not compile" >&2; exit 1; }
# setup.py loads its metadata (name, version, dependencies) as the packaging step would.
meta="$(cd "$pkg" && python3 setup.py -q --name --version 2>/dev/null)" || { echo "python binding: $pkg/setup.py fails" >&2; (cd "$pkg" && python3 setup.py -q --name) >&2 || true; exit 1; }
[ "$(echo "$meta" | head -1)" = "cdk-ml-at-scale" ] || { echo "python binding: setup.py names '$meta', not cdk-ml-at-scale" >&2; exit 1; }
# Every class, struct and enum of the assembly is in the module.
python3 - "$pkg/src/cdk_ml_at_scale/__init__.py" dist-jsii/.jsii <<'PY'
import ast, json, sys
module = ast.parse(open(sys.argv[1], encoding="utf8").read())
defined = {node.name for node in module.body if isinstance(node, ast.ClassDef)}
types = json.load(open(sys.argv[2], encoding="utf8"))["types"].values()
missing = sorted(t["name"] for t in types if t["name"] not in defined)
if missing:
    sys.exit(f"python binding: the module lacks {', '.join(missing)}")
print(f"python binding: {len(defined)} classes in cdk_ml_at_scale, every type of the assembly")
PY
# The wheel. The `wheel` package comes from the machine's local index, never from PyPI.
venv=dist-jsii/.venv-build
rm -rf "$venv" dist-jsii/dist/wheel
python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install -q --isolated --disable-pip-version-check --index-url file:///opt/pypi/simple 'wheel==0.46.3'
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w dist-jsii/dist/wheel "$pkg"
wheel="$(ls dist-jsii/dist/wheel/cdk_ml_at_scale-*-py3-none-any.whl)"
# The wheel holds the module and the JavaScript package (with the pre-bundled handlers) the jsii runtime loads.
listing="$(python3 -m zipfile -l "$wheel")"
for file in cdk_ml_at_scale/__init__.py cdk_ml_at_scale/_jsii/__init__.py "cdk_ml_at_scale/_jsii/cdk-ml-at-scale@"; do
  grep -q "$file" <<<"$listing" || { echo "python binding: the wheel lacks $file" >&2; exit 1; }
done
echo "python binding: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB ($((SECONDS - start)) s)."
echo "  Not done here, for want of PyPI: pacmak's own build (setuptools~=75.3.2, build~=1.5.0, twine~=7.0.0) and a"
echo "  Python app, whose dependencies jsii, aws-cdk-lib, constructs and publication no reachable registry serves."
