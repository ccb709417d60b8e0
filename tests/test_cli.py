"""The command line, on the tiny model (the real one is exercised by the integration tests)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from winrewrite.cli import main


def test_json_from_argument(tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base", str(tiny_model_dir), "--json", "--device", "cpu", "cut p99 340ms -> 62ms"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["category"] in {
        "model_development",
        "ml_systems",
        "data_features",
        "model_performance",
        "business_impact",
        "leadership",
    }
    assert [f["text"] for f in data["figures"]] == ["340ms", "62ms"]


def test_notes_from_file_and_stdin(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("- wrote the runbook\n- MTTR 90min -> 25min\n")
    assert main(["--base", str(tiny_model_dir), "--file", str(path)]) == 0
    assert "90" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("mentored 2 juniors"))
    assert main(["--base", str(tiny_model_dir)]) == 0
    assert "2" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["   "], ["--file", "/no/such/file.txt"], ["--device", "cuda:7", "notes here"]])
def test_bad_input_is_one_line_and_exit_2(args: list[str], capsys: pytest.CaptureFixture[str], tiny_model_dir: Path) -> None:
    if "--device" in args:
        pytest.importorskip("torch")
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    assert main(["--base", str(tiny_model_dir), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("winrewrite: ") and "\n" not in err


def test_python_dash_m(tiny_model_dir: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "winrewrite", "--base", str(tiny_model_dir), "shipped 4 models"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "4" in out.stdout
