"""Checks template.yaml with AWS's own tools, for every variant docs/deploy.md deploys.

Run by scripts/check-deploy.sh inside its pinned virtualenv. In order:

1. `sam build` with the arguments docs/deploy.md gives, into a scratch
   directory; every function's artifact must be a linux/arm64 bootstrap.
2. `cfn-lint` on template.yaml as it is, and `sam validate` and
   `sam validate --lint` (which need no AWS credentials).
3. For every `sam deploy` command in docs/deploy.md: the template's Rules
   must accept its --parameter-overrides, the AWS SAM translator (the library
   `sam deploy` runs through CloudFormation's transform) must transform the
   built template with those parameters and CodeUri set as `sam package`
   sets it, and cfn-lint must pass on the output with those parameter values
   and with its value checks made mandatory.
4. The documented variants must cover every value of every enumerated
   parameter and every Kafka source/authentication pair the Rules allow.
5. The checks must bite: parameter sets the Rules must refuse are refused,
   and a template whose Kafka event is a SAM event with a conditional
   SourceAccessConfigurations (what the template used to have) fails the
   transform.

Any failure exits non-zero with what was wrong and where.
"""

import argparse
import copy
import hashlib
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import tempfile

from cfnlint.api import ManualArgs, lint
from cfnlint.context.parameters import ParameterSet
from samcli.yamlhelper import yaml_parse
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

REGION = "eu-west-1"
# The bucket a `sam package` would upload to; nothing is uploaded.
PACKAGE_BUCKET = "esconnect-deploy-check"
ELF_MACHINE_AARCH64 = 183

# Source and authentication pairs a deployment can use; the Rules refuse the
# others (see REFUSED below), so the docs must show each of these.
REQUIRED_KAFKA_PAIRS = {
    ("msk", "IAM"),
    ("msk", "SASL_SCRAM_512_AUTH"),
    ("msk", "NONE"),
    ("self-managed", "SASL_SCRAM_512_AUTH"),
    ("self-managed", "SASL_SCRAM_256_AUTH"),
    ("self-managed", "BASIC_AUTH"),
    ("self-managed", "NONE"),
}

# Parameters whose allowed values are sizes rather than choices of variant.
NOT_VARIANT_AXES = {"LogRetentionDays"}

BASE = {
    "ElasticsearchUrl": "https://search.example.com:443",
    "ElasticsearchSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:es-AbCdEf",
    "KafkaTopic": "orders",
    "MSKClusterArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-1",
}

# Parameter sets the template's Rules must refuse, each with the reason.
REFUSED = [
    ("IAM authentication with self-managed brokers",
     {"KafkaSource": "self-managed", "KafkaBootstrapServers": "b1.example.com:9092", "KafkaAuth": "IAM"}),
    ("unauthenticated self-managed brokers without VPC access",
     {"KafkaSource": "self-managed", "KafkaBootstrapServers": "b1.example.com:9092", "KafkaAuth": "NONE"}),
    ("SASL/SCRAM-256 on MSK",
     {"KafkaAuth": "SASL_SCRAM_256_AUTH",
      "KafkaAuthSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_k-AbCdEf"}),
    ("SASL without a secret", {"KafkaAuth": "SASL_SCRAM_512_AUTH"}),
    ("MSK without a cluster", {"MSKClusterArn": ""}),
    ("a Kafka source without a topic", {"KafkaTopic": ""}),
    ("VPC access without a security group",
     {"KafkaSource": "self-managed", "KafkaBootstrapServers": "b1.example.com:9092", "KafkaAuth": "NONE",
      "KafkaVpcSubnetIds": "subnet-0123456789abcdef0"}),
    ("aws-sigv4 with the elasticsearch distribution",
     {"ElasticsearchAuth": "aws-sigv4", "ElasticsearchSecretArn": "",
      "OpenSearchResourceArn": "arn:aws:es:eu-west-1:123456789012:domain/orders"}),
    ("aws-sigv4 without a domain or collection",
     {"ElasticsearchAuth": "aws-sigv4", "ElasticsearchDistribution": "opensearch"}),
    ("pg-es-sync on OpenSearch Serverless",
     {"ElasticsearchAuth": "aws-sigv4", "ElasticsearchDistribution": "opensearch", "OpenSearchService": "aoss",
      "OpenSearchResourceArn": "arn:aws:aoss:eu-west-1:123456789012:collection/abc123",
      "PostgresSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-AbCdEf"}),
    ("basic auth without a secret", {"ElasticsearchSecretArn": ""}),
]


