"""The runner's moto backend: its patches refuse another moto release; the bucket is the
template's (versioned)."""

from __future__ import annotations

import moto
import pytest

from local import backend
from tests.conftest import BUCKET


@pytest.mark.parametrize("patch", [backend.cheap_moto_transactions, backend.start_moto])
def test_moto_patches_refuse_a_moto_release_they_were_not_written_for(
    monkeypatch: pytest.MonkeyPatch, patch: object
) -> None:
    # Given a moto release other than the one the patches were written for
    monkeypatch.setattr(moto, "__version__", "99.0.0")
    # When the runner (or the test backend) patches moto
    with pytest.raises(backend.MotoVersionError, match=r"written for moto 5\.2\.5.*99\.0\.0"):
        patch()  # type: ignore[operator]
    # Then it says so, and nothing was started or patched


def test_the_pinned_moto_is_the_one_installed() -> None:
    backend.check_moto_version()  # the pin in requirements/dev.txt moves with MOTO_VERSION
    from tests.conftest import ROOT

    assert f"moto[server]=={backend.MOTO_VERSION}" in (ROOT / "requirements/dev.txt").read_text()


def test_the_local_bucket_is_versioned_like_the_templates(aws: None) -> None:
    import boto3

    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
