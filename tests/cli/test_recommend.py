"""`adaptive recommend`: the registered champion (`--name`), and why fewer than k (issue 17/12)."""

from __future__ import annotations

import json
import re

import pytest

from adaptive.policy.service import load_district
from adaptive.simulation.district import simulate_district, write_district


@pytest.fixture(scope="module")
def district_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("district")
    write_district(simulate_district(30, seed=3, responses_per_student=20), out)
    return out


@pytest.fixture(scope="module")
def champion(district_dir, tmp_path_factory):
    """A BKT version of `rec-district` trained on the district, made champion: (name, uri)."""
    from mlflow import MlflowClient

    from adaptive.registry import train_model

    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    result = train_model(
        "bkt", district_dir / "responses.parquet", registered_name="rec-district", folds=2,
        tracking_uri=uri,
    )  # fmt: skip
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_registered_model_alias("rec-district", "champion", result.version)
    return "rec-district", uri


def test_recommend_uses_the_registered_champion(cli, district_dir, champion) -> None:
    name, uri = champion
    sid = load_district(district_dir).log.students[0]
    r = cli("recommend", "--student", sid, "--k", "3", "--name", name, "--tracking-uri", uri,
            "--district", district_dir, "--json", "--quiet")  # fmt: skip
    assert r.code == 0, r.text
    payload = json.loads(r.out)  # --quiet: nothing but the JSON on stdout
    assert set(payload) == {sid} and set(payload[sid]) == {
        "recommendations",
        "shortfall",
        "placement",
    }
    # without --quiet too: which model answered is said on stderr, stdout stays JSON
    r = cli("recommend", "--student", sid, "--k", "3", "--name", name, "--tracking-uri", uri,
            "--district", district_dir, "--json")  # fmt: skip
    assert r.code == 0 and json.loads(r.out) == payload and f"{name} v1 (@champion" in r.err
    r = cli("recommend", "--student", sid, "--name", name, "--tracking-uri", uri,
            "--district", district_dir)  # fmt: skip
    assert r.code == 0 and f"{name} v1 (@champion" in r.err and "Next activities" in r.out


def test_recommend_with_an_unknown_name_is_one_error(cli, district_dir, champion) -> None:
    _, uri = champion
    sid = load_district(district_dir).log.students[0]  # a known student: the name is wrong
    r = cli("recommend", "--student", sid, "--name", "nobody", "--tracking-uri", uri,
            "--district", district_dir)  # fmt: skip
    assert r.code == 2 and "nobody" in r.err and "Traceback" not in r.text


def test_model_and_name_are_exclusive(cli, district_dir) -> None:
    r = cli("recommend", "--student", "x", "--model", district_dir, "--name", "m",
            "--district", district_dir)  # fmt: skip
    assert r.code == 2 and "not both" in r.err


def test_an_unknown_student_is_refused_before_any_fit(cli, district_dir, monkeypatch) -> None:
    """An ops trial: `adaptive recommend --student nobody` fitted BKT for seconds, printed its
    fit warning, then said the id is unknown. Refused first; and with no "did you mean" another
    student's id (a close spelling is someone else's), only the typed id in its known case."""
    import adaptive.policy.service as service

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted before the students were checked")

    monkeypatch.setattr(service, "model_as_of", no_fit)
    sid = load_district(district_dir).log.students[0]
    r = cli("recommend", "--student", sid + "x", "--district", district_dir)
    # typed by a person on the command line: echoed back to them (errors.py's one exception)
    assert r.code == 2 and f"--student '{sid}x': not in the district's" in r.err, r.text
    assert f"{sid!r}" not in r.err and "did you mean" not in r.err
    shouted = cli("recommend", "--student", sid.upper(), "--district", district_dir)
    assert shouted.code == 2 and f"(did you mean {sid!r}?)" in shouted.err, shouted.text


