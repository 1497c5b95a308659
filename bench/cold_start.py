"""Cold start: import each function's handler in a fresh interpreter (the Lambda init phase).

For every function in template.yaml, N fresh interpreters import `app` exactly as
the runtime would (the function directory and the layer on sys.path) and report
the wall time of the import and the peak RSS after it. A bare handler that
imports only boto3 and json is measured in the same run, interleaved, so the
ratio is meaningful on a noisy machine.

    python -m bench.cold_start [--runs 15] [--only create_ticket,get_me] [--out FILE] [--python PY]
    python -m bench.cold_start --against REV [--runs 7] [--only ...] [--python PY]

`--python` runs the probes with another interpreter (one with the layer's requirements
installed, e.g. the template runtime's version: `make bench` builds `.venv-runtime`).

`--against REV` compares the import alone with git revision REV, side by side: REV is
checked out in a temporary detached worktree (removed afterwards) and every function
present in both trees is imported from each, old and new one after the other in every run
(the order alternating run by run), with the baseline and the floor measured in both slots
too: their new/old ratio compares identical code, so it shows what noise alone does.
Functions only in this tree are listed as new, with their ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
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
BENCH = {BASE: BASELINE, HOUSE: FLOOR}


TARGET = 1.5  # the target: worst function within 1.5x the bare handler
WORSE = 1.10  # --against: a new/old ratio above this is counted as worse
LAYER = ROOT / "layers" / "shared"


def measure(
    code_dir: Path, python: str = sys.executable, probe: str = PROBE, layer: Path = LAYER
) -> tuple[float, float]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(layer),
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


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A markdown table: the first column left-aligned, the others right."""
    return [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def pair(code_uris: Mapping[str, str], old_root: Path) -> tuple[list[str], list[str]]:
    """(functions in both trees, functions only in this one), sorted: a function exists in
    the old tree when its code directory there has an app.py."""
    both = sorted(n for n, uri in code_uris.items() if (old_root / uri / "app.py").is_file())
    return both, sorted(set(code_uris) - set(both))


def compare(
    old: Mapping[str, Sequence[float]], new: Mapping[str, Sequence[float]], rev: str
) -> tuple[str, dict[str, object]]:
    """The side-by-side table and its verdict from the import times (ms) of each side.

    `new` has every function of this tree, `old` those also in REV; both have the baseline
    and the floor (measured in both slots)."""
    med = {
        side: {n: statistics.median(v) for n, v in s.items()}
        for side, s in (("old", old), ("new", new))
    }
    ratio = {n: med["new"][n] / med["old"][n] for n in med["old"]}
    rows = [
        (
            n,
            f"{med['old'][n]:.0f}" if n in ratio else "new",
            f"{med['new'][n]:.0f}",
            f"{ratio[n]:.2f}" if n in ratio else "",
            f"{med['old'][n] / med['old'][BASE]:.2f}" if n in ratio else "",
            f"{med['new'][n] / med['new'][BASE]:.2f}",
        )
        for n in new
    ]
    functions = sorted((n for n in ratio if not n.startswith("(")), key=ratio.__getitem__)
    worst = functions[-1]
    worse = [n for n in functions if ratio[n] > WORSE]
    fresh = [n for n in new if n not in ratio]
    lines = table(
        (
            "function",
            f"{rev} median ms",
            "now median ms",
            f"now / {rev}",
            f"{rev} x baseline",
            "now x baseline",
        ),
        rows,
    )
    lines += [
        "",
        f"Worst: **{worst}** at **{ratio[worst]:.2f}x** its import at {rev} "
        f"({med['new'][worst]:.0f} vs {med['old'][worst]:.0f} ms); "
        f"**{len(worse)}** of {len(functions)} functions above {WORSE:.2f}x"
        + (f" ({', '.join(f'{n} {ratio[n]:.2f}x' for n in worse)})" if worse else "")
        + f", best {functions[0]} at {ratio[functions[0]]:.2f}x. Noise, identical code in both "
        f"slots: baseline {ratio[BASE]:.2f}x, floor {ratio[HOUSE]:.2f}x. New since {rev}: "
        + (
            ", ".join(f"{n} ({med['new'][n] / med['new'][BASE]:.2f}x the baseline)" for n in fresh)
            if fresh
            else "none"
        )
        + ".",
    ]
    summary: dict[str, object] = {
        "against": rev,
        "worst": worst,
        "ratio": round(ratio[worst], 2),
        "above": len(worse),
        "of": len(functions),
        "new": fresh,
    }
    return "\n".join(lines) + "\n", summary


def against(
    rev: str, code_uris: Mapping[str, str], runs: int, python: str
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Import times (ms) at REV and now, interleaved run by run: (old, new)."""
    tmp = Path(tempfile.mkdtemp(prefix="cold-against-"))
    tree = tmp / "tree"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--quiet", "--detach", str(tree), rev], check=True)
    try:
        both, _ = pair(code_uris, tree)
        slots = {d: dict.fromkeys(("old", "new"), (bench, LAYER)) for d, bench in BENCH.items()}
        for name, uri in code_uris.items():
            slots[name] = {"new": (ROOT / uri, LAYER)}
            if name in both:
                slots[name]["old"] = (tree / uri, tree / "layers" / "shared")
        times: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
        for side in times:  # warm the bytecode caches once (the worktree starts with none)
            for name, sides in slots.items():
                if side in sides:
                    measure(sides[side][0], python, PROBE, sides[side][1])
                    times[side][name] = []
        for run in range(runs):
            for name, sides in slots.items():
                order = sorted(sides, reverse=run % 2 == 1)  # new first on even runs
                for side in order:
                    times[side][name].append(
                        measure(sides[side][0], python, PROBE, sides[side][1])[0]
                    )
        return times["old"], times["new"]
    finally:
        subprocess.run([*git, "remove", "--force", str(tree)], check=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--against", default="", metavar="REV")
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
    if args.against:
        uris = {name: f.code_uri for name, f in sorted(functions.items())}
        old, new = against(args.against, uris, args.runs, args.python)
        text, summary = compare(old, new, args.against)
        print(
            f"Import alone, now against {args.against}, {args.runs} runs each, interleaved "
            f"(Python {version}).\n\n{text}"
        )
        if args.out:
            Path(args.out).write_text(text)
        print(json.dumps(summary | {"python": version}))
        return
    dirs = dict(BENCH)
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
    ]
    header = "function | min ms | median ms | max ms | x baseline | x floor | peak RSS MiB"
    header += " | with clients ms | x baseline"
    digits = (0, 0, 0, 2, 2, 0, 0, 2)
    lines += table(
        header.split(" | "),
        ([n, *(f"{v:.{d}f}" for v, d in zip(r, digits, strict=True))] for n, *r in rows),
    )
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
