"""Cold start: import each function's handler in a fresh interpreter (the Lambda init phase).

For every function in template.yaml, N fresh interpreters import `app` exactly as
the runtime would (the function directory and the layer on sys.path) and report
the wall time of the import and the peak RSS after it. A bare handler that
imports only boto3 and json is measured in the same run, interleaved, so the
ratio is meaningful on a noisy machine.

    python -m bench.cold_start [--runs 15] [--only create_ticket,get_me] [--out FILE] [--python PY]

`--python` runs the probes with another interpreter (one with the layer's requirements
installed, e.g. the template runtime's version: `make bench` builds `.venv-runtime`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from local.template import ROOT
from local.template import app as load_app

# The same import, then the AWS clients the function's policies say it uses, created as
# its code creates them on the first request (the baseline and the floor: boto3's DynamoDB
# client). Import alone is the measure; with clients is what a cold request pays.
CLIENTS = {
    "dynamodb": "from helpdesk.store import codec; codec.client()\n",
    "s3": "from helpdesk import attachments; attachments.client()\n",
    # the console's signing key: Powertools Parameters' provider (it imports boto3)
    "secretsmanager": "from helpdesk import signing; signing.provider()\n",
    "boto3": "import boto3; boto3.client('dynamodb')\n",
}
PROBE_CLIENTS = (
    "import resource, sys, time\n"
    "t = time.perf_counter()\n"
    "import app\n"
    "{clients}"
    "dt = time.perf_counter() - t\n"
    "print(dt * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
)
PROBE = PROBE_CLIENTS.format(clients="")  # the import alone
BASELINE = ROOT / "bench" / "baseline"
FLOOR = ROOT / "bench" / "floor"
BASE = "(baseline: boto3 + json)"
HOUSE = "(floor: boto3 + Powertools resolver + pydantic)"


TARGET = 1.5  # the target: worst function within 1.5x the bare handler


def measure(
    code_dir: Path, python: str = sys.executable, probe: str = PROBE
) -> tuple[float, float]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "TABLE_NAME": "bench",
        "BUCKET_NAME": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    out = subprocess.run(
        [python, "-c", probe],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ms, rss = out.stdout.split()
    return float(ms), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    version = subprocess.run(
        [args.python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tpl = load_app()
    functions = {Path(f.code_uri).name: f for f in tpl.functions.values()}
    if args.only:
        functions = {k: v for k, v in functions.items() if k in args.only.split(",")}
    dirs = {BASE: BASELINE, HOUSE: FLOOR}
    dirs |= {name: ROOT / f.code_uri for name, f in sorted(functions.items())}
    clients = {BASE: CLIENTS["boto3"], HOUSE: CLIENTS["boto3"]}
    clients |= {
        name: "".join(
            CLIENTS[svc]
            for svc in sorted({a.split(":")[0] for a in f.actions} & set(CLIENTS) - {"boto3"})
        )
        for name, f in functions.items()
    }
    probes = {name: PROBE_CLIENTS.format(clients=clients[name]) for name in dirs}
    for name, d in dirs.items():  # warm the bytecode cache once
        measure(d, args.python, probes[name])
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in dirs}
    with_clients: dict[str, list[float]] = {k: [] for k in dirs}
    for _ in range(args.runs):  # interleave so drift hits every function alike
        for name, d in dirs.items():
            samples[name].append(measure(d, args.python))
            with_clients[name].append(measure(d, args.python, probes[name])[0])
    base = statistics.median(ms for ms, _ in samples[BASE])
    floor = statistics.median(ms for ms, _ in samples[HOUSE])
    base_clients = statistics.median(with_clients[BASE])
    rows = []
    for name, runs in samples.items():
        times = sorted(ms for ms, _ in runs)
        rss = statistics.median(r for _, r in runs)
        med = statistics.median(times)
        cmed = statistics.median(with_clients[name])
        rows.append(
            (
                name,
                times[0],
                med,
                times[-1],
                med / base,
                med / floor,
                rss,
                cmed,
                cmed / base_clients,
            )
        )
    worst = max((r for r in rows if not r[0].startswith("(")), key=lambda r: r[4])
    worst_clients = max((r for r in rows if not r[0].startswith("(")), key=lambda r: r[8])
    lines = [
        f"Import of each handler in a fresh interpreter, {args.runs} runs each, interleaved "
        f'(Python {version}). "with clients": the same import, then the AWS clients the '
        "function's IAM policies say it uses, created as its code creates them on the first "
        "request (baseline and floor: boto3's DynamoDB client); its ratio is to the baseline "
        "with its client.",
        "",
        "| function | min ms | median ms | max ms | x baseline | x floor | peak RSS MiB "
        "| with clients ms | x baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {n} | {lo:.0f} | {med:.0f} | {hi:.0f} | {ratio:.2f} | {fratio:.2f} | {rss:.0f} "
        f"| {cmed:.0f} | {cratio:.2f} |"
        for n, lo, med, hi, ratio, fratio, rss, cmed, cratio in rows
    ]
    lines += [
        "",
        f"Worst import: **{worst[0]}** at **{worst[4]:.2f}x** the bare boto3 handler ({worst[2]:.0f} ms vs "
        f"{base:.0f} ms) and **{worst[5]:.2f}x** the house-style floor ({floor:.0f} ms, itself "
        f"**{floor / base:.2f}x** the bare handler). Target {TARGET}x: "
        + ("**met**." if worst[4] <= TARGET else "**not met**.")
        + f" Worst with clients: **{worst_clients[0]}** at **{worst_clients[8]:.2f}x** "
        f"({worst_clients[7]:.0f} ms vs {base_clients:.0f} ms).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    print(
        json.dumps(
            {
                "worst": worst[0],
                "ratio": round(worst[4], 2),
                "floor_ratio": round(floor / base, 2),
                "worst_with_clients": worst_clients[0],
                "ratio_with_clients": round(worst_clients[8], 2),
                "python": version,
            }
        )
    )


if __name__ == "__main__":
    main()
