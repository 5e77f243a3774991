"""Run logs of the project generator: `{run_id}.csv` plus `{run_id}/prompt.json`, `output.json`.

Every value goes through `kit.redact.redact` before it is written, so no email, phone number or
token reaches a log file (ids stay readable). The CSV has exactly `COLUMNS`, one row per stage.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from studyforge.ai.llm import Usage
from studyforge.config import Settings
from studyforge.db import utcnow
from studyforge.kit.redact import redact

COLUMNS = (
    "timestamp",
    "run_id",
    "stage",
    "model",
    "temperature",
    "prompt_tokens",
    "completion_tokens",
    "cost_est",
    "decision_summary",
    "input_path",
    "output_path",
    "warning",
)


def log_dir(settings: Settings) -> Path:
    """CSV_LOG_DIR, or `logs` under the platform home."""
    return settings.csv_log_dir or settings.home / "logs"


def remove_runs(settings: Settings, run_ids: list[uuid.UUID]) -> None:
    """Delete the log files of these runs (their project was deleted)."""
    for run_id in run_ids:
        RunLog(settings, run_id).remove()


class RunLog:
    """The log files of one run."""

    def __init__(self, settings: Settings, run_id: uuid.UUID) -> None:
        self.root = log_dir(settings)
        self.run_id = str(run_id)
        self.csv_path = self.root / f"{self.run_id}.csv"
        self.folder = self.root / self.run_id

    def write_json(self, name: str, value: Any) -> Path:
        """Write `{run_id}/{name}.json` (redacted); returns its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.json"
        text = redact(json.dumps(value, ensure_ascii=False, indent=2, default=str))
        path.write_text(text, encoding="utf-8")
        return path

    def row(
        self,
        stage: str,
        *,
        model: str = "",
        temperature: float | None = None,
        usage: Usage | None = None,
        decision: str = "",
        input_path: Path | None = None,
        output_path: Path | None = None,
        warning: str = "",
    ) -> None:
        """Append one CSV row (the header first when the file is new)."""
        self.root.mkdir(parents=True, exist_ok=True)
        usage = usage or Usage()
        values = [
            utcnow().isoformat(),
            self.run_id,
            stage,
            model,
            "" if temperature is None else temperature,
            usage.prompt_tokens,
            usage.completion_tokens,
            round(usage.cost_usd, 6),
            decision,
            str(input_path or ""),
            str(output_path or ""),
            warning,
        ]
        new = not self.csv_path.exists()
        with self.csv_path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(COLUMNS)
            writer.writerow([redact(str(v)) for v in values])

    def remove(self) -> None:
        """Delete the run's log files (the project was deleted or regenerated)."""
        self.csv_path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)
