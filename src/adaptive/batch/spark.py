"""Run the daily job's pure partition function on Apache Spark, for districts beyond one machine.

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
import sys
from collections.abc import Callable

import pyarrow as pa

from adaptive.batch.partition import PartitionContext, recommend_partition
from adaptive.errors import ConfigError

PartitionFn = Callable[[pa.Table, PartitionContext], pa.Table]


def local_spark(app_name: str = "adaptive-batch", master: str = "local[2]"):
    """A local SparkSession whose Python workers use this interpreter (with pyarrow)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is an optional dependency
        raise ConfigError("the Spark runner needs pyspark: pip install 'adaptive[spark]'") from exc
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


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
