"""Which of an NLI checkpoint's outputs mean entailment and contradiction, read from its config.

Checkpoints name their classes in `config.id2label`, in an order of their own:
roberta-large-mnli is contradiction/neutral/entailment, most DeBERTa NLI
fine-tunes entailment/neutral/contradiction. Names are matched without case,
with `-` and spaces read as `_`. Two-class checkpoints trained on RTE-style
data (entailment / not_entailment) are accepted, without a contradiction
class. A checkpoint with no entailment class, such as one whose classes are
transformers' placeholders LABEL_0, LABEL_1 or a sentiment classifier's, is
refused: its outputs cannot be read as entailment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from newsum.models.errors import ModelUnavailable

ENTAILMENT = "entailment"
NEUTRAL = "neutral"
CONTRADICTION = "contradiction"
NOT_ENTAILMENT = "not_entailment"
# Names checkpoints on the hub give each class, normalised (`_normal`).
_SYNONYMS = {
    ENTAILMENT: ENTAILMENT, "entailed": ENTAILMENT, "entails": ENTAILMENT,
    NEUTRAL: NEUTRAL,
    CONTRADICTION: CONTRADICTION, "contradicted": CONTRADICTION, "contradicts": CONTRADICTION,
    NOT_ENTAILMENT: NOT_ENTAILMENT, "non_entailment": NOT_ENTAILMENT,
    "not_entailed": NOT_ENTAILMENT, "no_entailment": NOT_ENTAILMENT,
}  # fmt: skip
# The label sets whose probabilities the score reads: MNLI's three, RTE's two.
_ACCEPTED = (
    frozenset({ENTAILMENT, NEUTRAL, CONTRADICTION}),
    frozenset({ENTAILMENT, NOT_ENTAILMENT}),
)


class NliLabelsRefused(ModelUnavailable):
    """A checkpoint whose classes are not NLI's; the message names the labels it has."""

    def __init__(self, name: str, labels: tuple[str, ...]) -> None:
        super().__init__(
            f"model {name!r} is not an NLI classifier: its labels are {list(labels)}; it needs "
            "entailment, neutral and contradiction (any order, any case), or entailment and "
            "not_entailment"
        )
        self.labels = labels


@dataclass(frozen=True, slots=True)
class NliLabels:
    """A checkpoint's labels as read (in output order) and the outputs the score reads."""

    names: tuple[str, ...]
    entailment: int
    contradiction: int | None  # None for an entailment / not-entailment checkpoint


def read_labels(name: str, id2label: Mapping[int, str] | Mapping[str, str]) -> NliLabels:
    """`id2label`'s NLI reading, or NliLabelsRefused naming the labels found."""
    names = tuple(str(id2label[key]) for key in sorted(id2label, key=int))  # type: ignore[index]
    meanings = [_SYNONYMS.get(_normal(label)) for label in names]
    if frozenset(meanings) not in _ACCEPTED or len(set(meanings)) != len(meanings):
        raise NliLabelsRefused(name, names)
    contradiction = meanings.index(CONTRADICTION) if CONTRADICTION in meanings else None
    return NliLabels(names, meanings.index(ENTAILMENT), contradiction)


def _normal(label: str) -> str:
    return label.strip().lower().replace("-", "_").replace(" ", "_")
