"""scikit-learn's HistGradientBoosting on data sets written by the gbdt test and benchmark.

Usage: python3 gbdt_sklearn.py DIR [DIR ...]
Each DIR holds meta.json ({"task": "regression" | "classification", "nTrain", "nTest", "nFeatures",
"categorical": [bool], "params": {sklearn keyword arguments}}) and float64 little-endian files
X_train.f64 / X_test.f64 (column-major, NaN = missing), y_train.f64 / y_test.f64.
Prints one JSON list, one entry per DIR: fit seconds (wall and CPU), iterations and test metrics.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def load(directory, name, rows, cols=None):
    values = np.fromfile(os.path.join(directory, name), dtype="<f8")
    return values if cols is None else values.reshape(cols, rows).T.copy()


def run(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    n_features = meta["nFeatures"]
    x_train = load(directory, "X_train.f64", meta["nTrain"], n_features)
    x_test = load(directory, "X_test.f64", meta["nTest"], n_features)
    y_train = load(directory, "y_train.f64", meta["nTrain"])
    y_test = load(directory, "y_test.f64", meta["nTest"])
    categorical = np.array(meta["categorical"], dtype=bool)
    params = dict(meta["params"])
    if categorical.any():
        params["categorical_features"] = categorical
    classification = meta["task"] == "classification"
    model = HistGradientBoostingClassifier(**params) if classification else HistGradientBoostingRegressor(**params)
    if classification:
        y_train = y_train.astype(np.int64)
        y_test = y_test.astype(np.int64)
    start = time.perf_counter()
    start_cpu = time.process_time()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    # CPU seconds of all threads: less sensitive than wall time to other load on the machine
    out = {"fitSeconds": fit_seconds, "fitCpuSeconds": time.process_time() - start_cpu, "nIter": int(model.n_iter_)}
    if classification:
        proba = model.predict_proba(x_test)
        index = np.searchsorted(model.classes_, y_test)
        out["accuracy"] = float(np.mean(model.classes_[np.argmax(proba, axis=1)] == y_test))
        out["logLoss"] = float(-np.mean(np.log(np.clip(proba[np.arange(len(y_test)), index], 1e-15, 1))))
    else:
        pred = model.predict(x_test)
        out["nmse"] = float(np.mean((pred - y_test) ** 2) / np.var(y_test))
    return out


if __name__ == "__main__":
    print(json.dumps([run(d) for d in sys.argv[1:]]))
