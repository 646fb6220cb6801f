"""Pure helpers of the cdk-ml-at-scale starter notebooks.

Everything here runs on the Python standard library alone: the notebook instance has no internet, so
nothing is installed from PyPI. The functions build SQL, run it through an Athena client that the caller
passes in (boto3's, or a fake in tests), and compute the statistics the notebooks show.
"""

import json
import math
import re
import time

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


def quote_identifier(name):
    """Quotes a Glue/Athena identifier for SQL, rejecting anything but letters, digits and underscores."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError("not a plain identifier: %r" % (name,))
    return '"%s"' % name.lower()


def table_ref(database, table):
    """`"database"."table"` for a query."""
    return "%s.%s" % (quote_identifier(database), quote_identifier(table))


def row_count_sql(database, table, where=None):
    """The number of rows of a table, optionally under a filter written by the caller."""
    sql = "SELECT COUNT(*) AS row_count FROM %s" % table_ref(database, table)
    return sql + (" WHERE %s" % where if where else "")


def null_counts_sql(database, table, columns):
    """One row: the total, then the number of nulls of each column (`<column>_nulls`)."""
    if not columns:
        raise ValueError("columns must not be empty")
    parts = ["COUNT(*) AS row_count"]
    for column in columns:
        q = quote_identifier(column)
        parts.append("COUNT(*) - COUNT(%s) AS %s" % (q, quote_identifier(column + "_nulls")))
    return "SELECT %s FROM %s" % (", ".join(parts), table_ref(database, table))


def distribution_sql(database, table, column, split_column=None, limit=50):
    """Counts of each value of a (categorical) column, per split when `split_column` is given."""
    q = quote_identifier(column)
    if split_column is None:
        return "SELECT %s AS value, COUNT(*) AS n FROM %s GROUP BY 1 ORDER BY n DESC LIMIT %d" % (
            q, table_ref(database, table), int(limit))
    s = quote_identifier(split_column)
    return "SELECT %s AS split, %s AS value, COUNT(*) AS n FROM %s GROUP BY 1, 2 ORDER BY 1, n DESC" % (
        s, q, table_ref(database, table))


def numeric_summary_sql(database, table, column):
    """Minimum, maximum, mean, standard deviation and quartiles (approximate) of a numeric column."""
    q = quote_identifier(column)
    return (
        "SELECT MIN(%s) AS min, MAX(%s) AS max, AVG(%s) AS mean, STDDEV_SAMP(%s) AS stddev, "
        "APPROX_PERCENTILE(%s, ARRAY[0.25, 0.5, 0.75]) AS quartiles FROM %s"
        % (q, q, q, q, q, table_ref(database, table))
    )


def run_query(client, sql, workgroup, database, poll_seconds=1.0, timeout_seconds=600.0, sleep=time.sleep):
    """Runs `sql` in an Athena workgroup and returns its rows as dicts of strings (None for nulls).

    `client` is a boto3 Athena client, or anything with the same three methods.
    """
    started = client.start_query_execution(
        QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database})
    query_id = started["QueryExecutionId"]
    waited = 0.0
    while True:
        status = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            raise RuntimeError("query %s %s: %s" % (query_id, state, status.get("StateChangeReason", "")))
        if waited >= timeout_seconds:
            raise TimeoutError("query %s still %s after %ss" % (query_id, state, timeout_seconds))
        sleep(poll_seconds)
        waited += poll_seconds
    rows, header, token = [], None, None
    while True:
        kwargs = {"QueryExecutionId": query_id}
        if token:
            kwargs["NextToken"] = token
        page = client.get_query_results(**kwargs)
        for row in page["ResultSet"]["Rows"]:
            values = [cell.get("VarCharValue") for cell in row["Data"]]
            if header is None:
                header = values
                continue
            rows.append(dict(zip(header, values)))
        token = page.get("NextToken")
        if not token:
            return rows


def null_fractions(null_row):
    """From the row of `null_counts_sql`: {column: fraction of nulls}, sorted from worst to best."""
    total = int(null_row["row_count"])
    out = {}
    for key, value in null_row.items():
        if key.endswith("_nulls"):
            out[key[: -len("_nulls")]] = (int(value) / total) if total else 0.0
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def proportions(counts):
    """{value: count} -> {value: share of the total}."""
    total = sum(counts.values())
    if total <= 0:
        return {k: 0.0 for k in counts}
    return {k: v / total for k, v in counts.items()}


def population_stability_index(expected_counts, actual_counts, epsilon=1e-4):
    """PSI of a split's distribution (`actual`) against the whole (`expected`), over the union of values.

    Under 0.1 the split represents the whole; 0.1 to 0.25 is a moderate shift; above 0.25 a major one.
    """
    expected = proportions(expected_counts)
    actual = proportions(actual_counts)
    psi = 0.0
    for value in set(expected) | set(actual):
        e = max(expected.get(value, 0.0), epsilon)
        a = max(actual.get(value, 0.0), epsilon)
        psi += (a - e) * math.log(a / e)
    return psi


def total_variation_distance(expected_counts, actual_counts):
    """Half the L1 distance between two distributions: 0 identical, 1 disjoint."""
    expected = proportions(expected_counts)
    actual = proportions(actual_counts)
    return 0.5 * sum(abs(expected.get(v, 0.0) - actual.get(v, 0.0)) for v in set(expected) | set(actual))


def split_counts(rows, split_key="split", value_key="value", count_key="n"):
    """Rows of `distribution_sql(..., split_column=...)` -> {split: {value: count}}."""
    out = {}
    for row in rows:
        out.setdefault(row[split_key], {})[row[value_key]] = int(row[count_key])
    return out


def representativeness(per_split, split, threshold=0.1):
    """Whether one split (e.g. 'train') represents the whole table, by PSI against all splits together.

    Returns {'psi', 'tvd', 'representative', 'missing_values'}: values of the whole that the split lacks.
    """
    if split not in per_split:
        raise KeyError("no split %r among %s" % (split, sorted(per_split)))
    whole = {}
    for counts in per_split.values():
        for value, n in counts.items():
            whole[value] = whole.get(value, 0) + n
    part = per_split[split]
    psi = population_stability_index(whole, part)
    return {
        "psi": psi,
        "tvd": total_variation_distance(whole, part),
        "representative": psi < threshold,
        "missing_values": sorted(v for v in whole if v not in part),
    }


def text_bar(share, width=40):
    """A bar of `#` for a share from 0 to 1, for output without matplotlib."""
    share = min(max(share, 0.0), 1.0)
    return "#" * int(round(share * width))


# --- sharder manifests -------------------------------------------------------------------------------


def parse_s3_uri(uri):
    """`s3://bucket/key` -> (bucket, key)."""
    match = re.match(r"^s3://([^/]+)/(.+)$", uri or "")
    if not match:
        raise ValueError("not an s3://bucket/key URI: %r" % (uri,))
    return match.group(1), match.group(2)


def load_manifest(text):
    """Parses a DatasetSharder manifest (version 1) and checks the fields the notebook reads."""
    manifest = json.loads(text)
    if manifest.get("v") != 1:
        raise ValueError("unsupported manifest version: %r" % (manifest.get("v"),))
    for field in ("runId", "bucket", "shards", "sources", "shardCount", "recordCount", "bytes"):
        if field not in manifest:
            raise ValueError("manifest lacks %r" % field)
    return manifest


def shard_rows(manifest):
    """One row per shard: key, bytes, records, bytes per record and the source object's key."""
    sources = manifest["sources"]
    rows = []
    for shard in manifest["shards"]:
        source = sources[shard["sourceIndex"]] if 0 <= shard["sourceIndex"] < len(sources) else {}
        records = shard["records"]
        rows.append({
            "key": shard["key"],
            "bytes": shard["bytes"],
            "records": records,
            "bytes_per_record": (shard["bytes"] - shard.get("headerBytes", 0)) / records if records else None,
            "source": source.get("key"),
        })
    return rows


