"""Growth against a norm, in months of learning (one school year = 12 months).

The norm (`Norm`, `src/adaptive/specs/norm.toml`) gives, per grade, the share of that grade's
skills a typical student has mastered at the start (`start`) and at the end (`end`) of the
school year; in between it is linear. Method, per student of grade g on date D:

1. share(D)  = mean P(mastered) over the catalog skills of grade g (unknown mastery counts 0);
2. level(D)  = 12 * (share(D) - start_g) / (end_g - start_g): where on the norm's year the
               student stands, in months (0 = the norm at the year's start, 12 = at its end);
3. growth    = level(D) - level(B) over the months elapsed from a baseline B (`choose_baseline`):
               the first night served (in the order the folder's nights were run) of D's school
               year dated within its first `baseline_weeks` weeks (and not after D, served
               before D), which measures the year's start; else the first night served of D's
               school year whatever its date (a district that starts mid-term: growth counts
               from that night, and is judged `min_weeks` weeks after it); with no night at all,
               the year's start itself with every student assumed on the norm (level(B) = 0).
               level(B) is B's own reading of the student, read as D's is (its `mastery`, steps
               1-2): measured from their answers, or, for a student who had answered nothing by
               then, where the nightly job placed them (the model's starting point, on the same
               scale as its later readings; the norm's level at B is another scale, and
               "growth" from it was the switch between the two). Both levels are then taken
               over the grade's skills read on both nights: a skill B's catalog lacked (added
               since) has no reading at B and is left out at both ends (read as 0 at B, its
               whole mastery tonight was counted as growth); a student with no skill of their
               grade read on both nights (the grade's skills all added since) has nothing to
               compare: left out of growth (`no_common_skill`) and counted. A student absent
               from B's output (transferred in, or their school onboarded mid-year), or whose
               school's output at B holds no mastery reading, grows from their own first reading
               instead: the first night served after B and before D (in serving order) whose
               output reads them, else D itself (`late_start`; their own date, months elapsed
               and bar below). Without one (a caller passing no own reading) they are left out
               (`no_baseline`, `no_reading`) and counted. A
               student whose grade changed since B (a grade corrected mid-year: the nightly
               job placed them again from the new grade) is read at B with another grade's
               placement: they grow from the first night of their new grade, as a late start
               (`regraded_from`), never the change read as growth. A
               report of D reads only nights served before D, so it is the same whatever nights
               are run or back-filled later;
4. on track  = growth >= target_years * elapsed months (1.5 years per school year by default);
               `annualized` = growth * 12 / elapsed months, the months elapsed since the
               student's own start (B, or their own first night). Growth is judged only once
               `min_weeks` weeks have passed since that start (`Baseline.judged`, per student
               `Growth.judged`): before, over a few days, it is noise, and the pages say it
               cannot be judged yet instead of a verdict (a late start under `min_weeks` weeks
               ago is left out and counted, `too_soon`).

Students with no answer yet (`placed`: their mastery is a placement from their grade, not a
measurement), students with no answer since their start (`no_new_answers`: the same reading at
both ends, nothing measured, not a growth of 0), students without a grade, students not served on the baseline night
(`no_baseline`) and the others `LEFT_OUT` names are left out of growth, and counted by reason
(`Growth.left_out`, `GrowthSummary.left_out`).

Uncertainty: skills are treated as independent Bernoulli(P(mastered)), so the share's standard
error is sqrt(sum p(1-p)) / n_g, scaled to months as in step 2 and combined over both dates.
`p_on_track` = Phi((growth - target) / se) is the probability the student is on track given that
uncertainty. For a class, school or district, `summarize` reports the share on track with a 95%
Wilson interval over its students, and the mean of `p_on_track` (the share expected when the
measurement uncertainty is taken into account).
"""

from __future__ import annotations

import json
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError, ConfigWarning, closest_name
from adaptive.files import read_user_text
from adaptive.grades import GRADE_EXPECTED, to_grade
from adaptive.policy.config import invalid_toml, toml_place
from adaptive.school_year import DEFAULT_YEAR_START, year_start_of
from adaptive.specs import SPECS_DIR

NORM_SPEC = SPECS_DIR / "norm.toml"
MONTH_DAYS = 365.25 / 12
#: Bins of annualized growth (months per school year) for the distribution charts.
GROWTH_EDGES = (6.0, 12.0, 18.0, 24.0)
GROWTH_BIN_LABELS = ("under 6", "6 to 12", "12 to 18", "18 to 24", "24 or more")


