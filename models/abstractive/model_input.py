"""What a seq2seq model reads of an article: all of it, or what fits its input limit.

Policy for articles longer than the model's limit (BART: 1,024 tokens): keep
whole sentences in TextRank order until the budget is spent, then put them back
in article order. Nothing is cut silently: the result says which sentences the
model saw, how many tokens they made, and whether anything was left out. Only a
single sentence longer than the whole budget is cut mid-sentence (and reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsum.models.textrank import rank_sentences
from newsum.models.types import Article


@dataclass(frozen=True, slots=True)
class ModelInput:
    text: str  # prefix + the chosen sentences, in article order
    sentences: tuple[int, ...]  # article sentences the model sees
    input_tokens: int
    truncated: bool  # some of the article was left out


def fit_article(article: Article, tokenizer: Any, prefix: str, max_tokens: int) -> ModelInput:
    """The model's input for `article`: every sentence if they fit, else the best that do."""
    everything = tuple(range(len(article.sentences)))
    whole = _encode_length(tokenizer, _join(article, prefix, everything))
    if whole <= max_tokens:
        return ModelInput(_join(article, prefix, everything), everything, whole, truncated=False)

    # Token cost of each sentence as it appears after a space in the joined text;
    # the specials and prefix cost what an empty input costs.
    overhead = _encode_length(tokenizer, prefix)
    costs = [len(ids) for ids in tokenizer([" " + s.text for s in article.sentences],
                                            add_special_tokens=False)["input_ids"]]  # fmt: skip
    ranking = rank_sentences(article)
    chosen: list[int] = []
    spent = overhead
    for ranked in ranking:
        cost = costs[ranked.sentence]
        if spent + cost <= max_tokens:
            chosen.append(ranked.sentence)
            spent += cost
    # Tokenisation is not quite additive at the joins; drop the lowest-ranked
    # pick until the real encoding fits.
    while chosen:
        kept = tuple(sorted(chosen))
        length = _encode_length(tokenizer, _join(article, prefix, kept))
        if length <= max_tokens:
            return ModelInput(_join(article, prefix, kept), kept, length, truncated=True)
        chosen.pop()
    # Not even the best sentence fits: it goes in cut to the limit, and says so.
    best = (ranking[0].sentence,)
    return ModelInput(_join(article, prefix, best), best, max_tokens, truncated=True)


def _join(article: Article, prefix: str, indices: tuple[int, ...]) -> str:
    return prefix + " ".join(article.sentences[i].text for i in indices)


def _encode_length(tokenizer: Any, text: str) -> int:
    # verbose=False: measuring an over-long text is the point, not a mistake to warn about.
    return len(tokenizer(text, verbose=False)["input_ids"])
