#!/usr/bin/env python3
"""Reference inference runner of cdk-ml-at-scale's edge components (Greengrass v2).

Loads a model file and serves predictions on the device, over HTTP on loopback by default. Standard
library only, so that a core device needs nothing but python3.

Model file (JSON):
    {"type": "linear" | "logistic", "weights": [w1, ..., wn], "bias": b,
     "labels": ["negative", "positive"], "threshold": 0.5}   # labels and threshold: logistic only, optional

Endpoints:
    GET  /health   -> {"status": "ok", "model": {"type": ..., "features": n}}
    POST /predict  {"instances": [[x1, ..., xn], ...]} -> {"predictions": [...]}

Usage:
    inference.py --model model.json [--host 127.0.0.1] [--port 8080]
    inference.py --model model.json --check      # load and validate only (the Install step)
"""
import argparse
import json
import math
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_TYPES = ("linear", "logistic")
MAX_BODY_BYTES = 1024 * 1024
MAX_INSTANCES = 1000


class ModelError(ValueError):
    """A model file that cannot be served."""


class RequestError(ValueError):
    """A prediction request that cannot be answered."""


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_model(document):
    """Validates a decoded model document and returns it normalized."""
    if not isinstance(document, dict):
        raise ModelError("the model must be a JSON object")
    kind = document.get("type")
    if kind not in MODEL_TYPES:
        raise ModelError("type must be one of %s, got %r" % (", ".join(MODEL_TYPES), kind))
    weights = document.get("weights")
    if not isinstance(weights, list) or not weights or not all(_is_number(w) for w in weights):
        raise ModelError("weights must be a non-empty list of finite numbers")
    bias = document.get("bias", 0.0)
    if not _is_number(bias):
        raise ModelError("bias must be a finite number, got %r" % (bias,))
    model = {"type": kind, "weights": [float(w) for w in weights], "bias": float(bias)}
    if kind == "logistic":
        labels = document.get("labels", [0, 1])
        if not isinstance(labels, list) or len(labels) != 2:
            raise ModelError("labels must be a list of two labels, got %r" % (labels,))
        threshold = document.get("threshold", 0.5)
        if not _is_number(threshold) or not 0 < threshold < 1:
            raise ModelError("threshold must be a number between 0 and 1, got %r" % (threshold,))
        model["labels"] = labels
        model["threshold"] = float(threshold)
    return model


def load_model(path):
    """Reads and validates a model file."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as err:
        raise ModelError("cannot read %s: %s" % (path, err.strerror)) from err
    except json.JSONDecodeError as err:
        raise ModelError("%s is not JSON: %s" % (path, err.msg)) from err
    return parse_model(document)


def _sigmoid(z):
    # Split by sign so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict_one(model, features):
    """The prediction for one instance: a number (linear) or {label, probability} (logistic)."""
    weights = model["weights"]
    if not isinstance(features, list) or len(features) != len(weights):
        raise RequestError("each instance must be a list of %d numbers" % len(weights))
    if not all(_is_number(x) for x in features):
        raise RequestError("instances must hold finite numbers only")
    z = model["bias"] + sum(w * x for w, x in zip(weights, features))
    if model["type"] == "linear":
        return z
    probability = _sigmoid(z)
    label = model["labels"][1] if probability >= model["threshold"] else model["labels"][0]
    return {"label": label, "probability": probability}


def predict(model, request):
    """Answers a decoded /predict request body."""
    if not isinstance(request, dict) or not isinstance(request.get("instances"), list):
        raise RequestError('the body must be {"instances": [[...], ...]}')
    instances = request["instances"]
    if len(instances) > MAX_INSTANCES:
        raise RequestError("at most %d instances per request, got %d" % (MAX_INSTANCES, len(instances)))
    return {"predictions": [predict_one(model, features) for features in instances]}


def make_handler(model):
    """An HTTP handler class that serves `model`."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "cdk-ml-at-scale-inference/1"

        def _send(self, status, body):
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.path != "/health":
                self._send(404, {"error": "not found"})
                return
            self._send(200, {"status": "ok", "model": {"type": model["type"], "features": len(model["weights"])}})

        def do_POST(self):  # noqa: N802
            if self.path != "/predict":
                self._send(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY_BYTES:
                self._send(413 if length > MAX_BODY_BYTES else 400, {"error": "the body must be 1 byte to 1 MiB of JSON"})
                return
            try:
                self._send(200, predict(model, json.loads(self.rfile.read(length))))
            except (RequestError, json.JSONDecodeError) as err:
                self._send(400, {"error": str(err)})

        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a model's predictions on this device.")
    parser.add_argument("--model", required=True, help="path of the model file (JSON)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument("--check", action="store_true", help="load and validate the model, then exit")
    args = parser.parse_args(argv)
    try:
        model = load_model(args.model)
    except ModelError as err:
        sys.stderr.write("invalid model: %s\n" % err)
        return 2
    if args.check:
        sys.stdout.write("model ok: %s with %d features\n" % (model["type"], len(model["weights"])))
        return 0
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model))
    sys.stdout.write("serving %s model on http://%s:%d\n" % (model["type"], args.host, args.port))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