@dataclass(frozen=True)
class Norm:
    """Expected share of grade-level skills mastered at the year's start and end, per grade."""

    year_start: str = DEFAULT_YEAR_START
    target_years: float = 1.5
    start: float = 0.10
    end: float = 0.80
    grades: dict[int, tuple[float, float]] = field(default_factory=dict)
    #: a batch output dated in the school year's first weeks measures the year's start
    baseline_weeks: float = 4.0
    #: growth is judged only this many weeks after the baseline (over days it is noise)
    min_weeks: float = 6.0
    #: the norm file's name as the pages say it ("" for the shipped norm)
    source: str = ""
    #: the file has a [default] table (the shipped norm does): else a grade without its own
    #: table gets the shipped default, which `served` warns of
    has_default: bool = True
    #: served grades that get the shipped default for want of a table (`served`)
    unnormed: tuple[int, ...] = ()

    @classmethod
    def from_toml(cls, path: str | Path | None = None) -> Norm:
        """Read a norm file (default: the shipped one). Every problem of the file is said at
        once, each on its line of the file, its value as the file writes it (`true`, not
        Python's `True`), a misspelt key with the one meant: one ConfigError, exit 2."""
        path = Path(path) if path is not None else NORM_SPEC
        try:
            text = read_user_text(path, "a norm TOML file")
            doc = tomllib.loads(text)
        except FileNotFoundError as exc:
            raise ConfigError(f"norm file {path} not found; expected a TOML file") from exc
        except tomllib.TOMLDecodeError as exc:  # a key set twice: its name and both lines
            raise ConfigError(invalid_toml(path, text, exc)) from exc
        problems: list[Problem] = []
        _check_keys(doc, problems)
        numbers = {key: _number(doc, key, problems) for key in _NUMBERS}
        year_start = _month_day(doc, problems)
        default = doc.get("default", {})
        if isinstance(default, dict):
            default = {"start": 0.10, "end": 0.80, **default}
        start_end = _band(("default",), default, problems)
        grades = _grade_bands(doc.get("grade", {}), problems)
        if problems or start_end is None or None in numbers.values():
            raise ConfigError(_norm_problems(path, text, problems))
        return cls(
            year_start,
            numbers["target_years"],
            *start_end,
            grades,
            numbers["baseline_weeks"],
            numbers["min_weeks"],
            source="" if path == NORM_SPEC else path.name,
            has_default="default" in doc,
        )

    def describe(self) -> str:
        """The norm in words, as the pages say it (plain text): which file, and each grade's
        start and end shares, so a reader sees which norm the figures come from (a custom
        norm's figures were explained with the shipped norm's 10% and 80%)."""
        name = (
            f"{self.source} (the district's own norm file)"
            if self.source
            else ("the shipped norm (src/adaptive/specs/norm.toml)")
        )
        bands = [f"grade {g} {_span(s, e)}" for g, (s, e) in sorted(self.grades.items())]
        rest = "every other grade" if bands else "every grade"
        if self.unnormed:
            which = ", ".join(str(g) for g in self.unnormed)
            rest = f"grade {which} (served, no table in the file) and {rest}"
        shipped = "" if self.has_default else " (the shipped default: the file has no [default])"
        bands.append(f"{rest} {_span(self.start, self.end)}{shipped}")
        return f"{name}, the share at the year's start to its end: {'; '.join(bands)}"

    def served(self, grades: Iterable[float]) -> Norm:
        """This norm for a night that serves `grades` (NaN: no grade): the served grades the
        file has no table for, and no [default] either, get the shipped default, which a district
        that left a grade out did not choose: a `ConfigWarning` names them (the pages say it too,
        `describe`), where they silently used it."""
        served = {int(g) for g in grades if g == g}  # NaN != NaN
        missing = tuple(sorted(served - set(self.grades))) if not self.has_default else ()
        if missing:
            which = ", ".join(str(g) for g in missing)
            warnings.warn(
                f"{self.source}: no table for grade {which} (served tonight) and no [default]: "
                f"{'they use' if len(missing) > 1 else 'it uses'} the shipped default, "
                f"{_span(self.start, self.end)}; add [grade.{missing[0]}] (start, end) or a "
                "[default] table to set it",
                ConfigWarning,
                stacklevel=2,
            )
        return replace(self, unnormed=missing)

    def band(self, grades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) shares per student grade (NaN grade -> NaN)."""
        grades = np.asarray(grades, dtype=float)
        start = np.full(grades.shape, self.start)
        end = np.full(grades.shape, self.end)
        for g, (s, e) in self.grades.items():
            start[grades == g], end[grades == g] = s, e
        start[np.isnan(grades)] = end[np.isnan(grades)] = np.nan
        return start, end

    def year_start_of(self, date: str, where: str = "norm") -> pd.Timestamp:
        """The start of the school year that `date` falls in (`adaptive.school_year`)."""
        return year_start_of(date, self.year_start, where)


#: the most years of growth per school year a district's bar may ask (150 was a percent)
MAX_TARGET_YEARS = 5.0
#: the keys a norm file may set, at its top level and in [default] / [grade.N]
NORM_KEYS = ("year_start", "target_years", "baseline_weeks", "min_weeks", "default", "grade")
BAND_KEYS = ("start", "end")
#: the norm file's top-level numbers: (default, most, what is expected)
_NUMBERS = {
    "target_years": (1.5, MAX_TARGET_YEARS, "years of growth per school year"),
    "baseline_weeks": (4.0, 52.0, "weeks, more than 0 and at most 52"),
    "min_weeks": (6.0, 52.0, "weeks, more than 0 and at most 52"),
}
#: a problem of a norm file: the key it is about (table and key) and what is wrong
Problem = tuple[tuple[str, ...], str]


def _target_problem(value: float) -> str:
    """Why `target_years` is refused: a bar of years per school year, more than 0 and at most
    `MAX_TARGET_YEARS` (150, a percent, read "on track for 150 years" on every page)."""
    said = (
        f"target_years = {value:g}: expected years of growth per school year, more than 0 and "
        f"at most {MAX_TARGET_YEARS:g}"
    )
    if MAX_TARGET_YEARS < value <= 100 * MAX_TARGET_YEARS:
        said += f"; a percent is not years: for {value:g}% write {value / 100:g}"
    return said


def _check_keys(doc: dict, problems: list[Problem]) -> None:
    """A key the norm file may not set (`target_year` was ignored, the bar silently 1.5) is a
    problem, saying the one most likely meant."""
    tables = [((), doc, NORM_KEYS)]
    if isinstance(doc.get("default"), dict):
        tables.append((("default",), doc["default"], BAND_KEYS))
    grades = doc.get("grade")
    if isinstance(grades, dict):
        tables += [(("grade", k), t, BAND_KEYS) for k, t in grades.items() if isinstance(t, dict)]
    for where, table, valid in tables:
        for key in table:
            if key not in valid:
                close = closest_name(key, valid)
                meant = f"; did you mean `{close}`?" if close else ""
                said = (
                    f"unknown key `{'.'.join([*where, key])}`{meant} (expected {', '.join(valid)})"
                )
                problems.append(((*where, key), said))


def _span(start: float, end: float) -> str:
    """A grade's band in words: "10% to 80%" (the year's start to its end)."""
    return f"{100 * start:g}% to {100 * end:g}%"


def _as_toml(value: object) -> str:
    """A value as a TOML file writes it (`true`, `"09-01"`, `10`), for the messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return json.dumps(value) if isinstance(value, str | list) else repr(value)


