"""cdk-ml-at-scale: the Glue 5 (Spark) ETL job shipped with SparkEtlJob.

Two modes, chosen by the --mode argument:

* ``convert``: read raw CSV or JSON and write Parquet, optionally partitioned (``--partition_keys``)
  and under a static partition such as the run date (``--static_partition dt=2024-05-01``).
* ``repartition``: rewrite a dataset as N evenly sized Parquet files (``--file_count``, or
  ``--target_file_mib`` with the input's size): the whitepaper's "split into smaller chunks" so that
  training workers read in parallel.

The Spark calls are kept thin, in ``main()``. Everything that can be wrong without Spark (argument
parsing, partition naming, file-count arithmetic, schema mapping) is a pure function above it, tested
with python3's unittest (test/etl/python/), because PySpark is not installable where the tests run.
"""

import math
import re
import sys

MIB = 1024 * 1024
FORMATS = ("csv", "json")
MODES = ("convert", "repartition")
# Glue writes at most this many files per task without complaint; more files than this per run is
# almost always a mistake (tiny files defeat the purpose of splitting).
MAX_FILE_COUNT = 100000

# Raw CSV is read as strings; these are the types a column may be cast to.
SPARK_TYPES = {
    "string": "string",
    "str": "string",
    "int": "int",
    "integer": "int",
    "bigint": "bigint",
    "long": "bigint",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
DECIMAL = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")

# Hive escapes these characters in partition values (FileUtils.escapePathName), so do we.
_HIVE_ESCAPE = set('"#%\'*/:=?\\\x7f{[]^')


class EtlArgumentError(ValueError):
    """A job argument that is missing or wrong; the message names it."""


def parse_args(argv):
    """Reads ``--key value`` and ``--key=value`` pairs (as Glue passes them) into a dict.

    Glue adds its own arguments (``--JOB_NAME``, ``--job-bookmark-option``...): they are kept too.
    """
    args = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("--"):
            i += 1
            continue
        key = token[2:]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            value = argv[i + 1]
            i += 2
        else:
            value = "true"
            i += 1
        args[key] = value
    return args


def job_options(args):
    """Validates the job's own arguments and returns them typed.

    Required: ``input_path``, ``output_path`` (s3:// URIs). Optional: ``mode`` (convert), ``input_format``
    (csv), ``partition_keys`` (comma-separated), ``static_partition`` (``k=v/k2=v2``), ``column_types``
    (``col:type,col2:type``), ``file_count`` or ``target_file_mib``, ``input_bytes``.
    """
    for required in ("input_path", "output_path"):
        value = args.get(required)
        if not value or not value.startswith("s3://"):
            raise EtlArgumentError(f"--{required} must be an s3:// URI, got {value!r}")
    mode = args.get("mode", "convert")
    if mode not in MODES:
        raise EtlArgumentError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    fmt = args.get("input_format", "csv")
    if fmt not in FORMATS:
        raise EtlArgumentError(f"--input_format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    keys = [k.strip() for k in args.get("partition_keys", "").split(",") if k.strip()]
    options = {
        "mode": mode,
        "input_path": args["input_path"],
        "output_path": args["output_path"].rstrip("/") + "/",
        "input_format": fmt,
        "partition_keys": [sanitize_column_name(k) for k in keys],
        "static_partition": parse_static_partition(args.get("static_partition", "")),
        "column_types": parse_column_types(args.get("column_types", "")),
        "file_count": _optional_int(args, "file_count", 1, MAX_FILE_COUNT),
        "target_file_mib": _optional_int(args, "target_file_mib", 1, 5 * 1024),
        "input_bytes": _optional_int(args, "input_bytes", 0, None),
    }
    if mode == "repartition" and options["file_count"] is None and options["target_file_mib"] is None:
        raise EtlArgumentError("--mode repartition needs --file_count or --target_file_mib")
    return options


def _optional_int(args, key, minimum, maximum):
    if key not in args or args[key] == "":
        return None
    try:
        value = int(args[key])
    except ValueError:
        raise EtlArgumentError(f"--{key} must be an integer, got {args[key]!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" to {maximum}" if maximum is not None else " or more"
        raise EtlArgumentError(f"--{key} must be from {minimum}{upper}, got {value}")
    return value


def sanitize_column_name(name):
    """A column name that Athena, Glue and Parquet all accept: lower case, letters, digits and ``_``.

    ``"Order ID"`` -> ``order_id``; ``"2nd-Value"`` -> ``_2nd_value``; an empty name -> ``_col``.
    """
    cleaned = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    if not cleaned:
        return "_col"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned


def map_schema(columns, column_types=None):
    """Maps source column names to (source, target name, Spark type), target names unique.

    Columns are strings unless ``column_types`` (target name -> type) says otherwise. Two source
    names that clean to the same target get ``_2``, ``_3``... suffixes, in source order.
    """
    column_types = column_types or {}
    used = set()
    mapping = []
    for source in columns:
        base = sanitize_column_name(source)
        target, n = base, 1
        while target in used:
            n += 1
            target = f"{base}_{n}"
        used.add(target)
        mapping.append((source, target, column_types.get(target, "string")))
    unknown = sorted(set(column_types) - {t for _, t, _ in mapping})
    if unknown:
        raise EtlArgumentError(f"--column_types names columns the input does not have: {', '.join(unknown)}")
    return mapping


def parse_column_types(text):
    """``"price:double, qty:int"`` -> ``{"price": "double", "qty": "int"}`` (names sanitized, types checked)."""
    types = {}
    # Commas inside decimal(p,s) do not separate entries.
    for item in [i.strip() for i in re.split(r",(?![^()]*\))", text) if i.strip()]:
        if ":" not in item:
            raise EtlArgumentError(f"--column_types entries must be column:type, got {item!r}")
        name, kind = (p.strip() for p in item.split(":", 1))
        types[sanitize_column_name(name)] = spark_type(kind)
    return types


def spark_type(kind):
    """The Spark SQL type for a type name, or an error naming the ones accepted."""
    k = kind.strip().lower().replace(" ", "")
    if k in SPARK_TYPES:
        return SPARK_TYPES[k]
    m = DECIMAL.match(k)
    if m and int(m.group(2)) <= int(m.group(1)) and 1 <= int(m.group(1)) <= 38:
        return k
    raise EtlArgumentError(
        f"type must be one of {', '.join(sorted(set(SPARK_TYPES.values())))} or decimal(p,s), got {kind!r}"
    )


def escape_partition_value(value):
    """Escapes a partition value as Hive does, so that ``a/b`` stays one folder: ``a%2Fb``."""
    text = str(value)
    if text == "":
        return "__HIVE_DEFAULT_PARTITION__"
    return "".join(f"%{ord(c):02X}" if c in _HIVE_ESCAPE or ord(c) < 0x20 else c for c in text)


def partition_path(base, partitions):
    """``partition_path("s3://b/curated/", [("dt", "2024-05-01")])`` -> ``s3://b/curated/dt=2024-05-01/``."""
    path = base.rstrip("/") + "/"
    for key, value in partitions:
        path += f"{sanitize_column_name(key)}={escape_partition_value(value)}/"
    return path


def parse_static_partition(text):
    """``"dt=2024-05-01/source=web"`` -> ``[("dt", "2024-05-01"), ("source", "web")]``."""
    parts = []
    for segment in [s for s in text.strip("/").split("/") if s]:
        if "=" not in segment:
            raise EtlArgumentError(f"--static_partition segments must be key=value, got {segment!r}")
        key, value = segment.split("=", 1)
        if not key.strip():
            raise EtlArgumentError(f"--static_partition segments need a key, got {segment!r}")
        parts.append((key.strip(), value))
    return parts


def file_count(total_bytes, target_file_bytes, maximum=MAX_FILE_COUNT):
    """How many files of about ``target_file_bytes`` hold ``total_bytes``: at least 1, at most ``maximum``."""
    if target_file_bytes <= 0:
        raise EtlArgumentError(f"target file size must be positive, got {target_file_bytes}")
    if total_bytes <= 0:
        return 1
    return max(1, min(maximum, math.ceil(total_bytes / target_file_bytes)))


def even_split(total_records, files):
    """Records per file when ``total_records`` are split into ``files`` files: sizes differ by at most 1."""
    if files < 1:
        raise EtlArgumentError(f"file count must be at least 1, got {files}")
    base, extra = divmod(total_records, files)
    return [base + 1 if i < extra else base for i in range(files)]


def output_file_count(options):
    """The file count of a repartition run: ``--file_count``, else sized from the input and the target size."""
    if options["file_count"] is not None:
        return options["file_count"]
    return file_count(options["input_bytes"] or 0, options["target_file_mib"] * MIB)


def main(argv):  # pragma: no cover - needs Glue's Spark runtime
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F

    args = parse_args(argv)
    options = job_options(args)
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(args.get("JOB_NAME", "spark-etl"), args)

    format_options = {"withHeader": True} if options["input_format"] == "csv" else {"multiline": False}
    # A dynamic frame with a transformation context, so that job bookmarks skip files already processed.
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [options["input_path"]], "recurse": True},
        format=options["input_format"],
        format_options=format_options,
        transformation_ctx="read_input",
    )
    df = frame.toDF()
    if df.rdd.isEmpty():
        job.commit()
        return

    if options["mode"] == "convert":
        mapping = map_schema(df.columns, options["column_types"])
        df = df.select([F.col(f"`{src}`").cast(kind).alias(dst) for src, dst, kind in mapping])
        target = partition_path(options["output_path"], options["static_partition"])
        writer = df.write.mode("append")
        if options["partition_keys"]:
            writer = writer.partitionBy(*options["partition_keys"])
        writer.parquet(target)
    else:
        if options["file_count"] is None and not options["input_bytes"]:
            path = spark._jvm.org.apache.hadoop.fs.Path(options["input_path"])
            fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
            options["input_bytes"] = fs.getContentSummary(path).getLength()
        count = output_file_count(options)
        target = partition_path(options["output_path"], options["static_partition"])
        # repartition() shuffles rows round-robin: the files differ by at most one row (see even_split).
        df.repartition(count).write.mode("overwrite").parquet(target)
    job.commit()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
