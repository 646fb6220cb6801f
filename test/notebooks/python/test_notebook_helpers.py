"""unittest for assets/notebooks/mlscale_notebook_helpers.py (run by test/notebooks/starter-notebooks.test.ts)."""

import json
import unittest

import mlscale_notebook_helpers as h


class FakeAthena:
    """Answers like boto3's Athena client: RUNNING once, then SUCCEEDED, results in two pages."""

    def __init__(self, final_state="SUCCEEDED"):
        self.final_state = final_state
        self.calls = []
        self.polls = 0

    def start_query_execution(self, **kwargs):
        self.calls.append(("start", kwargs))
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId):
        self.polls += 1
        state = "RUNNING" if self.polls == 1 else self.final_state
        return {"QueryExecution": {"Status": {"State": state, "StateChangeReason": "boom"}}}

    def get_query_results(self, QueryExecutionId, NextToken=None):
        row = lambda *v: {"Data": [{"VarCharValue": x} if x is not None else {} for x in v]}
        if NextToken is None:
            return {"ResultSet": {"Rows": [row("split", "n"), row("train", "8")]}, "NextToken": "t2"}
        return {"ResultSet": {"Rows": [row("test", None)]}}


class SqlTest(unittest.TestCase):
    def test_quotes_plain_identifiers_and_rejects_others(self):
        self.assertEqual(h.table_ref("Curated", "events"), '"curated"."events"')
        for bad in ("a;drop", "1abc", "", "a b", 'x"'):
            with self.assertRaises(ValueError):
                h.quote_identifier(bad)

    def test_null_counts_sql_counts_each_column(self):
        sql = h.null_counts_sql("db", "t", ["a", "b"])
        self.assertEqual(sql, 'SELECT COUNT(*) AS row_count, COUNT(*) - COUNT("a") AS "a_nulls", '
                              'COUNT(*) - COUNT("b") AS "b_nulls" FROM "db"."t"')
        with self.assertRaises(ValueError):
            h.null_counts_sql("db", "t", [])

    def test_distribution_sql_groups_by_split_when_given(self):
        self.assertIn('GROUP BY 1, 2', h.distribution_sql("db", "t", "label", split_column="split"))
        self.assertIn('LIMIT 10', h.distribution_sql("db", "t", "label", limit=10))


class RunQueryTest(unittest.TestCase):
    def test_polls_until_done_and_reads_every_page(self):
        client, slept = FakeAthena(), []
        rows = h.run_query(client, "SELECT 1", "wg", "db", sleep=slept.append)
        self.assertEqual(rows, [{"split": "train", "n": "8"}, {"split": "test", "n": None}])
        self.assertEqual(client.calls[0][1]["WorkGroup"], "wg")
        self.assertEqual(client.calls[0][1]["QueryExecutionContext"], {"Database": "db"})
        self.assertEqual(slept, [1.0])

    def test_raises_when_the_query_fails(self):
        with self.assertRaisesRegex(RuntimeError, "FAILED: boom"):
            h.run_query(FakeAthena("FAILED"), "SELECT 1", "wg", "db", sleep=lambda s: None)

    def test_times_out(self):
        with self.assertRaises(TimeoutError):
            h.run_query(FakeAthena("RUNNING"), "SELECT 1", "wg", "db", poll_seconds=1, timeout_seconds=3, sleep=lambda s: None)


