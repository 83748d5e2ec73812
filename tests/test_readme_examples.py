"""The README's Python blocks run, in order, in one session, as a newcomer pastes them.

A README trial found names the blocks never defined (`recent`, `now`, `view`, `last_year`,
`ids`, `answer_fn`), a model trained on one log paired with another district's catalog ("the
model knows none of the catalog's 120 skills"), one file name used for two different files, and
a nightly job dated before every demo response. This test keeps the README from drifting again:
it runs every ```python block against a small demo district written into a temporary data
folder (the real demo has 3,000 students; the blocks only need its files and ids).

Stand-ins: `export.csv`, `last_year.csv`, `sis_export.csv`, `old_codes.csv` and `transcripts.csv`,
which the README says stand for the reader's own files, are written here with the columns the
README shows. The one line that reads the public ASSIST2009 dataset is left out when the public
datasets are absent (nothing after it uses that log).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from adaptive.curriculum import Catalog
from adaptive.data.descriptors import load_descriptor
from adaptive.errors import AdaptiveError
from adaptive.simulation.district import simulate_district, write_district

README = Path(__file__).resolve().parents[1] / "README.md"
SHARED_LINE = 'load_log("assist2009")'


def assist2009_present() -> bool:
    """Whether the public ASSIST2009 file is where `load_log("assist2009")` looks."""
    try:
        return load_descriptor("assist2009").path.is_file()
    except AdaptiveError:  # no public datasets' folder at all
        return False


def python_blocks() -> list[str]:
    """The README's ```python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def write_stand_ins(folder: Path, catalog: Catalog) -> None:
    """The reader's own files the blocks name, with the columns the README gives them."""
    pd.DataFrame(
        {"user": ["s0", "s0", "s1"], "problem": ["item4", "item26", "item4"],
         "kc": ["fractions.add~decimals", "ratios", "fractions.add"], "ok": [1, 0, 1],
         "ts": ["2026-09-01T09:09:00", "2026-09-01T13:00:00", "2026-09-02T10:00:00"]}
    ).to_csv(folder / "export.csv", index=False)  # fmt: skip
    skills = [s.id for s in catalog.skills if s.grade == 3][:4]
    rows = pd.DataFrame(
        {"student_id": "stu0000000", "skill_id": skills, "mastery": [0.9, 0.8, 0.7, 0.6]}
    )
    rows.to_csv(folder / "last_year.csv", index=False)
    pd.DataFrame(
        {"StudentNumber": ["stu0000000", "stu0000001", "stu0000002", "stu0000003"],
         "Course": ["Math 3", "Math 4", "Art 4", "Math 3"], "FinalGrade": ["B", "A", "A", "B+"]}
    ).to_csv(folder / "transcripts.csv", index=False)  # fmt: skip
    rows.set_axis(["Student ID", "Standard", "Mastery"], axis=1).to_csv(
        folder / "sis_export.csv", index=False
    )
    # last year's codes ("3.NS.1" for "g3.NS.1") and a retired skill's row, as the README maps them
    old = rows.replace({"skill_id": {"g3.NS.1": "3.NS.1", "g3.OA.1": "3.OA.1"}})
    pd.concat([old, rows.head(1).assign(skill_id="2.OA.9")]).to_csv(
        folder / "old_codes.csv", index=False
    )


