"""Spark sessions for the daily job, and the pure partition function on Spark.

`spark_session(master)` starts (or joins) a session after checking that Spark can run here: a
malformed master URL, a missing pyspark or a missing Java runtime is one `SparkUnavailableError`.
The whole night on Spark is `spark_job.py`; `run_on_spark` below distributes only the last step
(a per-student table built elsewhere), kept for callers that already hold such a table.

    spark = local_spark()                                   # or an existing cluster session
    recs = run_on_spark(spark, students_table, context)     # pyarrow.Table, one row per student

The input is the same per-student Arrow table the in-process job builds (`batch_to_table`);
Spark groups it by school and calls `recommend_partition` on each group through
`groupBy(...).applyInArrow` (Arrow in, Arrow out, no per-row Python), so Spark and the local
job run the very same function. Spark itself ships that function to its workers with its own
serializer; what it carries is the `PartitionContext` (catalog and policy as JSON strings).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from adaptive.batch.partition import PartitionContext, recommend_partition
from adaptive.errors import ConfigError
from adaptive.placement.table import OptionNames

#: How a Python caller spells the engine options ("engine='spark'"); the commands pass their
#: flags' spelling (`COMMAND_NAMES.unprefixed()`).
KEYWORDS = OptionNames("")
#: What a master URL looks like (in a refusal).
MASTER_EXPECTED = (
    "expected a Spark master URL such as local[2], spark://HOST:7077, yarn or "
    "k8s://https://HOST:PORT"
)

PartitionFn = Callable[[pa.Table, PartitionContext], pa.Table]
#: The driver's log4j2 configuration (shipped with the package): on stderr, Spark's errors only
#: (none on a night that succeeds); with `--debug`, its warnings and the failed tasks' traces too.
LOG_CONFIG = Path(__file__).with_name("spark_log4j2.properties")
#: The JVM system property that `LOG_CONFIG` reads as Spark's log level (`--debug`: warn).
LOG_LEVEL_PROPERTY = "adaptive.spark.log"


MASTER = re.compile(
    r"^(local(\[(\*|[1-9]\d*)(,\s*[1-9]\d*)?\])?|spark://[^\s/:]+:\d{1,5}(,[^\s/:]+:\d{1,5})*"
    r"|yarn|k8s://\S+)$"
)


class SparkUnavailableError(ConfigError):
    """The Spark engine cannot start here: no pyspark, no Java, or a malformed master URL."""


def check_master(master: str, names: OptionNames = KEYWORDS) -> str:
    """`master` when it is a Spark master URL (local, local[N], local[*], spark://HOST:PORT,
    yarn, k8s://...); a `SparkUnavailableError` saying what is expected otherwise (the option
    as `names` spells it: a Python keyword by default, the command's flag for a command)."""
    if not isinstance(master, str) or not MASTER.match(master.strip()):
        raise SparkUnavailableError(f"{names.set_to('master', str(master))}: {MASTER_EXPECTED}")
    return master.strip()


def check_spark_available(names: OptionNames = KEYWORDS) -> None:
    """pyspark importable and a Java runtime on the PATH (or JAVA_HOME), else one clear error
    (naming the engine option as `names` spells it)."""
    spark, local = names.set_to("engine", "spark"), names.set_to("engine", "local")
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailableError(
            f"{spark} needs pyspark: pip install 'adaptive[spark]' (or use {local})"
        ) from exc
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and Path(home, "bin", "java").is_file()):
        raise SparkUnavailableError(
            f"{spark} needs a Java runtime (Java 17): install one, or set JAVA_HOME "
            f"(or use {local})"
        )


def spark_session(
    master: str | None = None, app_name: str = "adaptive-batch", conf: dict | None = None
):
    """A SparkSession on `master` (default local[2]) whose Python workers use this interpreter
    (with pyarrow), in UTC, without the web UI or console progress bars, its driver logging
    Spark's errors only, and with `--debug` its warnings and the traces of failed tasks too
    (`LOG_CONFIG`, unless the user has their own log configuration). `conf` adds Spark
    settings (e.g. executor memory on a cluster)."""
    master = check_master(master or "local[2]")
    check_spark_available()
    # PySpark warns that it does not fully support pandas 3 in general; what this job does with
    # it is tested byte for byte against the in-process job (tests/batch/test_spark_job.py), so
    # the warning would only alarm the nightly job's reader
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # the job prints its own summary
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
    )
    if not _user_log_config():  # the driver's log: quiet, unless --debug
        options = f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"
        if _debug():
            options += f" -D{LOG_LEVEL_PROPERTY}=warn"
        builder = builder.config("spark.driver.extraJavaOptions", options)
    for key, value in (conf or {}).items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    running = session.sparkContext.master
    if running != master:  # getOrCreate returned a session this process started before
        raise SparkUnavailableError(
            f"a Spark session on {running} is already running in this process; stop it "
            f"(spark.stop()) to run on {master}, or pass --master {running}"
        )
    return session


def _debug() -> bool:
    """ADAPTIVE_DEBUG=1 (`adaptive --debug` sets it): Spark's log then shows its warnings and
    the traces of failed tasks. Read when the JVM starts: a session already running keeps its
    log. The library reads the environment, never the command line's settings."""
    return os.environ.get("ADAPTIVE_DEBUG", "") not in ("", "0")


def _user_log_config() -> bool:
    """True when the user configures Spark's log themselves: a `log4j2.properties` in their
    Spark configuration folder (`SPARK_CONF_DIR`, else `SPARK_HOME/conf`), which the shipped
    file must not replace. (`conf={"spark.driver.extraJavaOptions": ...}` replaces it too.)"""
    folder = os.environ.get("SPARK_CONF_DIR") or (
        os.path.join(os.environ["SPARK_HOME"], "conf") if os.environ.get("SPARK_HOME") else None
    )
    return folder is not None and Path(folder, "log4j2.properties").is_file()


def local_spark(app_name: str = "adaptive-batch", master: str = "local[2]"):
    """A local SparkSession (see `spark_session`)."""
    return spark_session(master, app_name)


def spark_ready_table(table: pa.Table) -> pa.Table:
    """Fixed-size lists become plain lists (the Arrow types Spark's converter accepts)."""
    fields = []
    for f in table.schema:
        t = f.type
        fields.append(
            pa.field(f.name, pa.list_(t.value_type) if pa.types.is_fixed_size_list(t) else t)
        )
    return table.cast(pa.schema(fields))


def run_on_spark(
    spark,
    students: pa.Table,
    context: PartitionContext,
    fn: PartitionFn = recommend_partition,
    key: str = "school_id",
) -> pa.Table:
    """`fn` applied to every `key` group of `students` on Spark; the concatenated result."""
    from pyspark.sql.pandas.types import from_arrow_schema

    students = spark_ready_table(students)
    sample = fn(students.slice(0, 1), context)  # the output schema, from the function itself
    schema = from_arrow_schema(sample.schema)
    frame = spark.createDataFrame(students)

    def apply(group: pa.Table) -> pa.Table:
        return fn(group, context).cast(sample.schema)

    return frame.groupBy(key).applyInArrow(apply, schema=schema).toArrow()
