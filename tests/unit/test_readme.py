"""The README's configuration table names every setting, and nothing that is not one."""

import re
from pathlib import Path

from pipeline.settings import Settings

README = Path(__file__).parents[2] / "README.md"


def test_configuration_table_lists_every_setting() -> None:
    documented = set(re.findall(r"^\| `(NEWSWIRE_[A-Z_]+)` \|", README.read_text(), re.M))
    settings = {f"NEWSWIRE_{name.upper()}" for name in Settings.model_fields}
    assert documented == settings