class CheckError(Exception):
    pass


def log(msg):
    print(f"check-deploy: {msg}", flush=True)


def run(cmd, **kw):
    """Runs a tool, failing with its output when it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise CheckError(f"{shlex.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p.stdout


# ---------------------------------------------------------------- docs

def shell_commands(markdown):
    """Yields (line number, argv) for every command in the ```sh blocks."""
    in_block, start, buf = False, 0, ""
    for n, line in enumerate(markdown.splitlines(), 1):
        if line.startswith("```"):
            in_block = line.strip() in ("```sh", "```bash") and not in_block
            continue
        if not in_block:
            continue
        if not buf:
            start = n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        text = buf.split(" #", 1)[0] if not buf.lstrip().startswith("#") else ""
        buf = ""
        if text.strip():
            yield start, shlex.split(text)


def documented(docs_path):
    """Returns the sam build arguments and the sam deploy variants of the docs."""
    with open(docs_path) as f:
        md = f.read()
    builds, variants = [], []
    for line, argv in shell_commands(md):
        if argv[:2] == ["sam", "build"]:
            builds.append((line, argv[2:]))
        elif argv[:2] == ["sam", "deploy"]:
            variants.append(deploy_variant(docs_path, line, argv[2:]))
    if not builds:
        raise CheckError(f"{docs_path}: no sam build command")
    if len({tuple(a) for _, a in builds}) != 1:
        raise CheckError(f"{docs_path}: the sam build commands differ: {builds}")
    if not variants:
        raise CheckError(f"{docs_path}: no sam deploy command")
    names = [v["name"] for v in variants]
    if len(set(names)) != len(names):
        raise CheckError(f"{docs_path}: stack names repeat: {names}")
    return builds[0][1], variants


def deploy_variant(docs_path, line, args):
    where = f"{docs_path}:{line}"
    opts, params, i = {}, {}, 0
    while i < len(args):
        a = args[i]
        if a == "--parameter-overrides":
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                key, sep, value = args[i].partition("=")
                if not sep:
                    raise CheckError(f"{where}: parameter override {args[i]!r} is not Key=Value")
                if key in params:
                    raise CheckError(f"{where}: parameter {key} given twice")
                params[key] = value
                i += 1
            continue
        if a.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            opts.setdefault(a, []).append(args[i + 1])
            i += 2
            continue
        opts.setdefault(a, []).append(None)
        i += 1
    if "--guided" in opts:
        raise CheckError(f"{where}: --guided asks questions; a documented variant gives its parameters")
    name = (opts.get("--stack-name") or [None])[0]
    if not name:
        raise CheckError(f"{where}: sam deploy without --stack-name")
    caps = " ".join(c or "" for c in opts.get("--capabilities", [])).split()
    if "CAPABILITY_IAM" not in caps and "CAPABILITY_NAMED_IAM" not in caps:
        raise CheckError(f"{where}: {name}: the template creates IAM roles; sam deploy needs --capabilities CAPABILITY_IAM")
    if "--resolve-s3" not in opts and "--s3-bucket" not in opts:
        raise CheckError(f"{where}: {name}: sam deploy needs --resolve-s3 or --s3-bucket to upload the code")
    return {"name": name, "where": where, "params": params}


# ------------------------------------------------------------- parameters

def parameter_values(template, given, where):
    """The full parameter set CloudFormation would use: defaults plus given."""
    decl = template["Parameters"]
    unknown = sorted(set(given) - set(decl))
    if unknown:
        raise CheckError(f"{where}: unknown parameters {unknown}")
    values = {}
    for key, spec in decl.items():
        if key in given:
            v = given[key]
        elif "Default" in spec:
            v = str(spec["Default"])
        else:
            raise CheckError(f"{where}: parameter {key} has no default and is not given")
        allowed = spec.get("AllowedValues")
        if allowed is not None and v not in [str(a) for a in allowed]:
            raise CheckError(f"{where}: {key}={v!r} is not one of {allowed}")
        values[key] = v
    return values


def is_list(template, name):
    t = template["Parameters"][name]["Type"]
    return t == "CommaDelimitedList" or t.startswith("List<")


def ref_value(template, values, name):
    v = values[name]
    if is_list(template, name):
        return [] if v == "" else [s.strip() for s in v.split(",")]
    return v


