#!/usr/bin/env bash
# check-deploy: the deployment descriptors checked by the tools that deploy
# them (docs/deploy.md, "How the template is checked").
#
#   template.yaml  AWS SAM CLI, AWS SAM translator and cfn-lint, for every
#                  variant docs/deploy.md deploys (scripts/check-deploy/check_sam.py)
#   s.yaml         the Serverless Devs CLI: `s preview` renders it, `s verify`
#                  validates every resource's props against the fc3 schema
#
# The tools are pinned and installed once under
# ${XDG_CACHE_HOME:-$HOME/.cache}/esconnect/; later runs reuse them. An
# install that fails stops the check with the installer's own message.
# Nothing here needs AWS or Alibaba Cloud credentials or network access
# beyond PyPI and npm for the first install.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/scripts/check-deploy
cache=${XDG_CACHE_HOME:-$HOME/.cache}/esconnect

S_VERSION=3.1.10

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

npmdir=$cache/deploy-npm-serverless-devs-s-$S_VERSION
if [[ ! -f $npmdir/.complete ]]; then
	say "installing @serverless-devs/s@$S_VERSION into $npmdir"
	rm -rf "$npmdir"
	mkdir -p "$npmdir"
	npm install --prefix "$npmdir" --no-audit --no-fund --no-save --loglevel=error \
		"@serverless-devs/s@$S_VERSION" || die "npm install @serverless-devs/s@$S_VERSION"
	touch "$npmdir/.complete"
fi

# No AWS credentials are read or needed; keep the tools from looking for any
# on an instance metadata endpoint and from sending telemetry.
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
PATH=$venv/bin:$PATH "$venv/bin/python" "$here/check_sam.py" --root "$root"

# --- s.yaml -------------------------------------------------------------------
s=$npmdir/node_modules/.bin/s
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A home of its own: the CLI writes its logs and config under ~/.s, and must
# not find anyone's Alibaba Cloud access keys there.
export HOME=$scratch/home
mkdir -p "$HOME"
# What a deploying shell exports for s.yaml's ${env(...)} without a default.
senv=(ES_URL=https://es-cn-abc123.elasticsearch.aliyuncs.com:9200 KAFKA_INSTANCE_ID=alikafka_pre-cn-abc123
	KAFKA_TOPIC=orders EVENT_DLQ_ARN=acs:mns:cn-hangzhou:123456789012:/queues/esconnect-dlq
	PG_URL=postgres://esconnect@pg.example.com:5432/orders)

say "s preview s.yaml (@serverless-devs/s $S_VERSION)"
(cd "$root" && env "${senv[@]}" "$s" preview -t s.yaml -o json) >"$scratch/preview.json" 2>"$scratch/preview.err" ||
	die "s preview s.yaml: $(cat "$scratch/preview.err")"
if grep -q '\${' "$scratch/preview.json"; then
	die "s preview left variables unresolved: $(grep '\${' "$scratch/preview.json")"
fi

# s verify asks each component for its schema; fc3 would come from the
# Serverless Devs registry, so the copy names the local stand-in instead.
resources=$(grep -c '^    component: fc3$' "$root/s.yaml" || true)
[[ $resources -gt 0 ]] || die "s.yaml: no resource uses component fc3"
sed "s#^    component: fc3\$#    component: $here/fc3-schema#" "$root/s.yaml" >"$scratch/s.yaml"
verify() {
	(cd "$root" && env "${senv[@]}" "$s" verify -t "$1") >"$scratch/verify.out" 2>&1
}
say "s verify s.yaml against the fc3 schema ($resources resources)"
verify "$scratch/s.yaml" || die "s verify s.yaml: $(grep -v 'root user' "$scratch/verify.out")"

# The check must bite: a memorySize fc3 refuses (not a multiple of 64).
sed 's#^      memorySize: 512$#      memorySize: 500#' "$scratch/s.yaml" >"$scratch/s-bad.yaml"
cmp -s "$scratch/s.yaml" "$scratch/s-bad.yaml" && die "s.yaml has no 'memorySize: 512' to break for the self-test"
if verify "$scratch/s-bad.yaml"; then
	die "s verify accepted memorySize 500; the fc3 schema check does not bite"
fi
grep -q 'memorySize must be multiple of 64' "$scratch/verify.out" ||
	die "s verify refused the broken copy for another reason: $(cat "$scratch/verify.out")"
say "s.yaml: rendered by s preview, $resources resources verified; a broken memorySize is refused"
