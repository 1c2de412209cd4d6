"""Save a trained bundle to disk and load it back only if every file matches its recorded hash."""

import hashlib
import hmac
import io
import json
from pathlib import Path

import joblib

from ml.schema import file_sha256
from ml.train import TrainedBundle

BUNDLE_FILES = ("model.joblib", "ood.joblib", "report.json", "schema.json")


class TamperedArtifactError(Exception):
    """A bundle file is missing or its bytes differ from the hash recorded when it was saved."""


class IncompatibleArtifactError(TamperedArtifactError):
    """The files are intact, but the model was trained on other features than this code makes:
    it cannot score until it is retrained."""


def save_bundle(bundle: TrainedBundle, directory: Path) -> dict[str, str]:
    """Write the bundle's four files and return {filename: sha256} to keep somewhere trusted."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle.model, directory / "model.joblib")
    joblib.dump(bundle.ood_gate, directory / "ood.joblib")
    (directory / "report.json").write_text(json.dumps(bundle.report, indent=2, sort_keys=True))
    schema = {"feature_schema": bundle.feature_schema, "data_hash": bundle.data_hash}
    (directory / "schema.json").write_text(json.dumps(schema, indent=2, sort_keys=True))
    return {name: file_sha256(directory / name) for name in BUNDLE_FILES}


def verified_bundle_files(directory: Path, expected_hashes: dict[str, str]) -> dict[str, bytes]:
    """The four files' bytes, each checked against its hash; else TamperedArtifactError."""
    directory = Path(directory)
    contents = {}
    for name in BUNDLE_FILES:
        path = directory / name
        if name not in expected_hashes:
            raise TamperedArtifactError(f"no expected hash for {name}")
        if not path.is_file():
            raise TamperedArtifactError(f"{path} is missing")
        data = path.read_bytes()
        if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), expected_hashes[name]):
            raise TamperedArtifactError(f"{path} does not match its expected SHA-256")
        contents[name] = data
    return contents


def load_bundle(directory: Path, expected_hashes: dict[str, str]) -> TrainedBundle:
    """Verify all four files against ``expected_hashes`` first, then load them.

    joblib files are pickles, and unpickling runs code. Each file is read once and the verified
    bytes themselves are loaded, so nothing unverified, not even a file swapped after the check,
    reaches the unpickler.
    """
    contents = verified_bundle_files(directory, expected_hashes)
    schema = json.loads(contents["schema.json"])
    model = joblib.load(io.BytesIO(contents["model.joblib"]))
    made = len(model.features_.get_feature_names_out())
    expected = model.calibrated_.n_features_in_
    if made != expected:
        raise IncompatibleArtifactError(
            f"{directory}: the model was trained on {expected} feature columns and this code "
            f"makes {made}; train a new model (manage.py train_model) and activate it"
        )
    return TrainedBundle(
        model=model,
        ood_gate=joblib.load(io.BytesIO(contents["ood.joblib"])),
        report=json.loads(contents["report.json"]),
        feature_schema=schema["feature_schema"],
        data_hash=schema["data_hash"],
    )