def test_fewer_than_k_says_why_in_text_and_json(cli, district_dir) -> None:
    sid = load_district(district_dir).log.students[0]
    r = cli("recommend", "--student", sid, "--k", "60", "--district", district_dir, "--json")
    assert r.code == 0, r.text
    entry = json.loads(r.out)[sid]
    short = entry["shortfall"]
    assert len(entry["recommendations"]) < 60 and short is not None
    assert short["requested"] == 60 and short["returned"] == len(entry["recommendations"])
    assert sum(short["reasons"].values()) == short["catalog_activities"] - short["returned"]
    assert short["sentence"].startswith(f"{short['returned']} of 60 recommended")
    text = cli("recommend", "--student", sid, "--k", "60", "--district", district_dir)
    assert text.code == 0 and "of 60 recommended" in text.out
    assert any(words in text.out for words in ("time budget", "blocked", "cap", "scope"))


def test_a_short_list_builds_the_students_batch_once(cli, district_dir, monkeypatch) -> None:
    """Before: `recommend` built a short student's batch a second time (`explain_shortfall`
    replayed their answers again) to say why; now the shortfall comes from the batch and
    selection already built, with the same counts and sentence as built on its own."""
    from adaptive.policy import AdaptivePolicy, PolicyConfig, service
    from adaptive.policy.shortfall import shortfall

    built = []
    real = service.batch_from_model
    monkeypatch.setattr(
        service, "batch_from_model", lambda *a, **kw: built.append(1) or real(*a, **kw)
    )
    district = load_district(district_dir)
    sid = district.log.students[0]
    r = cli("recommend", "--student", sid, "--k", "60", "--district", district_dir, "--json")
    assert r.code == 0, r.text
    assert len(built) == 1
    short = json.loads(r.out)[sid]["shortfall"]
    config = PolicyConfig.default()
    batch, when = service.student_batch(sid, district, service.model_as_of(district, None), config)
    policy = AdaptivePolicy(district.catalog, config)
    alone = shortfall(policy, batch, policy.select(batch, 60, when), 60, when)
    assert short == alone.to_dict() and short["sentence"].startswith(f"{short['returned']} of 60")


def test_a_full_list_has_no_shortfall(cli, district_dir) -> None:
    sid = load_district(district_dir).log.students[0]
    r = cli("recommend", "--student", sid, "--k", "1", "--district", district_dir, "--json")
    entry = json.loads(r.out)[sid]
    if len(entry["recommendations"]) == 1:
        assert entry["shortfall"] is None
    else:  # nothing at all fits: then it says why
        assert entry["shortfall"]["returned"] == 0


@pytest.fixture(scope="module")
def own_export(district_dir, tmp_path_factory):
    """The district's log as a user's export: their column names, skills joined by ';', day
    first dates, rows shuffled."""
    frame = load_district(district_dir).log.frame
    own = frame.assign(
        kc=[";".join(s) for s in frame["skill_ids"]],
        day=frame["timestamp"].dt.strftime("%d/%m/%Y %H:%M:%S"),
    ).rename(columns={"student_id": "user", "item_id": "exercise", "correct": "right"})
    path = tmp_path_factory.mktemp("own") / "own.csv"
    own[["user", "exercise", "kc", "right", "day"]].sample(frac=1.0, random_state=0).to_csv(
        path, index=False
    )
    return path


OWN_COLUMNS = ("--student-col", "user", "--item-col", "exercise", "--skills-col", "kc",
               "--skills-sep", ";", "--correct-col", "right", "--time-col", "day",
               "--time-format", "%d/%m/%Y %H:%M:%S")  # fmt: skip


def test_recommend_reads_a_users_own_export_as_batch_does(cli, district_dir, own_export):
    """`--data` with the column options, `--catalog` and `--profiles`: the same
    recommendations as from the district folder the export came from."""
    sid = load_district(district_dir).log.students[0]
    folder = cli("recommend", "--student", sid, "--k", "3", "--district", district_dir, "--json")
    own = cli("recommend", "--student", sid, "--k", "3", "--data", own_export, *OWN_COLUMNS,
              "--catalog", district_dir / "catalog.json", "--profiles",
              district_dir / "profiles.jsonl", "--json")  # fmt: skip
    assert folder.code == 0 and own.code == 0, own.text
    assert json.loads(own.out) == json.loads(folder.out)


