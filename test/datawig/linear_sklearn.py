"""The scikit-learn peer of the linear family (issue 12): HashingVectorizer word 1-2-grams and
SGDClassifier(loss='log_loss'), scikit-learn's defaults otherwise.

Usage: linear_sklearn.py INPUT.json OUTPUT.json
INPUT:  {"seed": int, "train": {"text": [...], "label": [...]}, "evaluate": {"text": [...]}}
OUTPUT: {"fit_seconds": float, "predictions": [...]}  (fit_seconds: vectorizing + fitting the training rows)
"""
import json
import sys
import time

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier


def main(input_path: str, output_path: str) -> None:
    with open(input_path, encoding="utf-8") as f:
        data = json.load(f)
    vectorizer = HashingVectorizer(ngram_range=(1, 2))
    model = SGDClassifier(loss="log_loss", random_state=data["seed"])
    start = time.perf_counter()
    x_train = vectorizer.transform(data["train"]["text"])
    model.fit(x_train, data["train"]["label"])
    fit_seconds = time.perf_counter() - start
    predictions = model.predict(vectorizer.transform(data["evaluate"]["text"])).tolist()
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump({"fit_seconds": fit_seconds, "predictions": predictions}, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: linear_sklearn.py INPUT.json OUTPUT.json")
    main(sys.argv[1], sys.argv[2])
