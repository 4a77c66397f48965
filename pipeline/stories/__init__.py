"""Story decisions: is an article new, a near-copy (`duplicate`) or a rewrite (`same_story`)?

`sketch` reads an article into a `Sketch` (`pipeline.stories.sketch`, pure, made in
enrich's finishing processes); `StoryIndex.observe` decides on it against everything indexed
so far, one article at a time in stream order (`pipeline.stories.index`, where the rule
and its formulas are); `DedupeSettings` holds the thresholds and weights;
`pipeline.stories.prior` gives every feature its general document share (wordfreq), so
that weights are sensible from the first article.
"""

from pipeline.stories.index import Decision, Kind, StoryIndex
from pipeline.stories.settings import ALGO_VERSION, DedupeSettings
from pipeline.stories.sketch import (
    EntityLike,
    Sketch,
    StoryInput,
    article_features,
    content_words,
    pack_sketch,
    sketch,
    unpack_sketch,
)

__all__ = [
    "ALGO_VERSION",
    "Decision",
    "DedupeSettings",
    "EntityLike",
    "Kind",
    "Sketch",
    "StoryIndex",
    "StoryInput",
    "article_features",
    "content_words",
    "pack_sketch",
    "sketch",
    "unpack_sketch",
]