def percentile(values, q):
    """The q-th percentile (0-100) of values, by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = int(math.floor(pos)), int(math.ceil(pos))
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize(values):
    """count, min, p50, p95, max and mean of a list of numbers."""
    return {
        "count": len(values),
        "min": min(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


def manifest_problems(manifest, target_tolerance=0.5):
    """What is wrong or worth a look in a manifest: totals that disagree with the shards, and shards far
    from the target size (smaller than (1 - tolerance) or larger than (1 + tolerance) times the target),
    the last shard of each source excepted."""
    problems = []
    shards = manifest["shards"]
    if len(shards) != manifest["shardCount"]:
        problems.append("shardCount is %d but %d shards are listed" % (manifest["shardCount"], len(shards)))
    records = sum(s["records"] for s in shards)
    if records != manifest["recordCount"]:
        problems.append("recordCount is %d but the shards hold %d records" % (manifest["recordCount"], records))
    size = sum(s["bytes"] for s in shards)
    if size != manifest["bytes"]:
        problems.append("bytes is %d but the shards hold %d bytes" % (manifest["bytes"], size))
    target = manifest.get("targetShardBytes")
    if target:
        last_of_source = {}
        for i, shard in enumerate(shards):
            last_of_source[shard["sourceIndex"]] = i
        ends = set(last_of_source.values())
        for i, shard in enumerate(shards):
            if i in ends:
                continue
            ratio = shard["bytes"] / target
            if ratio < 1 - target_tolerance or ratio > 1 + target_tolerance:
                problems.append("%s is %s, %.0f%% of the target" % (shard["key"], format_bytes(shard["bytes"]), 100 * ratio))
    return problems


def format_bytes(n):
    """1536 -> '1.5 KiB'."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024.0
    return "%d B" % n
