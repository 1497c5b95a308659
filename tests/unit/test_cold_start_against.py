"""bench.cold_start --against: pairing the two trees' functions and the side-by-side table
(the measuring itself spawns interpreters and is run by hand; docs/benchmarks.md)."""

from pathlib import Path

from bench.cold_start import BASE, HOUSE, WORSE, compare, pair, table


def test_pair_splits_functions_in_both_trees_from_new_ones(tmp_path: Path) -> None:
    for name in ("get_ticket", "create_ticket"):
        (tmp_path / "functions" / name).mkdir(parents=True)
        (tmp_path / "functions" / name / "app.py").write_text("")
    (tmp_path / "functions" / "admin_list_staff").mkdir()  # a directory without app.py
    uris = {n: f"functions/{n}" for n in ("get_ticket", "admin_list_staff", "create_ticket")}
    assert pair(uris, tmp_path) == (["create_ticket", "get_ticket"], ["admin_list_staff"])


def test_table_aligns_the_first_column_left_and_the_others_right() -> None:
    assert table(("function", "ms"), [("a", "1")]) == [
        "| function | ms |",
        "|---|---:|",
        "| a | 1 |",
    ]


def test_compare_reports_ratios_the_worst_the_count_above_the_limit_and_new_functions() -> None:
    old = {BASE: [200.0, 210, 190], HOUSE: [300.0] * 3, "a": [400.0] * 3, "b": [300.0, 320, 310]}
    new = {
        BASE: [200.0, 200, 200],
        HOUSE: [300.0] * 3,
        "a": [400.0, 380, 420],
        "b": [360.0, 350, 340],  # median 350 against 310: 1.13x
        "c": [500.0] * 3,
    }
    text, summary = compare(old, new, "abc123")
    lines = text.splitlines()
    assert lines[0].startswith("| function | abc123 median ms | now median ms | now / abc123 |")
    assert "| a | 400 | 400 | 1.00 | 2.00 | 2.00 |" in lines
    assert "| b | 310 | 350 | 1.13 | 1.55 | 1.75 |" in lines
    assert "| c | new | 500 |  |  | 2.50 |" in lines
    assert summary == {
        "against": "abc123",
        "worst": "b",
        "ratio": 1.13,
        "above": 1,
        "of": 2,
        "new": ["c"],
    }
    verdict = lines[-1]
    assert f"**1** of 2 functions above {WORSE:.2f}x (b 1.13x)" in verdict
    assert "baseline 1.00x, floor 1.00x" in verdict  # identical code in both slots: noise
    assert "c (2.50x the baseline)" in verdict


def test_make_bench_carries_the_hand_measured_comparison_over() -> None:
    from bench.run import KEPT, kept

    doc = (
        f"## Cold start\n\ntable\n\n{KEPT}\n\nCommand: x\n\n| a | 1 |\n\n### What keeps\n\nnotes\n"
    )
    assert kept(doc) == f"{KEPT}\n\nCommand: x\n\n| a | 1 |\n"
    assert kept("## Cold start\n\ntable\n") == ""
