"""Growth against a norm, in months of learning (one school year = 12 months).

The norm (`Norm`, `src/adaptive/specs/norm.toml`) gives, per grade, the share of that grade's
skills a typical student has mastered at the start (`start`) and at the end (`end`) of the
school year; in between it is linear. Method, per student of grade g on date D:

1. share(D)  = mean P(mastered) over the catalog skills of grade g (unknown mastery counts 0);
2. level(D)  = 12 * (share(D) - start_g) / (end_g - start_g): where on the norm's year the
               student stands, in months (0 = the norm at the year's start, 12 = at its end);
3. growth    = level(D) - level(B) over the months elapsed from a baseline B: the earliest batch
               output of the same school year when there is one, else the year's start with
               level(B) = 0 (the student assumed to have started the year on the norm: `baseline`
               says which);
4. on track  = growth >= target_years * elapsed months (1.5 years per school year by default);
               `annualized` = growth * 12 / elapsed months.

Uncertainty: skills are treated as independent Bernoulli(P(mastered)), so the share's standard
error is sqrt(sum p(1-p)) / n_g, scaled to months as in step 2 and combined over both dates.
`p_on_track` = Phi((growth - target) / se) is the probability the student is on track given that
uncertainty. For a class, school or district, `summarize` reports the share on track with a 95%
Wilson interval over its students, and the mean of `p_on_track` (the share expected when the
measurement uncertainty is taken into account).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.files import read_user_text
from adaptive.grades import GRADE_EXPECTED, to_grade
from adaptive.specs import SPECS_DIR

NORM_SPEC = SPECS_DIR / "norm.toml"
MONTH_DAYS = 365.25 / 12
#: Bins of annualized growth (months per school year) for the distribution charts.
GROWTH_EDGES = (6.0, 12.0, 18.0, 24.0)
GROWTH_BIN_LABELS = ("under 6", "6 to 12", "12 to 18", "18 to 24", "24 or more")


@dataclass(frozen=True)
class Norm:
    """Expected share of grade-level skills mastered at the year's start and end, per grade."""

    year_start: str = "09-01"
    target_years: float = 1.5
    start: float = 0.10
    end: float = 0.80
    grades: dict[int, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str | Path | None = None) -> Norm:
        """Read a norm file (default: the shipped one); errors name the file and the key."""
        path = Path(path) if path is not None else NORM_SPEC
        try:
            doc = tomllib.loads(read_user_text(path, "a norm TOML file"))
        except FileNotFoundError as exc:
            raise ConfigError(f"norm file {path} not found; expected a TOML file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
        default = doc.get("default", {})
        grades = {}
        for key, table in doc.get("grade", {}).items():
            fits, grade = to_grade(key)  # [grade.K] is kindergarten, grade 0
            if not fits or grade is None:
                raise ConfigError(f"{path}: [grade.{key}]: expected {GRADE_EXPECTED}")
            grades[grade] = _band(path, f"grade.{key}", table)
        start, end = _band(path, "default", {"start": 0.10, "end": 0.80, **default})
        norm = cls(
            str(doc.get("year_start", "09-01")),
            float(doc.get("target_years", 1.5)),
            start,
            end,
            grades,
        )
        norm.year_start_of("2000-01-01", where=str(path))  # check the month-day once
        if not norm.target_years > 0:
            raise ConfigError(f"{path}: target_years {norm.target_years}: expected > 0")
        return norm

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
        """The start of the school year that `date` falls in."""
        day = pd.Timestamp(date)
        try:
            month, dom = (int(x) for x in self.year_start.split("-"))
            start = pd.Timestamp(year=day.year, month=month, day=dom)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{where}: year_start {self.year_start!r}: expected MM-DD, e.g. 09-01"
            ) from exc
        return start if start <= day else start.replace(year=day.year - 1)


def _band(path: Path, key: str, table: dict) -> tuple[float, float]:
    try:
        start, end = float(table["start"]), float(table["end"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [{key}]: expected numbers start and end ({exc})") from exc
    if not 0 <= start < end <= 1:
        raise ConfigError(
            f"{path}: [{key}]: start {start}, end {end}: expected 0 <= start < end <= 1"
        )
    return start, end


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


def baseline_info(norm: Norm, date: str, baseline_date: str | None) -> tuple[str, float, float]:
    """(baseline label, months elapsed since it, months of growth needed to be on track)."""
    if baseline_date is not None:
        since, label = pd.Timestamp(baseline_date), baseline_date
    else:
        since, label = norm.year_start_of(date), "year start (assumed on the norm)"
    elapsed = max((pd.Timestamp(date) - since).days / MONTH_DAYS, 1e-9)
    return label, elapsed, norm.target_years * elapsed


@dataclass(frozen=True)
class Growth:
    """Per-student growth (arrays aligned with the students given to `student_growth`)."""

    months: np.ndarray  # growth since the baseline, in months of learning
    se: np.ndarray  # its standard error
    elapsed: float  # months from the baseline to the date
    target: float  # months of growth needed to be on track by the date
    annualized: np.ndarray  # months of growth per school year (12 = one year)
    on_track: np.ndarray  # bool (False where unknown)
    p_on_track: np.ndarray  # probability of being on track given the measurement uncertainty
    known: np.ndarray  # bool: the student has a grade with skills in the catalog
    baseline: str  # the baseline date, or "year start (assumed on the norm)"


def student_growth(
    norm: Norm,
    catalog: Catalog,
    grades: np.ndarray,
    mastery: np.ndarray,
    date: str,
    baseline_mastery: np.ndarray | None = None,
    baseline_date: str | None = None,
) -> Growth:
    """Growth per student against `norm` (see the module docstring; vectorized over students).

    `baseline_mastery` (same rows and columns as `mastery`, NaN rows = student absent then) is
    the earliest batch output of the school year, from `baseline_date`."""
    start, end = norm.band(grades)
    mask = grade_skill_mask(catalog, grades)
    level, se = level_months(mastery, mask, start, end)
    if baseline_mastery is not None and baseline_date is not None:
        base, base_se = level_months(baseline_mastery, mask, start, end)
        absent = np.isnan(np.asarray(baseline_mastery, dtype=float)).all(axis=1)
        base[absent], base_se[absent] = 0.0, 0.0
    else:
        base, base_se = np.zeros_like(level), np.zeros_like(se)
    label, elapsed, target = baseline_info(norm, date, baseline_date)
    months = level - base
    total_se = np.sqrt(se**2 + base_se**2)
    known = np.isfinite(months) & (mask.sum(axis=1) > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(total_se > 0, (months - target) / total_se, np.sign(months - target) * np.inf)
    p = np.where(known, ndtr(np.nan_to_num(z, nan=0.0)), np.nan)
    return Growth(
        months=np.where(known, months, np.nan),
        se=np.where(known, total_se, np.nan),
        elapsed=elapsed,
        target=target,
        annualized=np.where(known, months * 12.0 / elapsed, np.nan),
        on_track=known & (months >= target),
        p_on_track=p,
        known=known,
        baseline=label,
    )


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
    """95% Wilson score interval of a share (NaN, NaN for n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))
