"""Stops this SageMaker notebook instance once no kernel has been busy for a while.

Installed by the cdk-ml-at-scale lifecycle configuration and run by a systemd timer every five
minutes. Standard library only: the instance has no internet, so nothing comes from PyPI (the public
samples fetch their dependencies with pip, which fails here).

Usage: autostop.py --idle-seconds 3600 --started-file PATH --aws-cli PATH
"""

import argparse
import datetime
import json
import ssl
import subprocess
import sys
import urllib.request

JUPYTER_SESSIONS = "https://localhost:8443/api/sessions"
METADATA = "/opt/ml/metadata/resource-metadata.json"


def parse_time(text):
    """Jupyter's ISO 8601 time (`2026-01-02T03:04:05.123456Z`) as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def last_activity(sessions, started_at):
    """The latest of the instance's start and every kernel's last activity."""
    latest = started_at
    for session in sessions:
        activity = (session.get("kernel") or {}).get("last_activity")
        if activity:
            latest = max(latest, parse_time(activity))
    return latest


def is_idle(sessions, now, started_at, idle_seconds):
    """True when no kernel is busy and nothing happened for `idle_seconds` since the start or the last activity."""
    if any((s.get("kernel") or {}).get("execution_state") == "busy" for s in sessions):
        return False
    return (now - last_activity(sessions, started_at)).total_seconds() >= idle_seconds


def fetch_sessions(url=JUPYTER_SESSIONS):
    # Jupyter on the instance serves a self-signed certificate on localhost only.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, context=context, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-seconds", type=int, required=True)
    parser.add_argument("--started-file", required=True)
    parser.add_argument("--aws-cli", required=True)
    args = parser.parse_args(argv)
    with open(args.started_file) as f:
        started_at = parse_time(f.read().strip())
    now = datetime.datetime.now(datetime.timezone.utc)
    if not is_idle(fetch_sessions(), now, started_at, args.idle_seconds):
        return 0
    with open(METADATA) as f:
        name = json.load(f)["ResourceName"]
    print("idle for %ds: stopping %s" % (args.idle_seconds, name))
    return subprocess.call([args.aws_cli, "sagemaker", "stop-notebook-instance", "--notebook-instance-name", name])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
