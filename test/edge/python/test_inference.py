"""Unit tests of the reference inference runner (assets/edge/inference/inference.py), standard library only."""
import io
import json
import os
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "assets", "edge", "inference"))
import inference  # noqa: E402

LINEAR = {"type": "linear", "weights": [2.0, -1.0], "bias": 0.5}
LOGISTIC = {"type": "logistic", "weights": [1.0], "bias": 0.0, "labels": ["no", "yes"], "threshold": 0.5}


class ParseModelTest(unittest.TestCase):
    def test_normalizes_a_linear_model(self):
        self.assertEqual(inference.parse_model({"type": "linear", "weights": [1, 2]}), {"type": "linear", "weights": [1.0, 2.0], "bias": 0.0})

    def test_defaults_the_labels_and_threshold_of_a_logistic_model(self):
        model = inference.parse_model({"type": "logistic", "weights": [1]})
        self.assertEqual(model["labels"], [0, 1])
        self.assertEqual(model["threshold"], 0.5)

    def test_rejects_bad_models_with_the_reason(self):
        cases = [
            ([], "JSON object"),
            ({"type": "tree", "weights": [1]}, "type must be one of linear, logistic"),
            ({"type": "linear", "weights": []}, "weights must be a non-empty list"),
            ({"type": "linear", "weights": [1, "2"]}, "weights must be"),
            ({"type": "linear", "weights": [True]}, "weights must be"),
            ({"type": "linear", "weights": [float("nan")]}, "weights must be"),
            ({"type": "linear", "weights": [1], "bias": "x"}, "bias must be"),
            ({"type": "logistic", "weights": [1], "labels": ["a"]}, "labels must be a list of two"),
            ({"type": "logistic", "weights": [1], "threshold": 1}, "threshold must be"),
        ]
        for document, reason in cases:
            with self.subTest(document=document):
                with self.assertRaisesRegex(inference.ModelError, reason):
                    inference.parse_model(document)


class LoadModelTest(unittest.TestCase):
    def test_reads_a_model_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(LINEAR, handle)
            self.assertEqual(inference.load_model(path)["weights"], [2.0, -1.0])

    def test_names_a_missing_or_broken_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(inference.ModelError, "cannot read"):
                inference.load_model(os.path.join(tmp, "absent.json"))
            path = os.path.join(tmp, "broken.json")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("{not json")
            with self.assertRaisesRegex(inference.ModelError, "is not JSON"):
                inference.load_model(path)


class PredictTest(unittest.TestCase):
    def test_linear_prediction_is_bias_plus_dot_product(self):
        model = inference.parse_model(LINEAR)
        self.assertEqual(inference.predict(model, {"instances": [[1, 1], [0, 0]]}), {"predictions": [1.5, 0.5]})

    def test_logistic_prediction_gives_label_and_probability(self):
        model = inference.parse_model(LOGISTIC)
        out = inference.predict(model, {"instances": [[0], [3], [-800], [800]]})["predictions"]
        self.assertEqual(out[0], {"label": "yes", "probability": 0.5})
        self.assertEqual(out[1]["label"], "yes")
        self.assertAlmostEqual(out[1]["probability"], 0.9525741268, places=9)
        self.assertEqual(out[2], {"label": "no", "probability": 0.0})
        self.assertEqual(out[3], {"label": "yes", "probability": 1.0})

    def test_rejects_bad_requests(self):
        model = inference.parse_model(LINEAR)
        for body, reason in [
            ([], "the body must be"),
            ({"instances": "x"}, "the body must be"),
            ({"instances": [[1]]}, "list of 2 numbers"),
            ({"instances": [[1, "a"]]}, "finite numbers"),
            ({"instances": [[1, 1]] * (inference.MAX_INSTANCES + 1)}, "at most 1000 instances"),
        ]:
            with self.subTest(body=str(body)[:40]):
                with self.assertRaisesRegex(inference.RequestError, reason):
                    inference.predict(model, body)


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), inference.make_handler(inference.parse_model(LINEAR)))
        cls.server.RequestHandlerClass.log_message = lambda *args: None
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.base = "http://127.0.0.1:%d" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def call(self, method, path, body=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def test_health(self):
        self.assertEqual(self.call("GET", "/health"), (200, {"status": "ok", "model": {"type": "linear", "features": 2}}))

    def test_predict(self):
        self.assertEqual(self.call("POST", "/predict", {"instances": [[1, 1]]}), (200, {"predictions": [1.5]}))

    def test_bad_request_and_unknown_path(self):
        status, body = self.call("POST", "/predict", b"{oops")
        self.assertEqual(status, 400)
        self.assertIn("error", body)
        self.assertEqual(self.call("GET", "/nope")[0], 404)


class MainTest(unittest.TestCase):
    def test_check_validates_and_exits(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "good.json")
            bad = os.path.join(tmp, "bad.json")
            with open(good, "w", encoding="utf-8") as handle:
                json.dump(LOGISTIC, handle)
            with open(bad, "w", encoding="utf-8") as handle:
                json.dump({"type": "linear"}, handle)
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                self.assertEqual(inference.main(["--model", good, "--check"]), 0)
                self.assertEqual(inference.main(["--model", bad, "--check"]), 2)
            self.assertIn("model ok: logistic with 1 features", out.getvalue())
            self.assertIn("invalid model: weights must be", err.getvalue())


if __name__ == "__main__":
    unittest.main()