def evaluate(template, values, node):
    """Evaluates the intrinsic functions the template's Rules use."""
    if isinstance(node, (str, bool, int, float)):
        return str(node) if not isinstance(node, bool) else node
    if isinstance(node, list):
        return [evaluate(template, values, n) for n in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckError(f"cannot evaluate {node!r} in a Rule")
    (fn, arg), = node.items()
    ev = lambda n: evaluate(template, values, n)  # noqa: E731
    if fn == "Ref":
        return ref_value(template, values, arg)
    if fn == "Fn::Equals":
        a, b = ev(arg[0]), ev(arg[1])
        return a == b
    if fn == "Fn::Not":
        return not ev(arg[0])
    if fn == "Fn::And":
        return all(ev(a) for a in arg)
    if fn == "Fn::Or":
        return any(ev(a) for a in arg)
    if fn == "Fn::Contains":
        return ev(arg[1]) in ev(arg[0])
    if fn == "Fn::Join":
        return arg[0].join(ev(arg[1]))
    raise CheckError(f"Rule function {fn} is not one this check evaluates; extend evaluate()")


def rule_violations(template, values):
    out = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not evaluate(template, values, rule["RuleCondition"]):
            continue
        for a in rule["Assertions"]:
            if not evaluate(template, values, a["Assert"]):
                out.append(f"{name}: {a.get('AssertDescription', a['Assert'])}")
    return out


# ---------------------------------------------------------------- build

def sam_build(root, build_args, build_dir):
    log(f"sam build {shlex.join(build_args)} (into a scratch directory)")
    run(["sam", "build", *build_args, "--template-file", os.path.join(root, "template.yaml"),
         "--build-dir", build_dir], cwd=root)
    with open(os.path.join(build_dir, "template.yaml")) as f:
        built = yaml_parse(f.read())
    packaged = copy.deepcopy(built)
    functions = {k: r for k, r in packaged["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    if not functions:
        raise CheckError("the built template has no AWS::Serverless::Function")
    for lid, res in functions.items():
        code = os.path.join(build_dir, res["Properties"]["CodeUri"])
        boot = os.path.join(code, "bootstrap")
        with open(boot, "rb") as f:
            head = f.read(20)
        if head[:4] != b"\x7fELF" or int.from_bytes(head[18:20], "little") != ELF_MACHINE_AARCH64:
            raise CheckError(f"{lid}: {boot} is not a linux/arm64 executable")
        if not os.access(boot, os.X_OK):
            raise CheckError(f"{lid}: {boot} is not executable")
        # What `sam package` does: zip the artifact, upload it, and point
        # CodeUri at the object (named by the zip's MD5).
        with open(boot, "rb") as f:
            digest = hashlib.md5(f.read()).hexdigest()
        res["Properties"]["CodeUri"] = f"s3://{PACKAGE_BUCKET}/{digest}"
    log(f"built {', '.join(sorted(functions))}: linux/arm64 bootstrap each")
    return packaged


# ------------------------------------------------------------- transform

class NoManagedPolicies:
    """The template names no managed policy; if it ever does, say so."""

    def load(self):
        raise CheckError("the template names a managed policy by name, which the SAM translator "
                         "resolves through IAM; use its ARN")


def translate(packaged, values, where):
    params = dict(values)
    params["AWS::Region"] = REGION
    params["AWS::AccountId"] = "123456789012"
    params["AWS::Partition"] = "aws"
    try:
        return transform(copy.deepcopy(packaged), params, NoManagedPolicies())
    except InvalidDocumentException as e:
        causes = "; ".join(str(c) for c in e.causes)
        raise CheckError(f"{where}: the SAM transform refused the template: {causes}") from None


def cfn_lint(template, path, values=None, where=""):
    """Runs cfn-lint on path; with values, for exactly that parameter set.

    The parameter set goes through cfn-lint's API: on its command line,
    --parameters takes every value as a string (cfn-lint wants JSON arrays
    for list parameters), and --parameter-files also lints once more with
    the template's defaults."""
    if values is None:
        run(["cfn-lint", "--regions", REGION, "--", path])
        return
    # An empty list parameter is CloudFormation's [""].
    params = {k: (ref_value(template, values, k) or [""]) if is_list(template, k) else values[k]
              for k in values}
    config = ManualArgs(regions=[REGION], mandatory_checks=["W1030", "W1031"],
                        parameters=[ParameterSet(source=where, parameters=params)])
    with open(path) as f:
        matches = lint(f.read(), config=config)
    if matches:
        raise CheckError(f"{where}: cfn-lint found problems in the transformed template:\n"
                         + "\n".join(f"{m.rule.id} {m.message} ({path}:{m.linenumber})" for m in matches))


def check_variant(template, packaged, variant, scratch):
    where = f"{variant['where']} ({variant['name']})"
    values = parameter_values(template, variant["params"], where)
    broken = rule_violations(template, values)
    if broken:
        raise CheckError(f"{where}: the template's Rules refuse these parameters: {broken}")
    out = translate(packaged, values, where)
    path = os.path.join(scratch, variant["name"] + ".json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    cfn_lint(template, path, values, where)
    return values


def coverage(template, variants_values):
    missing = []
    for key, spec in template["Parameters"].items():
        if key in NOT_VARIANT_AXES or "AllowedValues" not in spec:
            continue
        seen = {vals[key] for vals in variants_values}
        for v in spec["AllowedValues"]:
            if str(v) not in seen:
                missing.append(f"{key}={v}")
    pairs = {(v["KafkaSource"], v["KafkaAuth"]) for v in variants_values}
    for s, a in sorted(REQUIRED_KAFKA_PAIRS - pairs):
        missing.append(f"KafkaSource={s} with KafkaAuth={a}")
    if missing:
        raise CheckError("docs/deploy.md deploys no variant with " + ", ".join(missing))


def check_refusals(template):
    base = parameter_values(template, BASE, "refusal base")
    if rule_violations(template, base):
        raise CheckError(f"the refusal base itself is refused: {rule_violations(template, base)}")
    for why, change in REFUSED:
        values = parameter_values(template, {**BASE, **change}, why)
        if not rule_violations(template, values):
            raise CheckError(f"the template's Rules accept {why}: {change}")


def check_old_event_shape_fails(packaged, values):
    """A SAM SelfManagedKafka event whose SourceAccessConfigurations is an
    !If, as the template once had, must fail the transform here."""
    broken = copy.deepcopy(packaged)
    fn = broken["Resources"]["KafkaEsSinkFunction"]["Properties"]
    fn["Events"] = {"SelfManagedKafka": {"Type": "SelfManagedKafka", "Properties": {
        "KafkaBootstrapServers": ["b1.example.com:9092"], "Topics": ["orders"],
        "SourceAccessConfigurations": {"Fn::If": ["HasKafkaSecret", [
            {"Type": "SASL_SCRAM_512_AUTH", "URI": {"Ref": "KafkaAuthSecretArn"}}], {"Ref": "AWS::NoValue"}]}}}}
    try:
        translate(broken, values, "deliberately broken template")
    except CheckError:
        return
    raise CheckError("the SAM translator accepted a conditional SourceAccessConfigurations; "
                     "this check would not see a broken transform")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    root = args.root
    # The translator takes AWS::Region from the default session; no call
    # goes to AWS.
    os.environ["AWS_DEFAULT_REGION"] = REGION
    # The translator warns about metrics nobody publishes here.
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
    template_path = os.path.join(root, "template.yaml")
    docs_path = os.path.join(root, "docs", "deploy.md")
    with open(template_path) as f:
        template = yaml_parse(f.read())

    build_args, variants = documented(docs_path)
    with tempfile.TemporaryDirectory(prefix="esconnect-check-deploy-") as scratch:
        packaged = sam_build(root, build_args, os.path.join(scratch, "build"))

        log("cfn-lint template.yaml")
        cfn_lint(template, template_path)
        log("sam validate, sam validate --lint")
        run(["sam", "validate", "--region", REGION, "--template-file", template_path], cwd=root)
        run(["sam", "validate", "--lint", "--region", REGION, "--template-file", template_path], cwd=root)

        all_values = []
        for v in variants:
            all_values.append(check_variant(template, packaged, v, scratch))
            log(f"{v['name']}: Rules, SAM transform and cfn-lint pass ({v['where']})")
        coverage(template, all_values)
        check_refusals(template)
        check_old_event_shape_fails(packaged, all_values[0])
        log(f"{len(variants)} documented variants pass; {len(REFUSED)} refused parameter sets are refused; "
            "a conditional SAM Kafka event fails the transform")


if __name__ == "__main__":
    try:
        main()
    except CheckError as e:
        print(f"check-deploy: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
