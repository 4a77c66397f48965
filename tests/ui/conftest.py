"""UI tests reuse the integration fixtures: an isolated pipeline on the real broker and `wait`.

They live in `tests/integration/conftest.py`, which pytest only applies below that folder, so
this conftest loads that file by path and exposes the same fixture objects here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).parents[1] / "integration" / "conftest.py"
_spec = importlib.util.spec_from_file_location("newswire_integration_fixtures", _path)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fixtures  # dataclasses look their module up there
_spec.loader.exec_module(_fixtures)

pipeline = _fixtures.pipeline
wait = _fixtures.wait
