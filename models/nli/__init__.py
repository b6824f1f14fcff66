"""An opt-in faithfulness judge: an NLI classifier scores a summary against its article (SummaC-ZS).

The method is SummaC's zero-shot one (Laban, Schnabel, Bennett & Hearst, "SummaC:
Re-Visiting NLI-based Models for Inconsistency Detection in Summarization", TACL
2022): NLI models are trained on sentence-level pairs, so the article is cut into
small premise blocks and every summary sentence (the hypothesis) is scored against
each block, rather than the whole article against the whole summary.

- **Blocks** (`pairs.cut_blocks`): windows of up to two consecutive article
  sentences, stride 1, so a pronoun's antecedent in the sentence before is in
  the premise; a window falls back to one sentence where two do not fit the
  length limit beside the longest summary sentence (counted up to half the
  limit), and a single sentence longer than that is cut by the tokenizer (the
  premise is cut first). Blocks are identified by inclusive `start_sentence` and
  `end_sentence` indices into `article.sentences`.
- **Score**: softmax over the model's logits; a pair's score is P(entailment) −
  P(contradiction), in [−1, 1]. A summary sentence's score is the highest pair
  score over the blocks, and its evidence is that one block with that pair's
  probabilities (the first block on a tie). This takes the maximum of the
  difference, where the `summac` package's reduction subtracts the highest
  contradiction from the highest entailment, which may come from two different
  blocks: here the score is always what one shown block says, and a block that
  the model finds contradictory cannot undo another block's entailment. The
  summary's score is the mean over its sentences (SummaC's); the minimum, its
  least supported sentence, is reported beside it.
- **Labels** come from `config.id2label` in any order and case (`labels`):
  entailment, neutral and contradiction, or entailment and not-entailment. A
  two-class model cannot tell a contradicted sentence from an unsupported one,
  so its score is P(entailment) alone (SummaC's `use_con=False`: P(contradiction)
  taken as 0) and `contradiction` is None, not 0, as the model says nothing about
  it. Its scores lie in [0, 1]: a sentence it does not support scores as a
  neutral one does under a three-class model. Other label sets are refused
  (`NliLabelsRefused`, which names the labels found).
- **Cost**: pairs are capped at `max_pairs` per request. When every block ×
  every sentence would exceed it, each sentence gets an equal share of the cap,
  filled with the blocks sharing the most distinct content terms with it
  (`models.terms`, as attribution uses), and the result says `capped=True`.
  Pairs run in batches of `batch_size`, longest first so that a batch pads
  little, each pair cut to `max_length` tokens; the cancellation is checked
  before every batch. A request's worst case is max_pairs pairs of max_length
  tokens (benchmarks/perf/nli_cost.py).

`support_from_nli` maps a score to a 0-1 support as (score + 1) / 2, a fixed map,
not fitted to human labels; `support` folds a verdict into an answer. The verdicts'
types live in models.types, beside the answers that carry them. Imports: `models` modules
and transformers/torch only.
"""

from newsum.models.nli.judge import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_LENGTH,
    DEFAULT_MAX_PAIRS,
    NliModel,
    load_nli_model,
    support_from_nli,
)
from newsum.models.nli.labels import NliLabelsRefused
from newsum.models.types import SentenceNli, SummaryNli

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_PAIRS",
    "NliLabelsRefused",
    "NliModel",
    "SentenceNli",
    "SummaryNli",
    "load_nli_model",
    "support_from_nli",
]