@pytest.fixture
def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose data folder holds a small demo district and its own MLflow store."""
    data = tmp_path / "data"
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(data))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    district = simulate_district(200, 0, responses_per_student=20)
    write_district(district, data / "demo-district")
    work = tmp_path / "work"
    work.mkdir()
    write_stand_ins(work, Catalog.from_json(data / "demo-district" / "catalog.json"))
    monkeypatch.chdir(work)
    return work


def test_readme_python_blocks_run_in_order(demo_folder):
    blocks = python_blocks()
    assert len(blocks) >= 6 and any("run_daily_job" in b for b in blocks)
    if not assist2009_present():
        blocks = [
            "\n".join(line for line in b.splitlines() if SHARED_LINE not in line) for b in blocks
        ]
    namespace: dict = {"__name__": "__readme__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fits' and the night's notes on a tiny district
        for number, code in enumerate(blocks, 1):
            exec(compile(code, f"README.md python block {number}", "exec"), namespace)
    assert namespace["recs"], "the StudentView request got no recommendation"
    transcript = namespace["records"]  # the transcript recipe: two students, their grade's skills
    assert transcript["student_id"].nunique() == 2 and transcript["mastery"].notna().all()
    assert len(namespace["unmapped"]) == 2  # an unmapped course and an unmapped mark, set aside
    assert "diagnostic" in namespace["session"].placement().to_frame()["source"].iloc[0]
    assert any((demo_folder / "out" / "batch").rglob("_SUCCESS.json")), "no night was served"


def test_readme_review_days_are_the_defaults() -> None:
    """The README says when a mastered skill comes due for review, in days per number of
    answers (a vendor could not tell from "once its predicted recall falls below 0.8"): the days
    are the first whole day whose recall, by the library's own terms, is below the threshold."""
    import numpy as np

    from adaptive.policy import PolicyConfig, terms

    cfg = PolicyConfig.default()
    days = np.arange(0.0, 1000.0)

    def due(n: int, threshold: float) -> int:
        stability = terms.stability_days(
            np.array(n), cfg.initial_stability_days, cfg.stability_exponent
        )
        return int(days[terms.retrievability(days, stability) < threshold][0])

    text = " ".join(README.read_text().split())
    said = re.search(
        r"answered once is due for review after about (\d+) days, answered 3 times after about "
        r"(\d+) days, 5 times after about (\d+) days and 10 times after about (\d+) days",
        text,
    )
    assert said, "the README no longer says when a review comes due"
    want = [due(n, cfg.retention_threshold) for n in (1, 3, 5, 10)]
    assert [int(x) for x in said.groups()] == want
    assert f"`retention_threshold` ({cfg.retention_threshold})" in text
    assert f"`weights.review` ({cfg.weights['review']})" in text
    sooner = re.search(r"0\.9: due once recall falls below 90%, after about (\d+) days", text)
    assert sooner and int(sooner.group(1)) == due(3, 0.9)


def test_readme_says_a_naive_response_time_is_utc_as_it_is() -> None:
    """A trial's vendor sent naive datetimes to `update`, read as UTC without a word, and the
    README said so only of `now`: it says it of a `Response` too, and that is what happens."""
    import datetime as dt

    from adaptive.data import Response

    text = " ".join(README.read_text().split())
    assert (
        "A `Response`'s timestamp is read as a log's is: a naive `datetime` (no tzinfo) is UTC"
        in text
    )
    naive = Response("s1", "i1", ("k1",), 1, dt.datetime(2026, 11, 3, 11, 0))
    utc = Response("s1", "i1", ("k1",), 1, dt.datetime(2026, 11, 3, 11, 0, tzinfo=dt.UTC))
    assert naive.timestamp == utc.timestamp


def test_the_tour_lists_every_stand_in_file_the_blocks_read(tmp_path: Path) -> None:
    """ "A short tour" listed `export.csv`, `last_year.csv` and `sis_export.csv` as stand-ins for
    the reader's own files, but the Placement blocks read `old_codes.csv` and `transcripts.csv`
    too: a reader looked for them in the demo district. Every stand-in this test writes is
    named in that sentence."""
    from adaptive.curriculum import Activity, Skill

    skills = [Skill(f"g3.NS.{i}", grade=3) for i in range(1, 5)]
    catalog = Catalog(skills, [Activity("a1", "A", ("g3.NS.1",))])
    write_stand_ins(tmp_path, catalog)
    text = " ".join(README.read_text().split())
    sentence = re.search(r"datasets list`\); (.*?) stand for your own files", text)
    assert sentence is not None
    for written in sorted(p.name for p in tmp_path.iterdir()):
        assert f"`{written}`" in sentence.group(0), written