def _number(doc: dict, key: str, problems: list[Problem]) -> float | None:
    """A top-level number of the norm file (its default when absent) in its range (`_NUMBERS`);
    None, with the problem added, when it is not."""
    default, high, what = _NUMBERS[key]
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(((key,), f"{key} = {_as_toml(value)}: expected a number, {what}"))
        return None
    if key == "target_years" and not 0 < value <= high:
        problems.append(((key,), _target_problem(value)))
    elif not 0 < value <= high:
        problems.append(((key,), f"{key} = {_as_toml(value)}: expected {what}"))
    return float(value)


def _month_day(doc: dict, problems: list[Problem]) -> str:
    """The file's `year_start` ("MM-DD"), a problem added when it is no month-day."""
    value = doc.get("year_start", DEFAULT_YEAR_START)
    try:
        Norm(year_start=str(value)).year_start_of("2000-01-01")
        if not isinstance(value, str):
            raise ConfigError("not a string")
    except ConfigError:
        said = f'year_start = {_as_toml(value)}: expected a month-day in quotes, e.g. "09-01"'
        problems.append((("year_start",), said))
    return str(value)


def _grade_bands(tables: object, problems: list[Problem]) -> dict[int, tuple[float, float]]:
    """The file's [grade.N] tables, by grade; a problem added for each one that is wrong."""
    if not isinstance(tables, dict):
        problems.append((("grade",), f"grade = {_as_toml(tables)}: expected [grade.N] tables"))
        return {}
    grades = {}
    for key, table in tables.items():
        fits, grade = to_grade(key)  # [grade.K] is kindergarten, grade 0
        if not fits or grade is None:
            problems.append((("grade", key), f"[grade.{key}]: expected {GRADE_EXPECTED}"))
        band = _band(("grade", key), table, problems)
        if band is not None and fits and grade is not None:
            grades[grade] = band
    return grades


