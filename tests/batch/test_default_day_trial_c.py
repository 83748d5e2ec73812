"""Trial C: a policy file's `default_daily_minutes` had no effect on any student with a
profile: every profile without weekly minutes was read as 150 a week (30 minutes a day)."""

from __future__ import annotations

import json

import pandas as pd

from adaptive.cli import run


def night(district, tmp_path, name: str, profiles, *extra: str) -> pd.DataFrame:
    """`adaptive batch` of the district's last day with these profiles (and options): its
    students table, by student."""
    out = tmp_path / name
    args = ["batch", "--date", district.last_day, "--out", str(out),
            "--data", str(district.responses), "--catalog", str(district.catalog),
            "--profiles", str(profiles), "--name", district.model,
            "--tracking-uri", district.uri, "--workers", "1", "-q", *extra]  # fmt: skip
    assert run(args) == 0
    frame = pd.read_parquet(out / "students" / f"date={district.last_day}")
    return frame.set_index("student_id").sort_index()


def profiles_with(district, path, minutes: float | None):
    """The district's profiles with every weekly_minutes `minutes`, or without the key (None),
    as a roster without that column is written (the trial's profiles_nowm.jsonl)."""
    lines = []
    for line in district.profiles.read_text().splitlines():
        record = json.loads(line)
        record.pop("weekly_minutes")
        if minutes is not None:
            record["weekly_minutes"] = minutes
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_policy_files_default_day_serves_profiles_without_weekly_minutes(
    district, tmp_path
) -> None:
    """The trial: `adaptive batch ... --policy policy60.toml` (default_daily_minutes = 60)
    gave exactly the shipped default's output, even with profiles whose weekly_minutes were
    removed. Now a profile without them gets the policy's default day: 60 minutes serve more
    than 30. With the shipped policy (30 minutes a day) a night is as it was, when every
    profile said 150 a week; and a profile that gives its minutes keeps them (a student
    without a profile gets the policy's day, as before)."""
    policy = tmp_path / "policy60.toml"
    policy.write_text("default_daily_minutes = 60\n")
    without = profiles_with(district, tmp_path / "nowm.jsonl", None)
    given = profiles_with(district, tmp_path / "wm150.jsonl", 150.0)

    shipped = night(district, tmp_path, "shipped", without)
    pd.testing.assert_frame_equal(shipped, night(district, tmp_path, "given", given))
    sixty = night(district, tmp_path, "sixty", without, "--policy", str(policy))
    assert sixty["recommended"].sum() > 1.3 * shipped["recommended"].sum()
    kept = night(district, tmp_path, "kept", given, "--policy", str(policy))
    profiled = kept.index.isin(
        [json.loads(line)["student_id"] for line in given.read_text().splitlines()]
    )
    assert 0 < (~profiled).sum() < 30  # the district's students without a profile: 60 a day
    pd.testing.assert_series_equal(kept["recommended"][profiled], shipped["recommended"][profiled])
