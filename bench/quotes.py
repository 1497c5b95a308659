"""Quote and signature removal: mail-parser-reply against quotequail on the mail corpus.

For every message of tests/fixtures/mail/ with an expected new text (expected.json), each
library's way of taking the new words is run on the message's text (`mailparse.parse`:
the text/plain part, or the HTML converted) and compared with the expected text after
whitespace normalization (line ends, trailing spaces, runs of blank lines). Two ways per
library, each as documented, without any post-processing of ours:

- mail-parser-reply `latest_reply`: `EmailReplyParser(languages).parse_reply(text)`,
  quoted replies cut off, signatures kept;
- mail-parser-reply `body`: `.read(text).replies[0].body`, also without the signature
  and disclaimers it recognises;
- quotequail `quote`: the first part of `quote(text, quote_intro_line=True)`;
- quotequail `unwrap`: `unwrap(text)["text_top"]`, or the whole text when it is no reply.

The last column is `mailparse.new_text` (the chosen library and our post-processing).

    python -m bench.quotes [--show NAME]    # --show prints every output for one message

mail-parser-reply is not a dependency of the project: `pip install mail-parser-reply==1.36`
into the venv to see its columns (they are left out when it is missing).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

from helpdesk import mailparse

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mail"
# the languages a European help desk would enable (the corpus has English and German)
LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]


def normalize(text: str | None) -> str:
    """Line ends, trailing spaces and runs of blank lines normalized; outer blank lines gone."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def mpr_latest(text: str) -> str:
    from mailparser_reply import EmailReplyParser

    return str(EmailReplyParser(languages=LANGUAGES).parse_reply(text) or "")


def mpr_body(text: str) -> str:
    from mailparser_reply import EmailReplyParser

    replies = EmailReplyParser(languages=LANGUAGES).read(text).replies
    return str(replies[0].body) if replies else ""


def qq_quote(text: str) -> str:
    import quotequail

    return str(quotequail.quote(text, quote_intro_line=True)[0][1])


def qq_unwrap(text: str) -> str:
    import quotequail

    found = quotequail.unwrap(text)
    return text if found is None else str(found.get("text_top", ""))


VARIANTS: dict[str, Callable[[str], str]] = {
    "mpr latest_reply": mpr_latest,
    "mpr body": mpr_body,
    "quotequail quote": qq_quote,
    "quotequail unwrap": qq_unwrap,
}


def _installed(variant: str) -> bool:
    from importlib.util import find_spec

    return find_spec("mailparser_reply" if variant.startswith("mpr") else "quotequail") is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", help="print every output for this message (file name)")
    args = parser.parse_args()
    expected = json.loads((CORPUS / "expected.json").read_text())
    cases = {name: e["new_text"] for name, e in sorted(expected.items()) if e["new_text"]}
    variants = {v: fn for v, fn in VARIANTS.items() if _installed(v)}
    for skipped in VARIANTS.keys() - variants.keys():
        print(f"{skipped}: not installed (pip install mail-parser-reply / quotequail)")
    columns = [*variants, "mailparse.new_text"]
    right = dict.fromkeys(columns, 0)
    missed: dict[str, list[str]] = {c: [] for c in columns}
    print(f"{'message':24}" + "".join(f"{c:>20}" for c in columns))
    for name, want in cases.items():
        msg = mailparse.parse((CORPUS / name).read_bytes())
        outputs = {v: fn(msg.text) for v, fn in variants.items()}
        outputs["mailparse.new_text"] = mailparse.new_text(msg)
        row = f"{name.removesuffix('.eml'):24}"
        for column, got in outputs.items():
            ok = normalize(got) == normalize(want)
            right[column] += ok
            if not ok:
                missed[column].append(name.removesuffix(".eml"))
            row += f"{'yes' if ok else 'NO':>20}"
        print(row)
        if args.show == name:
            for column, got in outputs.items():
                print(f"--- {column}\n{normalize(got)}\n")
    print(f"{'right of ' + str(len(cases)):24}" + "".join(f"{right[c]:>20}" for c in columns))
    for column in columns:
        print(f"{column} missed: {', '.join(missed[column]) or 'none'}")


if __name__ == "__main__":
    main()
