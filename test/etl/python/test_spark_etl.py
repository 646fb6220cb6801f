"""Unit tests of the pure logic of assets/glue/spark_etl.py (run by test/etl/python-assets.test.ts)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "assets", "glue"))

import spark_etl as etl  # noqa: E402


class ParseArgsTest(unittest.TestCase):
    def test_reads_pairs_in_both_forms_and_keeps_glue_arguments(self):
        args = etl.parse_args(["--JOB_NAME", "j", "--input_path=s3://b/raw/", "--job-bookmark-option", "job-bookmark-enable", "--flag"])
        self.assertEqual(args, {"JOB_NAME": "j", "input_path": "s3://b/raw/", "job-bookmark-option": "job-bookmark-enable", "flag": "true"})

    def test_keeps_equals_signs_in_values(self):
        self.assertEqual(etl.parse_args(["--static_partition=dt=2024-05-01"]), {"static_partition": "dt=2024-05-01"})


class JobOptionsTest(unittest.TestCase):
    base = {"input_path": "s3://raw/incoming/", "output_path": "s3://curated/datasets/events"}

    def test_defaults_to_csv_conversion_and_normalizes_the_output(self):
        o = etl.job_options(dict(self.base))
        self.assertEqual((o["mode"], o["input_format"], o["output_path"]), ("convert", "csv", "s3://curated/datasets/events/"))
        self.assertEqual(o["partition_keys"], [])

    def test_sanitizes_partition_keys(self):
        o = etl.job_options(dict(self.base, partition_keys="Event Date, country"))
        self.assertEqual(o["partition_keys"], ["event_date", "country"])

    def test_rejects_a_path_that_is_not_s3(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, r"--input_path must be an s3:// URI, got '/tmp/x'"):
            etl.job_options(dict(self.base, input_path="/tmp/x"))

    def test_rejects_an_unknown_mode_and_format(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, "--mode must be one of convert, repartition"):
            etl.job_options(dict(self.base, mode="copy"))
        with self.assertRaisesRegex(etl.EtlArgumentError, "--input_format must be one of csv, json, got 'xml'"):
            etl.job_options(dict(self.base, input_format="xml"))

    def test_repartition_needs_a_count_or_a_size(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, "needs --file_count or --target_file_mib"):
            etl.job_options(dict(self.base, mode="repartition"))

    def test_rejects_counts_out_of_range(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, "--file_count must be from 1 to 100000, got 0"):
            etl.job_options(dict(self.base, mode="repartition", file_count="0"))
        with self.assertRaisesRegex(etl.EtlArgumentError, "--target_file_mib must be an integer, got 'big'"):
            etl.job_options(dict(self.base, mode="repartition", target_file_mib="big"))


class ColumnNamesTest(unittest.TestCase):
    def test_cleans_names_for_athena_and_parquet(self):
        self.assertEqual(etl.sanitize_column_name(" Order ID "), "order_id")
        self.assertEqual(etl.sanitize_column_name("2nd-Value"), "_2nd_value")
        self.assertEqual(etl.sanitize_column_name("price (EUR)"), "price_eur")
        self.assertEqual(etl.sanitize_column_name("***"), "_col")


class SchemaMappingTest(unittest.TestCase):
    def test_maps_columns_to_strings_unless_typed(self):
        mapping = etl.map_schema(["Id", "Price", "When"], {"price": "double", "when": "timestamp"})
        self.assertEqual(mapping, [("Id", "id", "string"), ("Price", "price", "double"), ("When", "when", "timestamp")])

    def test_makes_clashing_names_unique_in_source_order(self):
        mapping = etl.map_schema(["a b", "a-b", "A_B", "a_b_2"])
        self.assertEqual([t for _, t, _ in mapping], ["a_b", "a_b_2", "a_b_3", "a_b_2_2"])

    def test_rejects_types_for_columns_the_input_lacks(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, "does not have: qty"):
            etl.map_schema(["price"], {"qty": "int"})

    def test_parses_column_types(self):
        self.assertEqual(etl.parse_column_types("Price:double, qty : INT, amount:decimal(10, 2)"), {"price": "double", "qty": "int", "amount": "decimal(10,2)"})

    def test_rejects_unknown_types_and_bad_decimals(self):
        with self.assertRaisesRegex(etl.EtlArgumentError, "or decimal\\(p,s\\), got 'varchar'"):
            etl.parse_column_types("a:varchar")
        with self.assertRaises(etl.EtlArgumentError):
            etl.spark_type("decimal(2,5)")
        with self.assertRaisesRegex(etl.EtlArgumentError, "entries must be column:type"):
            etl.parse_column_types("price")


class PartitionNamingTest(unittest.TestCase):
    def test_names_hive_style_folders(self):
        self.assertEqual(etl.partition_path("s3://b/curated", [("dt", "2024-05-01"), ("Source", "web")]), "s3://b/curated/dt=2024-05-01/source=web/")

    def test_escapes_values_as_hive_does(self):
        self.assertEqual(etl.escape_partition_value("a/b=c"), "a%2Fb%3Dc")
        self.assertEqual(etl.escape_partition_value("50%"), "50%25")
        self.assertEqual(etl.escape_partition_value(""), "__HIVE_DEFAULT_PARTITION__")
        self.assertEqual(etl.escape_partition_value("tab\there"), "tab%09here")

    def test_without_partitions_is_the_base(self):
        self.assertEqual(etl.partition_path("s3://b/x/", []), "s3://b/x/")

    def test_parses_a_static_partition(self):
        self.assertEqual(etl.parse_static_partition("dt=2024-05-01/src=a=b"), [("dt", "2024-05-01"), ("src", "a=b")])
        with self.assertRaisesRegex(etl.EtlArgumentError, "must be key=value, got 'dt'"):
            etl.parse_static_partition("dt")
        with self.assertRaisesRegex(etl.EtlArgumentError, "need a key"):
            etl.parse_static_partition("=x")


class FileCountTest(unittest.TestCase):
    def test_rounds_up_to_whole_files(self):
        self.assertEqual(etl.file_count(10 * etl.MIB, 4 * etl.MIB), 3)
        self.assertEqual(etl.file_count(8 * etl.MIB, 4 * etl.MIB), 2)

    def test_has_at_least_one_file_and_at_most_the_maximum(self):
        self.assertEqual(etl.file_count(0, etl.MIB), 1)
        self.assertEqual(etl.file_count(10**15, 1, maximum=500), 500)

    def test_rejects_a_target_of_zero(self):
        with self.assertRaises(etl.EtlArgumentError):
            etl.file_count(1, 0)

    def test_splits_records_evenly(self):
        split = etl.even_split(10, 3)
        self.assertEqual(split, [4, 3, 3])
        self.assertEqual(sum(etl.even_split(1000003, 64)), 1000003)
        self.assertLessEqual(max(etl.even_split(1000003, 64)) - min(etl.even_split(1000003, 64)), 1)
        self.assertEqual(etl.even_split(2, 4), [1, 1, 0, 0])
        with self.assertRaises(etl.EtlArgumentError):
            etl.even_split(5, 0)

    def test_sizes_a_repartition_run_from_the_count_or_the_input(self):
        opts = etl.job_options({"input_path": "s3://a/", "output_path": "s3://b/", "mode": "repartition", "target_file_mib": "128", "input_bytes": str(1000 * etl.MIB)})
        self.assertEqual(etl.output_file_count(opts), 8)
        opts = etl.job_options({"input_path": "s3://a/", "output_path": "s3://b/", "mode": "repartition", "file_count": "16", "target_file_mib": "128"})
        self.assertEqual(etl.output_file_count(opts), 16)


if __name__ == "__main__":
    unittest.main()
