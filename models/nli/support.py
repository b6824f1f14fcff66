"""The NLI judge's verdict folded into an answer: each sentence's `nli`, the summary's `support`.

With the judge on, a summary's `support` is its NLI score (the mean over its
sentences of P(entailment) − P(contradiction)) mapped to 0–1 by
`support_from_nli`: a fixed map, not fitted to human labels here (no NLI
checkpoint can be had on the machines the labels are on). The offline score
(models.faithfulness) is kept beside it in `support_signals`:

- `nli`: `support` is the judge's;
- `offline_support=0.812`: what `support` would be without the judge, followed
  by the offline signals it was made of;
- `nli: not scored: <why>` instead, when the judge could not score this summary
  (not fetched, failed): `support` is then the offline one, as without the judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.errors import Cancelled, DeadlineExceeded, NewsumError
from newsum.models.faithfulness import SummarySupport
from newsum.models.nli.judge import NliModel, support_from_nli
from newsum.models.types import Article, ExtractedSentence, GeneratedSentence, SummaryNli

NLI_SIGNAL = "nli"
# What the judge said of a summary, or why it said nothing.
Verdict = SummaryNli | str
Sentence = TypeVar("Sentence", ExtractedSentence, GeneratedSentence)


def judged_support(whole: SummarySupport | None, verdict: Verdict | None) -> SummarySupport | None:
    """The summary's support with the judge's verdict (None: the judge is off)."""
    if verdict is None or whole is None:  # off, or a summary without sentences
        return whole
    if isinstance(verdict, str):
        return SummarySupport(whole.support, (*whole.signals, f"nli: not scored: {verdict}"))
    offline = f"offline_support={whole.support:.3f}"
    return SummarySupport(support_from_nli(verdict.mean), (NLI_SIGNAL, offline, *whole.signals))


def judged_sentences(
    sentences: Sequence[Sentence], verdict: Verdict | None
) -> tuple[Sentence, ...]:
    """`sentences` each with its verdict, when the judge gave one per sentence."""
    if not isinstance(verdict, SummaryNli) or len(verdict.sentences) != len(sentences):
        return tuple(sentences)
    return tuple(
        replace(sentence, nli=judged)
        for sentence, judged in zip(sentences, verdict.sentences, strict=True)
    )


def summary_verdict(verdict: Verdict | None) -> SummaryNli | None:
    return verdict if isinstance(verdict, SummaryNli) else None


@dataclass(frozen=True)
class NliJudging:
    """The judge's model with the service's bounds: what a caller asks a verdict of."""

    model: NliModel
    max_pairs: int
    batch_size: int

    def verdict(
        self, article: Article, sentences: Sequence[str], cancel: Cancellation | None = None
    ) -> Verdict | None:
        """The verdict on the summary `sentences`, or why there is none; None for no sentence.

        A stopped request (deadline, client gone) raises, as everywhere: it ends the request.
        """
        if not sentences:
            return None
        try:
            return self.model.judge(
                article,
                sentences,
                max_pairs=self.max_pairs,
                batch_size=self.batch_size,
                cancel=cancel,
            )
        except (Cancelled, DeadlineExceeded):
            raise
        except NewsumError as error:
            return error.message