class StatisticsTest(unittest.TestCase):
    def test_null_fractions_worst_first(self):
        self.assertEqual(h.null_fractions({"row_count": "10", "a_nulls": "1", "b_nulls": "5"}), {"b": 0.5, "a": 0.1})
        self.assertEqual(h.null_fractions({"row_count": "0", "a_nulls": "0"}), {"a": 0.0})

    def test_psi_is_zero_for_equal_distributions_and_grows_with_shift(self):
        self.assertAlmostEqual(h.population_stability_index({"a": 10, "b": 10}, {"a": 1, "b": 1}), 0.0)
        small = h.population_stability_index({"a": 50, "b": 50}, {"a": 55, "b": 45})
        large = h.population_stability_index({"a": 50, "b": 50}, {"a": 90, "b": 10})
        self.assertLess(small, 0.1)
        self.assertGreater(large, 0.25)

    def test_total_variation_distance(self):
        self.assertAlmostEqual(h.total_variation_distance({"a": 1}, {"b": 1}), 1.0)
        self.assertAlmostEqual(h.total_variation_distance({"a": 1, "b": 1}, {"a": 3, "b": 1}), 0.25)

    def test_representativeness_of_a_split(self):
        per_split = h.split_counts([
            {"split": "train", "value": "cat", "n": "80"}, {"split": "train", "value": "dog", "n": "20"},
            {"split": "test", "value": "cat", "n": "10"}, {"split": "test", "value": "dog", "n": "5"},
            {"split": "test", "value": "eel", "n": "5"},
        ])
        train = h.representativeness(per_split, "train")
        self.assertEqual(train["missing_values"], ["eel"])
        self.assertFalse(train["representative"])
        balanced = h.representativeness({"train": {"x": 80, "y": 20}, "test": {"x": 8, "y": 2}}, "train")
        self.assertTrue(balanced["representative"])
        with self.assertRaises(KeyError):
            h.representativeness(per_split, "validation")

    def test_text_bar(self):
        self.assertEqual(h.text_bar(0.5, width=10), "#####")
        self.assertEqual(h.text_bar(2, width=4), "####")


MANIFEST = {
    "v": 1, "runId": "r1", "bucket": "curated", "format": {"type": "newline"}, "targetShardBytes": 100,
    "sources": [{"bucket": "raw", "key": "a.csv", "etag": '"e"', "size": 250, "headerBytes": 10},
                {"bucket": "raw", "key": "b.csv", "etag": '"f"', "size": 20, "headerBytes": 0}],
    "shards": [
        {"key": "s/0", "bytes": 110, "records": 10, "sha256": "x", "headerBytes": 10, "sourceIndex": 0, "sourceStart": 10, "sourceEnd": 110},
        {"key": "s/1", "bytes": 30, "records": 3, "sha256": "y", "headerBytes": 10, "sourceIndex": 0, "sourceStart": 110, "sourceEnd": 130},
        {"key": "s/2", "bytes": 20, "records": 2, "sha256": "z", "headerBytes": 0, "sourceIndex": 1, "sourceStart": 0, "sourceEnd": 20},
    ],
    "shardCount": 3, "recordCount": 15, "bytes": 160,
}


class ManifestTest(unittest.TestCase):
    def test_parses_s3_uris(self):
        self.assertEqual(h.parse_s3_uri("s3://b/k/m.json"), ("b", "k/m.json"))
        with self.assertRaises(ValueError):
            h.parse_s3_uri("https://b/k")

    def test_loads_version_1_only(self):
        self.assertEqual(h.load_manifest(json.dumps(MANIFEST))["runId"], "r1")
        with self.assertRaisesRegex(ValueError, "version"):
            h.load_manifest(json.dumps(dict(MANIFEST, v=2)))
        with self.assertRaisesRegex(ValueError, "shards"):
            h.load_manifest(json.dumps({k: v for k, v in MANIFEST.items() if k != "shards"}))

    def test_shard_rows_name_the_source_and_bytes_per_record(self):
        rows = h.shard_rows(MANIFEST)
        self.assertEqual([r["source"] for r in rows], ["a.csv", "a.csv", "b.csv"])
        self.assertEqual(rows[0]["bytes_per_record"], 10.0)

    def test_summarize(self):
        self.assertEqual(h.summarize([1, 2, 3, 4]), {"count": 4, "min": 1, "p50": 2.5, "p95": 3.85, "max": 4, "mean": 2.5})
        self.assertEqual(h.percentile([7], 95), 7)

    def test_a_consistent_manifest_has_no_problem_and_the_last_shard_of_a_source_may_be_small(self):
        self.assertEqual(h.manifest_problems(MANIFEST), [])

    def test_reports_totals_that_disagree_and_shards_far_from_the_target(self):
        bad = dict(MANIFEST, recordCount=99, bytes=1, shardCount=4)
        bad["shards"] = [dict(MANIFEST["shards"][0], bytes=400)] + MANIFEST["shards"][1:]
        problems = h.manifest_problems(bad)
        self.assertEqual(len(problems), 4)
        self.assertIn("s/0 is 400 B, 400% of the target", problems)

    def test_format_bytes(self):
        self.assertEqual(h.format_bytes(512), "512 B")
        self.assertEqual(h.format_bytes(1536), "1.5 KiB")
        self.assertEqual(h.format_bytes(3 * 1024 ** 3), "3.0 GiB")


if __name__ == "__main__":
    unittest.main()