def _band(where: tuple[str, ...], table: object, problems: list[Problem]) -> tuple | None:
    """A table's (start, end) shares; None, with the problems added, when they are wrong."""
    name = ".".join(where)
    if not isinstance(table, dict):
        problems.append((where, f"{name} = {_as_toml(table)}: expected a table [{name}]"))
        return None
    values = {}
    for key in BAND_KEYS:
        value = table.get(key)
        if value is None:
            problems.append((where, f"[{name}]: no `{key}`; expected start and end, shares"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            said = f"{name}.{key} = {_as_toml(value)}: expected a number, a share from 0 to 1"
            problems.append(((*where, key), said))
        else:
            values[key] = float(value)
    if len(values) < 2:
        return None
    start, end = values["start"], values["end"]
    if not 0 <= start < end <= 1:
        said = (
            f"[{name}]: start = {_as_toml(table['start'])}, end = {_as_toml(table['end'])}: "
            "expected shares, 0 <= start < end <= 1"
        )
        if end > 1:
            said += " (a share, not a percent: 0.8 for 80%)"
        problems.append(((*where, "start"), said))
        return None
    return start, end


def _norm_problems(path: Path, text: str, problems: list[Problem]) -> str:
    """A norm file's problems as one message, each placed on its line of the file
    (`toml_place`): one on the file's own line, several listed in the file's order."""
    placed = sorted(
        ((*toml_place(text, key), said) for key, said in problems),
        key=lambda one: (one[0] is None, one[0] or 0),
    )
    if len(placed) == 1:
        return f"{path}{placed[0][1]}: {placed[0][2]}"
    listed = [f"  - {where.removeprefix(', ') or 'file'}: {said}" for _, where, said in placed]
    return f"{path}: {len(placed)} problems:\n" + "\n".join(listed)


def grade_skill_mask(catalog: Catalog, grades: np.ndarray) -> np.ndarray:
    """(n, S) bool: the catalog skills of each student's grade (columns = catalog.skill_index)."""
    skill_grades = np.asarray(catalog.skill_grades, dtype=float)
    return np.asarray(grades, dtype=float)[:, None] == skill_grades[None, :]


def level_months(
    mastery: np.ndarray, grade_mask: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(level, se) in months on the norm's year for each student (steps 1-2 of the method)."""
    p = np.nan_to_num(np.asarray(mastery, dtype=np.float64)) * grade_mask
    n = grade_mask.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = p.sum(axis=1) / n
        se_share = np.sqrt((p * (1 - p)).sum(axis=1)) / n
        scale = 12.0 / (end - start)
    return (share - start) * scale, se_share * scale


def choose_baseline(
    norm: Norm, date: str, nights: Iterable[str], served_rank: Mapping[str, int] | None = None
) -> str | None:
    """The night whose batch output measures the school year's start for a report of `date`:
    of `nights` in `date`'s school year, within its first `norm.baseline_weeks` weeks and not
    after `date`, the first served (`served_rank`, the folder's serving order; nights it does not
    rank first, then the earliest date); with none there (a district that starts mid-term), the
    first served of the year's nights up to `date`; None when there is none (the baseline is
    then the year's start, every student assumed on the norm: a guess, never a measurement of a
    district that started later: a trial's first night read "100% on track"). The report reads
    only nights served before `date` (`BatchRun.earlier_dates`), so a report of `date` is the
    same whatever nights are run or back-filled afterwards; a night back-filled into the first
    weeks does not replace a first weeks' baseline for later reports either (it does replace a
    mid-term one: it measures the year's start)."""
    year_start = norm.year_start_of(date)
    window_end = year_start + pd.Timedelta(weeks=norm.baseline_weeks)
    this_year = [n for n in nights if year_start <= pd.Timestamp(n) and n <= date]  # ISO text
    first_weeks = [n for n in this_year if pd.Timestamp(n) < window_end]
    candidates = first_weeks or this_year
    rank = served_rank or {}
    return min(candidates, key=lambda n: (rank.get(n, -1), n)) if candidates else None


@dataclass(frozen=True)
class Baseline:
    """What a report's growth is measured from, and whether it can be judged yet."""

    date: str  # the baseline night, or the year's start (ISO day)
    measured: bool  # True: a batch output measures it; False: students assumed on the norm
    late: bool  # measured on a night after the year's first weeks: growth counts from then
    since_year_start: float  # months from the year's start to the baseline (a norm student's level)
    elapsed: float  # months from the baseline to the report's date
    target: float  # months of growth needed to be on track by the report's date
    judged: bool  # at least `norm.min_weeks` weeks elapsed: growth means something
    judged_from: str  # the first report date whose growth is judged (ISO day)
    min_weeks: float

    @property
    def label(self) -> str:
        """The baseline in words, as the pages say it."""
        if self.late:
            return (
                f"{self.date} (the school year's first night served, after its first weeks: "
                "growth counts from this night, not from the year's start)"
            )
        if self.measured:
            return f"{self.date} (the school year's first night served)"
        return f"the year's start, {self.date} (each student assumed on the norm then)"

    def sentence(self) -> str:
        """Growth's baseline, elapsed time and bar (or why growth is not judged yet), HTML-safe."""
        if not self.judged:
            return (
                f"Growth cannot be judged yet: {self.elapsed * MONTH_DAYS / 7:.1f} weeks since the "
                f"baseline, {self.label}; it is judged from {self.min_weeks:g} weeks on "
                f"({self.judged_from}). No student is labelled on track or not until then."
            )
        # a total so far, told apart from the charts' yearly pace (a coach read "at least 8.5
        # months" beside "18 months or more is on track" as two bars)
        per_year = self.target / self.elapsed * 12 if self.elapsed > 0 else float("nan")
        return (
            f"Baseline: {self.label}; {self.elapsed:.1f} months elapsed, so on track means at "
            f"least {self.target:.1f} months of growth so far, since the baseline (the pace of "
            f"{per_year:.0f} months per school year)."
        )


def baseline_of(norm: Norm, date: str, baseline_date: str | None) -> Baseline:
    """The `Baseline` of a report of `date` from `choose_baseline`'s night (None: the year's
    start)."""
    year_start = norm.year_start_of(date)
    since = pd.Timestamp(baseline_date) if baseline_date is not None else year_start
    elapsed = (pd.Timestamp(date) - since).days / MONTH_DAYS
    judged_from = since + pd.Timedelta(weeks=norm.min_weeks)
    return Baseline(
        date=since.strftime("%Y-%m-%d"),
        measured=baseline_date is not None,
        late=baseline_date is not None
        and since >= year_start + pd.Timedelta(weeks=norm.baseline_weeks),
        since_year_start=(since - year_start).days / MONTH_DAYS,
        elapsed=elapsed,
        target=norm.target_years * elapsed,
        judged=pd.Timestamp(date) >= judged_from,
        judged_from=judged_from.strftime("%Y-%m-%d"),
        min_weeks=norm.min_weeks,
    )


@dataclass(frozen=True)
class Growth:
    """Per-student growth (arrays aligned with the students given to `student_growth`)."""

    months: np.ndarray  # growth since the baseline, in months of learning (NaN: not shown)
    se: np.ndarray  # its standard error
    annualized: np.ndarray  # months of growth per school year (12 = one year)
    on_track: np.ndarray  # bool (False where not known)
    p_on_track: np.ndarray  # probability of being on track given the measurement uncertainty
    known: np.ndarray  # bool: growth is shown (graded, measured, and the baseline judged)
    placed: np.ndarray  # bool: no answer yet, the mastery a placement: left out of growth
    graded: np.ndarray  # bool: the student has a grade with skills in the catalog
    baseline: Baseline
    #: int8 per student: why they are left out of growth, an index of `LEFT_OUT` (0: counted)
    left_out: np.ndarray
    #: each student's own start (ISO day): the baseline night, or for a late start their own
    #: first night read ("" where they have none)
    start_date: np.ndarray
    elapsed: np.ndarray  # months from the student's start to the report's date (NaN: none)
    target: np.ndarray  # months of growth needed to be on track by the report's date
    judged: np.ndarray  # bool: at least `min_weeks` weeks since the student's start
    #: int8 per student: 0 grows from the district baseline; else their growth starts later,
    #: from their own first reading, and this is the `LEFT_OUT` reason the baseline gave
    #: (`no_baseline`: not served then; `no_reading`: their school's output held no reading)
    late_start: np.ndarray
    #: float per student: the grade served before tonight's where the grade changed since the
    #: baseline night (their growth starts from the first night of tonight's grade, a late
    #: start); NaN else. None: nobody's (filled with NaN)
    regraded_from: np.ndarray | None = None
    #: bool per student: they had answered nothing on the night their growth starts from, so
    #: that reading is their placement, not a measurement: their growth reads the model's
    #: correction of it as much as their learning. None: nobody's (filled with False)
    start_placed: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.regraded_from is None:
            object.__setattr__(self, "regraded_from", np.full(len(self.months), np.nan))
        if self.start_placed is None:
            object.__setattr__(self, "start_placed", np.zeros(len(self.months), bool))

    @property
    def regraded(self) -> np.ndarray:
        """(n,) bool: growth from the first night of a grade changed since the baseline."""
        return self.late & ~np.isnan(self.regraded_from)

    @property
    def late(self) -> np.ndarray:
        """(n,) bool: growth measured from the student's own first night, after the baseline."""
        return self.late_start != 0

    @property
    def behind_norm(self) -> np.ndarray:
        """(n,) bool: growth known and under the norm's pace, less than one school year of
        growth per school year elapsed since the student's start (a typical student's pace;
        `on_track` asks for `target_years` times it): the student falls behind their grade."""
        with np.errstate(invalid="ignore"):
            return self.known & (self.months < self.elapsed)

    def take(self, rows: np.ndarray) -> Growth:
        """The growth of some students (rows), e.g. one class of a school."""
        return replace(self, **{k: getattr(self, k)[rows] for k in _PER_STUDENT})

    @staticmethod
    def concat(parts: list[Growth]) -> Growth:
        """Several units' growth as one (e.g. the district's from its schools): one baseline."""
        arrays = {k: np.concatenate([getattr(g, k) for g in parts]) for k in _PER_STUDENT}
        return replace(parts[0], **arrays)

    def summary(self) -> GrowthSummary:
        """The unit's figures (`summarize`), with the students left out counted."""
        s = summarize(self.on_track, self.p_on_track, self.annualized)
        counts = np.bincount(self.left_out, minlength=len(LEFT_OUT))
        left_out = {r: int(n) for r, n in zip(LEFT_OUT[1:], counts[1:], strict=True) if n}
        late = int((self.known & self.late).sum())
        regraded = int((self.known & self.regraded).sum())
        placed = self.known & self.start_placed
        return replace(
            s, left_out=left_out, judged=self.baseline.judged, late_start=late, regraded=regraded,
            from_placement=int(placed.sum()), from_placement_late=int((placed & self.late).sum()),
        )  # fmt: skip

    def reason(self, i: int) -> str:
        """Why student `i` is left out of growth (a `LEFT_OUT` name; "" when counted)."""
        return LEFT_OUT[int(self.left_out[i])]


_PER_STUDENT = (
    "months", "se", "annualized", "on_track", "p_on_track", "known", "placed", "graded",
    "left_out", "start_date", "elapsed", "target", "judged", "late_start", "regraded_from",
    "start_placed",
)  # fmt: skip

#: Why a student is left out of growth, the one list the counts and the pages go by (in the
#: order the pages say them; a student left out for several is counted for the first):
#: - placed: no answer yet, their mastery a placement from their grade, not a measurement;
#: - ungraded: no grade in the profiles;
#: - grade_off_catalog: a grade the catalog has no skill of (K to 2 beside a catalog of grades
#:   3 to 8): nothing of their grade to measure (a rollover trial's chief academic officer read
#:   "without a grade in the profiles" of them, and looked for a roster error);
#: - no_norm: a grade the norm has no line for (the norm's load warns of it);
#: - no_baseline: not served on the baseline night, no reading then to grow from;
#: - no_reading: served then, but that night's output holds no mastery reading for their school
#:   (no `mastery` column, or one of another width): not "not served";
#: - no_common_skill: served then, but no skill of their grade read both then and tonight (their
#:   grade's skills were added to the catalog since): nothing to compare;
#: - too_soon: their growth starts later than the baseline, from their own first night, less
#:   than `min_weeks` weeks ago: it cannot be judged yet;
#: - no_new_answers: the model's reading of them tonight is the one of the night their growth
#:   starts from (the nightly job reads a student anew only from answers): nothing measured
#:   since, not a growth of 0 (a school onboarded mid-year: 203 of its 275 "measured"
#:   students grew 0.0, its median 0.0, some flagged for remediation).
#: (no_baseline and no_reading: only without an own first reading, `student_growth`'s `own`.)
LEFT_OUT = (
    "", "placed", "ungraded", "grade_off_catalog", "no_norm", "no_baseline", "no_reading",
    "no_common_skill", "too_soon", "no_new_answers",
)  # fmt: skip


def student_growth(
    norm: Norm,
    catalog: Catalog,
    grades: np.ndarray,
    mastery: np.ndarray,
    date: str,
    baseline_mastery: np.ndarray | None = None,
    baseline_date: str | None = None,
    placed: np.ndarray | None = None,
    baseline_unread: bool | np.ndarray = False,
    own_mastery: np.ndarray | None = None,
    own_dates: np.ndarray | None = None,
    regraded_from: np.ndarray | None = None,
    start_placed: np.ndarray | None = None,
) -> Growth:
    """Growth per student against `norm` (see the module docstring; vectorized over students).

    `baseline_mastery` (same rows and columns as `mastery`, NaN rows = student absent then;
    None = nobody's reading that night, e.g. their school was not served) is the output of the
    night `baseline_date` (`choose_baseline`), read as `mastery` is: a student placed then
    grows from their placement; both ends are taken over the grade's skills read on both
    nights (a NaN column, a skill that night's catalog lacked, is left out of both).
    A student without a reading there grows from their own first reading, `own_mastery`'s row
    (same shape; NaN rows: none) dated `own_dates` (ISO days after `baseline_date`, not after
    `date`; "" where none): months elapsed, bar and the `min_weeks` rule are the student's own
    (`Growth.late_start`), and a start under `min_weeks` weeks ago is left out (`too_soon`).
    Without an own reading either they get no growth (`no_baseline`; `baseline_unread`:
    served that night by a school whose output then holds no mastery reading: `no_reading`,
    said so, not "not served"; True: `baseline_mastery` is None though the night served the
    school; or (n,) bool per student, a student who moved between schools read at the school
    that served them then); a student with no skill of
    their grade read on both nights gets none either (`no_common_skill`).
    `regraded_from` ((n,) float, NaN: not): the grade a student was served with before
    tonight's, where it changed since the baseline night: the caller gives no baseline row
    for them, and their own reading is the first night of tonight's grade (the nightly job
    placed them again from it: their skills placed from the old grade, ~0.9 on grade-3 skills
    placed from grade 6, ~0.4 from grade 3, read as a loss no answer measured).
    `placed` marks the students with no answer yet: their mastery is a
    placement, so they get no growth; both are counted apart by `Growth.summary`.
    `start_placed` ((n,) bool; None: nobody) marks the students who had answered nothing on
    the night their growth starts from: their growth is computed as the others' (from their
    placement), and `Growth.summary` counts them (`from_placement`) so the pages say it.
    Without a `baseline_date` the baseline is the year's start, every student on the norm."""
    start, end = norm.band(grades)
    mask = grade_skill_mask(catalog, grades)
    level, se = level_months(mastery, mask, start, end)
    n = len(level)
    baseline = baseline_of(norm, date, baseline_date)
    base = np.full_like(level, baseline.since_year_start)  # the year's start: on the norm
    base_se = np.zeros_like(se)
    present = np.ones(n, bool)
    late = np.zeros(n, bool)
    start_date = np.full(n, baseline.date, dtype=object)
    both = mask  # the grade's skills read at both ends
    now = level
    unchanged = np.zeros(n, bool)  # the same reading at both ends: nothing measured since
    if baseline_date is not None:  # the night's reading, or none (never the norm's level)
        now_m = np.asarray(mastery, dtype=float)
        then = np.full(now_m.shape, np.nan)
        if baseline_mastery is not None:
            then = np.asarray(baseline_mastery, dtype=float)
        present = ~np.isnan(then).all(axis=1)
        if own_mastery is not None and not present.all():
            own = np.asarray(own_mastery, dtype=float)
            late = ~present & ~np.isnan(own).all(axis=1)
            then = np.where(late[:, None], own, then)
            start_date[~present] = ""
            start_date[late] = np.asarray(own_dates, dtype=object)[late]
            present |= late
        else:
            start_date[~present] = ""
        # one scale at both ends: the grade's skills read on both nights (a skill the
        # baseline night's catalog lacked is NaN then, never a mastery of 0 grown from)
        both = mask & ~np.isnan(then) & ~np.isnan(now_m)
        now, se = level_months(mastery, both, start, end)
        base, base_se = level_months(then, both, start, end)
        unchanged = present & _same_reading(then, now_m)
    # each student's own start: months elapsed, bar and the min_weeks rule
    elapsed = np.full(n, baseline.elapsed)
    judged = np.full(n, baseline.judged)
    if late.any():
        days = (pd.Timestamp(date) - pd.to_datetime(start_date[late].astype(str))).days
        elapsed[late] = np.asarray(days, dtype=float) / MONTH_DAYS
        judged[late] = np.asarray(days, dtype=float) >= norm.min_weeks * 7
    elapsed[~present] = np.nan
    target = norm.target_years * elapsed
    placed = np.zeros(n, bool) if placed is None else np.asarray(placed, bool)
    months = now - base
    total_se = np.sqrt(se**2 + base_se**2)
    graded = np.isfinite(level) & (mask.sum(axis=1) > 0)
    if np.ndim(baseline_unread):  # per student
        unread = np.asarray(baseline_unread, bool)
    else:
        unread = np.full(n, bool(baseline_unread) and baseline_mastery is None)
    absent = np.where(unread, LEFT_OUT.index("no_reading"), LEFT_OUT.index("no_baseline"))
    has_grade = np.isfinite(np.asarray(grades, dtype=float))
    left_out = np.select(
        [placed, ~has_grade, mask.sum(axis=1) == 0, ~graded, ~present,
         present & ~both.any(axis=1), late & ~judged,
         unchanged & judged],  # before min_weeks, "cannot be judged yet" says it all
        [LEFT_OUT.index("placed"), LEFT_OUT.index("ungraded"),
         LEFT_OUT.index("grade_off_catalog"), LEFT_OUT.index("no_norm"), absent,
         LEFT_OUT.index("no_common_skill"), LEFT_OUT.index("too_soon"),
         LEFT_OUT.index("no_new_answers")],
        0,
    ).astype(np.int8)  # fmt: skip
    known = (left_out == 0) & np.isfinite(months) & judged
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(total_se > 0, (months - target) / total_se, np.sign(months - target) * np.inf)
        annualized = months * 12.0 / elapsed
    return Growth(
        months=np.where(known, months, np.nan),
        se=np.where(known, total_se, np.nan),
        annualized=np.where(known, annualized, np.nan),
        on_track=known & (months >= target),
        p_on_track=np.where(known, ndtr(np.nan_to_num(z, nan=0.0)), np.nan),
        known=known,
        placed=placed,
        graded=graded,
        baseline=baseline,
        left_out=left_out,
        start_date=start_date,
        elapsed=elapsed,
        target=target,
        judged=judged,
        late_start=np.where(late, absent, 0).astype(np.int8),
        regraded_from=np.full(n, np.nan)
        if regraded_from is None
        else np.where(late, np.asarray(regraded_from, float), np.nan),
        start_placed=np.zeros(n, bool) if start_placed is None else np.asarray(start_placed, bool),
    )


def _same_reading(then: np.ndarray, now: np.ndarray) -> np.ndarray:
    """(n,) bool: every skill read at both ends reads the same (and some skill is): the model
    has had no answer of the student since `then` (it reads a student anew only from answers),
    so a level difference of 0 is no measurement of growth."""
    read = ~np.isnan(then) & ~np.isnan(now)
    return read.any(axis=1) & np.where(read, then == now, True).all(axis=1)


@dataclass(frozen=True)
class GrowthSummary:
    """A unit's (class, school, district) growth figures."""

    n: int  # students with a known growth
    share_on_track: float
    low: float  # 95% Wilson interval of the share
    high: float
    expected_share: float  # mean P(on track)
    median_annualized: float
    histogram: tuple[int, ...]  # students per bin of annualized growth (GROWTH_BIN_LABELS)
    #: students left out of growth, by reason (`LEFT_OUT` names, in its order; none at 0)
    left_out: dict[str, int] = field(default_factory=dict)
    judged: bool = True  # False: too soon after the baseline, no figure means anything yet
    #: students counted whose growth starts later than the baseline (their own first night)
    late_start: int = 0
    #: of them, those whose grade changed since the baseline (`Growth.regraded`)
    regraded: int = 0
    #: students counted whose growth starts from a placement (`Growth.start_placed`)
    from_placement: int = 0
    #: of them, those whose start is a later night of their own (a late start)
    from_placement_late: int = 0


def summarize(
    on_track: np.ndarray, p_on_track: np.ndarray, annualized: np.ndarray
) -> GrowthSummary:
    """Figures of one unit from its students' arrays (unknown students are left out)."""
    known = np.isfinite(np.asarray(annualized, dtype=float))
    n = int(known.sum())
    hits = int(np.asarray(on_track)[known].sum())
    low, high = wilson(hits, n)
    values = np.asarray(annualized, dtype=float)[known]
    hist = np.bincount(np.digitize(values, GROWTH_EDGES), minlength=len(GROWTH_BIN_LABELS))
    return GrowthSummary(
        n=n,
        share_on_track=hits / n if n else float("nan"),
        low=low,
        high=high,
        expected_share=float(np.mean(np.asarray(p_on_track)[known])) if n else float("nan"),
        median_annualized=float(np.median(np.asarray(annualized)[known])) if n else float("nan"),
        histogram=tuple(int(h) for h in hist),
    )


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a share (NaN, NaN for n = 0); its low end is exactly 0
    for no hits and its high end exactly 1 for all (in floating point the formula left 1e-19,
    which a page wrote "0.00000000000000001%")."""
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return float(low), float(high)
