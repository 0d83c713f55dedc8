"""The harness is frozen: changed code or data fails loudly, and sealing needs a new version."""

import shutil

import pytest

from augur.harness import constants as C
from augur.harness import manifest as M
from augur.harness.evalsets import verify_data


@pytest.fixture
def harness_copy(tmp_path):
    root = tmp_path / "harness"
    shutil.copytree(M.HARNESS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_shipped_harness_matches_its_manifest():
    manifest = M.verify_code()
    assert manifest["version"] == C.HARNESS_VERSION
    assert {"baseline_train", "temporal", "cold_start"} == set(manifest["data"])
    assert "metrics.py" in manifest["code"] and "constants.py" in manifest["code"]


def test_an_intact_copy_verifies(harness_copy):
    assert M.verify_code(harness_copy)["version"] == C.HARNESS_VERSION


def test_a_modified_metric_file_is_named(harness_copy):
    path = harness_copy / "metrics.py"
    path.write_text(path.read_text().replace("TIMING_REL_TOLERANCE = 0.25",
                                             "TIMING_REL_TOLERANCE = 0.5"))
    with pytest.raises(M.HarnessChangedError) as err:
        M.verify_code(harness_copy)
    message = str(err.value)
    assert "metrics.py was modified" in message
    assert "HARNESS_VERSION" in message and "CHANGELOG" in message


def test_added_and_removed_files_are_named(harness_copy):
    (harness_copy / "shortcut.py").write_text("LEAK = True\n")
    (harness_copy / "baselines.py").unlink()
    with pytest.raises(M.HarnessChangedError, match="baselines.py was removed.*shortcut.py "
                                                    "was added"):
        M.verify_code(harness_copy)


def test_a_missing_manifest_is_an_unsealed_harness(harness_copy):
    (harness_copy / M.MANIFEST_NAME).unlink()
    with pytest.raises(M.HarnessChangedError, match="unsealed"):
        M.verify_code(harness_copy)


def test_changed_eval_data_is_refused():
    sealed = M.load_manifest()["data"]
    actual = dict(sealed, temporal="0" * 64)
    with pytest.raises(M.HarnessChangedError, match=r"eval data changed \(temporal: sha256 "
                                                    r"000000000000"):
        verify_data(actual, sealed)


def test_seal_refuses_without_a_new_version(tmp_path):
    with pytest.raises(M.HarnessChangedError, match="an amendment needs a new version"):
        M.seal(tmp_path / "CHANGELOG.md", progress=False)


def test_seal_refuses_without_a_changelog_entry(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "HARNESS_VERSION", "999")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## harness v1\n- first\n")
    before = (M.HARNESS_DIR / M.MANIFEST_NAME).read_text()
    with pytest.raises(M.HarnessChangedError, match="no entry for 'harness v999'"):
        M.seal(changelog, progress=False)
    assert (M.HARNESS_DIR / M.MANIFEST_NAME).read_text() == before
