"""The nightly benchmark of a district whose knowledge follows the curriculum order (`--prior
curriculum`): its own results page per champion and prior, rewritten in place by a rerun, and a
kept district (`--work-root`) of another prior or champion refused, not timed as this one (a
review found the page appended to itself and a grade district timed under the curriculum page)."""

from __future__ import annotations

import argparse
import json

import pytest

bench_batch = pytest.importorskip(
    "experiments.bench_batch",
    reason="no experiments/ beside the tests: a source distribution ships the package and its tests only",
)

NIGHT = {"seconds": 10.0, "cpu_seconds": 12.0, "peak_gb": 1.0, "worker_peak_gb": 0.5,
         "new_responses": 5}  # fmt: skip


def args(champion: str = "bkt", prior: str = "grade") -> argparse.Namespace:
    return argparse.Namespace(out=None, champion=champion, prior=prior)


def test_each_champion_and_prior_has_its_page():
    names = {
        (c, p): bench_batch.result_path(args(c, p)).name
        for c in ("bkt", "irt")
        for p in ("grade", "curriculum")
    }
    assert names == {
        ("bkt", "grade"): "60_batch.md", ("bkt", "curriculum"): "60_batch_curriculum.md",
        ("irt", "grade"): "61_batch_irt.md", ("irt", "curriculum"): "61_batch_irt_curriculum.md",
    }  # fmt: skip


def test_a_rerun_rewrites_the_curriculum_page_in_place(tmp_path):
    row = {"students": 1000, "responses": 50_000, "prior": "curriculum", "champion": "bkt",
           "curriculum_level": "knowledge follows the curriculum order (...)",
           "reads_level": True, "first": NIGHT, "next": NIGHT, "tracking": "sqlite"}  # fmt: skip
    page = tmp_path / "60_batch_curriculum.md"
    page.write_text("A hand-written analysis above the section.\n")
    for _ in range(2):
        bench_batch.write_result([row], page)
    text = page.read_text()
    assert text.startswith("A hand-written analysis above the section.")
    assert text.count("## Nightly batch job") == 1 and text.count("| 1,000 |") == 1
    assert "a district whose knowledge follows the curriculum order" in text
    assert "read each student's level from their first answers" in text
    assert "--prior curriculum" in text


def test_a_kept_district_of_another_prior_is_refused(tmp_path):
    (tmp_path / "setup.json").write_text(json.dumps({"students": 1000, "prior": "grade",
                                                    "champion": "bkt"}))  # fmt: skip
    with pytest.raises(SystemExit, match="holds a district of prior 'grade'"):
        bench_batch.setup_once(tmp_path, 1000, argparse.Namespace(prior="curriculum",
                                                                  champion="bkt"))  # fmt: skip
    kept = bench_batch.setup_once(tmp_path, 1000, argparse.Namespace(prior="grade",
                                                                     champion="bkt"))  # fmt: skip
    assert kept["prior"] == "grade"
