"""Every tutorial example runs, in its quick mode."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("seed_*.py"))


def test_there_is_one_example_per_seed():
    assert [p.name[:8] for p in EXAMPLES] == [f"seed_00{i}" for i in range(5)]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_quickly(script, tmp_path):
    args = [sys.executable, str(script), "--quick"] + (["--out", str(tmp_path)] if "spiral" in script.name else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    if "spiral" in script.name:
        assert len(list(tmp_path.glob("boundary_*.png"))) == 4
