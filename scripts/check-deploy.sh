#!/usr/bin/env bash
# check-deploy: the deployment descriptors checked by the tools that deploy
# them (docs/deploy.md, "How the template is checked").
#
#   template.yaml  AWS SAM CLI, AWS SAM translator and cfn-lint, for every
#                  variant docs/deploy.md deploys (scripts/check-deploy/check_sam.py)
#
# The tools are pinned and installed once under
# ${XDG_CACHE_HOME:-$HOME/.cache}/esconnect/; later runs reuse them. An
# install that fails stops the check with the installer's own message.
# Nothing here needs AWS credentials or network access
# beyond PyPI for the first install.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/scripts/check-deploy
cache=${XDG_CACHE_HOME:-$HOME/.cache}/esconnect

say() { echo "check-deploy: $*"; }
die() { echo "check-deploy: FAILED: $*" >&2; exit 1; }

# The virtualenv is named by the hash of its pins, so changing a pin builds a
# new one instead of mixing versions; .complete marks a finished install.
pins=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -c1-16)
venv=$cache/deploy-venv-$pins
if [[ ! -f $venv/.complete ]]; then
	say "installing $(grep -v '^#' "$here/requirements.txt" | tr '\n' ' ')into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv" || die "python3 -m venv $venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check \
		-r "$here/requirements.txt" -c "$here/constraints.txt" || die "pip install into $venv"
	touch "$venv/.complete"
fi

# No AWS credentials are read or needed; keep the tools from looking for any
# on an instance metadata endpoint and from sending telemetry.
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
PATH=$venv/bin:$PATH "$venv/bin/python" "$here/check_sam.py" --root "$root"