def test_recommend_names_skill_codes_the_catalog_lacks_as_batch_does(
    cli, district_dir, own_export, tmp_path
):
    """A district's trial: one school's export lower-cased the skill codes ('g3.ns.1'):
    `batch` named them with "did you mean", `recommend` said nothing and served those
    students as if they had never answered. It now gives batch's warning (no student id)."""
    import pandas as pd

    frame = pd.read_csv(own_export)
    first = frame["user"].iloc[0]
    mine = frame["user"] == first
    frame.loc[mine, "kc"] = frame.loc[mine, "kc"].str.lower()
    lowered = tmp_path / "lowered.csv"
    frame.to_csv(lowered, index=False)
    codes = {c for cell in frame.loc[mine, "kc"] for c in cell.split(";")}
    r = cli("recommend", "--student", first, "--k", "3", "--data", lowered, *OWN_COLUMNS,
            "--catalog", district_dir / "catalog.json", "--profiles",
            district_dir / "profiles.jsonl", "--json")  # fmt: skip
    assert r.code == 0, r.text
    said = [line for line in r.err.splitlines() if "the catalog does not have" in line]
    assert len(said) == 1 and first not in said[0], r.err
    assert f"{len(codes)} skill ids the catalog does not have: 'g" in said[0]
    named = re.search(r"'(g\d\.\w+\.\d+)' \(\d+; did you mean '(g\d\.\w+\.\d+)'\?\)", said[0])
    assert named and named[1] in codes and named[2].lower() == named[1] != named[2]


def test_recommend_on_a_users_export_needs_its_catalog(cli, own_export):
    r = cli("recommend", "--student", "x", "--data", own_export, *OWN_COLUMNS)
    assert r.code == 2 and "--catalog" in r.err and "Traceback" not in r.text


def test_column_options_without_data_are_a_usage_error(cli, district_dir):
    """Not silently ignored: they would not say which log they meant."""
    r = cli("recommend", "--student", "x", "--student-col", "user", "--district", district_dir)
    assert r.code == 2 and "go with --data" in r.err
    r = cli("recommend", "--student", "x", "--data", "demo", "--district", district_dir)
    assert r.code == 2 and "not both" in r.err


def test_a_registered_name_without_its_district_asks_for_the_district(
    cli, tmp_path, monkeypatch
) -> None:
    """A district data scientist's trial: `recommend --student ST006098 --name district-math`
    fell back to the demo district and told them to run `adaptive demo`. Their district's files
    are asked for; the demo's model still defaults to the demo district."""
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path))  # no demo district written here
    r = cli("recommend", "--student", "ST006098", "--name", "district-math")
    assert r.code == 2 and "Traceback" not in r.text
    assert "--name 'district-math': give the district whose students it serves: --data LOG" in r.err
    assert "--district DIR" in r.err and "adaptive demo" not in r.err
    r = cli("recommend", "--student", "stu0000001", "--name", "demo-district")
    assert r.code == 2 and "(run `adaptive demo`, or `adaptive simulate --out DIR`, first)" in r.err


def test_batch_with_a_districts_model_and_no_log_is_refused(cli, tmp_path, monkeypatch) -> None:
    """A re-check: `batch --name district-math --catalog ... --profiles ...` without --data
    served the demo district's 3,000 students, mixed in with the district's 200 (served from
    their placement alone, their answers never read), exit 0. It now asks for the log."""
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path))
    from adaptive.curriculum import Activity, Catalog, Skill

    catalog, profiles = tmp_path / "catalog.json", tmp_path / "profiles.jsonl"
    Catalog((Skill("k1"),), (Activity("a1", "A", ("k1",)),)).to_json(catalog)
    profiles.write_text("")
    r = cli("batch", "--date", "2027-02-20", "--out", str(tmp_path / "out"), "--name",
            "district-math", "--catalog", str(catalog), "--profiles", str(profiles))  # fmt: skip
    assert r.code == 2 and "Traceback" not in r.text
    assert "--name 'district-math': give the district whose students it serves" in r.err
    assert "batch serves the demo district" in r.err and not (tmp_path / "out").exists()