def test_readme_bytes_store_absorb_keeps_every_answer_of_concurrent_requests() -> None:
    """A vendor's trial ran the README's `absorb()` (one student's state read from the store as
    bytes, updated, written back) from two threads for one student: 101 of 200 answers were
    kept, each request's write dropping the other's answer. The README's function, as
    written there, now serialises each student's read-update-write."""
    import threading

    from adaptive.data import Response
    from adaptive.data.log import ResponseLog
    from adaptive.tracing import TracingState
    from adaptive.tracing.bkt import BKT

    block = next(b for b in python_blocks() if "def absorb(" in b)
    code = block[: block.index("p_correct, mine, recent = absorb(")]  # imports, store, absorb
    frame = pd.DataFrame(
        {"student_id": ["a", "a", "b"], "item_id": ["i1", "i2", "i1"],
         "skill_ids": [["k"], ["k"], ["k"]], "correct": [1, 0, 1], "order": [0, 1, 0]}
    )  # fmt: skip
    namespace = {"model": BKT(seed=0).fit(ResponseLog.from_frame(frame)), "Response": Response}
    exec(compile(code, "README.md absorb block", "exec"), namespace)
    stamp = pd.Timestamp("2026-10-01T08:00:00Z")
    sent = [
        [Response("s1", f"i{t}", ("k",), 1, stamp + pd.Timedelta(minutes=2 * j + t)) for j in range(60)]
        for t in (0, 1)
    ]  # fmt: skip
    threads = [
        threading.Thread(target=lambda answers=answers: [namespace["absorb"](r) for r in answers])
        for answers in sent
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two threads' answers interleave: some arrive late
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    blob, recent = namespace["store"]["s1"]
    kept = TracingState.from_bytes(blob)
    assert int(kept.arrays["n_responses"].sum()) == 120
    # the recent answers kept beside the state, as JSON, read back as they were sent
    recent = [Response.from_dict(d) for d in json.loads(recent)]
    assert len(recent) == 30 and set(recent) <= {r for answers in sent for r in answers}


def test_a_request_without_the_students_recent_answers_says_so() -> None:
    """A vendor's trial restored each student's saved state after a restart but not their
    recent answers (the README's store kept the state alone and passed no log): 29 of 30
    students' lists changed without a word, each answered skill read as never answered. The
    request now warns, counted; with the answers passed as `log`, nothing is said."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.data import Response
    from adaptive.data.log import ResponseLog
    from adaptive.errors import CoverageWarning
    from adaptive.policy.adapter import batch_from_model
    from adaptive.tracing.bkt import BKT

    catalog = Catalog(
        [Skill("k", "K"), Skill("m", "M", prerequisites=("k",))],
        [Activity("i1", "I1", ("k",)), Activity("i2", "I2", ("m",))],
    )
    stamp = pd.Timestamp("2026-10-01T08:00:00Z")
    answers = [Response("s1", "i1", ("k",), c, stamp + pd.Timedelta(minutes=t))
               for t, c in enumerate((0, 1, 1, 1))]  # fmt: skip
    model = BKT(seed=0).fit(ResponseLog.from_frame(pd.DataFrame(
        {"student_id": ["a", "a", "b", "b"], "item_id": ["i1", "i2", "i1", "i2"],
         "skill_ids": [["k"], ["m"], ["k"], ["m"]], "correct": [1, 0, 1, 1], "order": [0, 1, 0, 1]}
    )))  # fmt: skip
    state = model.init_state()
    model.update(state, answers)
    for log, said in ((None, "no log was given"), ([], "the log given holds none of theirs")):
        with pytest.warns(
            CoverageWarning, match=f"1 requested student has answers in the state but {said}"
        ):
            batch_from_model(model, state, catalog, {}, log=log, student_ids=["s1"])
    restored = [Response.from_dict(json.loads(json.dumps(r.to_dict()))) for r in answers]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        batch_from_model(model, state, catalog, {}, log=restored, student_ids=["s1"])


def test_readme_says_up_front_that_k_is_a_maximum_the_days_budget_limits() -> None:
    """A vendor's trial read `k=10` return 2-4 items and took it for a defect: the README's
    recommendations section now says first that k is a maximum and the day's time budget
    limits it, with the budget's rule and default as the code has them."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.policy import PolicyConfig
    from adaptive.policy.base import daily_budget

    text = " ".join(README.read_text().split())
    section = text[text.index("### Recommendations") :]
    first = section[section.index("```", section.index("```python") + 9) + 3 :][:600]
    assert first.lstrip().startswith("`k` is the most a list holds, not a count promised")
    config = PolicyConfig.default()
    said = re.search(
        r"`weekly_minutes` / (\d+), else the policy's `default_daily_minutes`, (\d+)", first
    )
    assert said is not None
    assert float(said.group(2)) == config.default_daily_minutes
    weekly = 150.0
    assert daily_budget(LearnerProfile("s", weekly_minutes=weekly), config) == weekly / int(
        said.group(1)
    )


def test_readme_says_load_log_report_returns_the_log_and_its_report(tmp_path: Path) -> None:
    """A district data scientist read "`load_log_report` also returns the counts
    (`report.rows_quarantined`)" and wrote `load_log_report(...).rows_quarantined`: an
    AttributeError, since it returns a `(log, report)` pair. The README shows the unpacking,
    and that is what the function returns."""
    from adaptive.data import load_log_report

    text = " ".join(README.read_text().split())
    assert "`log, report = load_log_report(...)` (`report.rows_quarantined`)" in text
    path = tmp_path / "log.csv"
    path.write_text("student_id,item_id,skill_ids,correct,order\ns1,i1,k1,1,1\ns1,i2,k1,x,2\n")
    log, report = load_log_report(path, quarantine=tmp_path / "aside.csv")
    assert (len(log), report.rows_quarantined) == (1, 1)
