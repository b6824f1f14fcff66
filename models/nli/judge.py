"""The NLI judge: a sequence-classification checkpoint loaded offline, and SummaC-ZS scoring.

Three stages, as the seq2seq engine has: prepare (token counts, premise blocks,
the capped pairs), run (batches under `torch.inference_mode`, the cancellation
checked before each), finish (the best block per summary sentence, mean and min).
Not thread-safe (a fast tokenizer keeps truncation state): one owner thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsum.models.abstractive.cancel import Cancellation
from newsum.models.abstractive.checkpoint import resolve, unloadable
from newsum.models.errors import EmptyInput
from newsum.models.nli.labels import NliLabels, read_labels
from newsum.models.nli.pairs import Pair, choose_pairs, cut_blocks
from newsum.models.terms import analyse
from newsum.models.types import Article, SentenceNli, SummaryNli

# Defaults for the service's settings, from benchmarks/perf/nli_cost.py on 2 cores: a pair
# costs ~30-90 ms (DeBERTa-v3 xsmall-base) at a news pair's ~85 tokens, 0.15-1.6 s at
# max_length. 24 pairs is 8 blocks per sentence of a 3-sentence summary, the blocks most
# like it (a CNN article has ~13); batches of 8 bound how far a request runs past its
# deadline (one batch). Batch size against throughput was not measured.
DEFAULT_MAX_PAIRS = 24
DEFAULT_BATCH_SIZE = 8
# Tokens per (premise, hypothesis) pair at most, below the model's own limit: two
# news sentences and a summary sentence take about 90; the cap bounds a request's
# worst case (max_pairs pairs of this length) and cuts only run-on "sentences".
DEFAULT_MAX_LENGTH = 256
# A summary sentence may take at most this share of a pair's tokens when blocks are cut.
_HYPOTHESIS_SHARE = 2
# Models whose positions start after the padding index (RoBERTa's family): the
# position table has pad_token_id + 1 rows more than the tokens it can take.
_OFFSET_POSITIONS = frozenset({"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert",
                               "data2vec-text", "roberta-prelayernorm", "mpnet",
                               "longformer"})  # fmt: skip
_SANE_INPUT_LIMIT = 1_000_000  # tokenizers without a limit say 1e30
_FALLBACK_MAX_TOKENS = 512


def support_from_nli(score: float) -> float:
    """An NLI score in [-1, 1] as a support in [0, 1]: (score + 1) / 2, not fitted to
    human labels (a contradicted sentence 0, a neutral one 0.5, an entailed one 1)."""
    return min(1.0, max(0.0, (score + 1.0) / 2.0))


class NliModel:
    """An NLI classifier on the CPU and the SummaC-ZS judge built on it."""

    def __init__(
        self, name: str, tokenizer: Any, model: Any, labels: NliLabels, max_length: int
    ) -> None:
        self.name = name
        self.labels = labels.names
        self.max_tokens = _max_tokens(model.config, tokenizer)
        self.max_length = min(max_length, self.max_tokens)
        self._tokenizer = tokenizer
        self._model = model
        self._label = labels
        self._specials = int(tokenizer.num_special_tokens_to_add(pair=True))
        # Token types only where the model has a table for them (BERT's, not RoBERTa's).
        types = getattr(model.config, "type_vocab_size", 0) or 0
        self._inputs = {"input_ids", "attention_mask"}
        if types > 1:
            self._inputs.add("token_type_ids")

    @property
    def has_contradiction(self) -> bool:
        return self._label.contradiction is not None

    def judge(
        self,
        article: Article,
        sentences: Sequence[str],
        *,
        max_pairs: int,
        batch_size: int,
        cancel: Cancellation | None = None,
    ) -> SummaryNli:
        """Score each summary sentence against the article's blocks (SummaC-ZS).

        Raises EmptyInput for no sentences, InputTooLong for more sentences than
        max_pairs, and the cancellation's Cancelled or DeadlineExceeded between batches.
        """
        if not sentences:
            raise EmptyInput("the summary has no sentences to judge")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; given: {batch_size}")
        # Prepare: token counts; blocks that fit beside the longest summary sentence.
        texts = [sentence.text for sentence in article.sentences]
        counts = self._count_tokens([*texts, *sentences])
        lengths, hypotheses = counts[: len(texts)], counts[len(texts) :]
        longest = min(max(hypotheses), self.max_length // _HYPOTHESIS_SHARE)
        blocks = cut_blocks(lengths, self.max_length - self._specials - longest)
        # The pairs, within the cap: each sentence's blocks by shared content terms.
        terms = [frozenset(words.terms) for words in article.words]
        block_terms = [frozenset().union(*terms[start : end + 1]) for start, end in blocks]
        summary_terms = [frozenset(w.terms) for w in analyse(sentences, article.language)]
        pairs, capped = choose_pairs(blocks, block_terms, summary_terms, max_pairs)
        # Run: longest pairs first, so a batch's rows pad to nearly the same length.
        size = [sum(lengths[p.start : p.end + 1]) + hypotheses[p.sentence] for p in pairs]
        order = sorted(range(len(pairs)), key=lambda k: -size[k])
        premises = [" ".join(texts[p.start : p.end + 1]) for p in pairs]
        probabilities = self._run(pairs, premises, sentences, order, batch_size, cancel)
        # Finish: each sentence's best pair, the first block on a tie.
        verdicts: list[SentenceNli | None] = [None] * len(sentences)
        for pair, row in zip(pairs, probabilities, strict=True):
            verdict = self._verdict(pair, row)
            best = verdicts[pair.sentence]
            if best is None or verdict.score > best.score:
                verdicts[pair.sentence] = verdict
        judged = tuple(v for v in verdicts if v is not None)
        scores = [verdict.score for verdict in judged]
        return SummaryNli(judged, sum(scores) / len(scores), min(scores), len(pairs), capped)

    def _count_tokens(self, texts: list[str]) -> list[int]:
        encoded = self._tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def _run(
        self,
        pairs: list[Pair],
        premises: list[str],
        sentences: Sequence[str],
        order: list[int],
        batch_size: int,
        cancel: Cancellation | None,
    ) -> list[list[float]]:
        import torch

        rows: list[list[float]] = [[] for _ in pairs]
        with torch.inference_mode():
            for first in range(0, len(order), batch_size):
                if cancel is not None:
                    cancel.raise_if_stopped()
                batch = order[first : first + batch_size]
                # longest_first cuts the premise alone while the hypothesis is the shorter
                # (only_first's effect), and never fails on an overlong summary sentence.
                encoded = self._tokenizer(
                    [premises[k] for k in batch],
                    [sentences[pairs[k].sentence] for k in batch],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                inputs = {key: value for key, value in encoded.items() if key in self._inputs}
                probabilities = self._model(**inputs).logits.float().softmax(-1).tolist()
                for k, row in zip(batch, probabilities, strict=True):
                    rows[k] = row
        return rows

    def _verdict(self, pair: Pair, probabilities: list[float]) -> SentenceNli:
        entailment = probabilities[self._label.entailment]
        index = self._label.contradiction
        contradiction = None if index is None else probabilities[index]
        score = entailment - (contradiction or 0.0)
        return SentenceNli(entailment, contradiction, score, pair.start, pair.end)


def load_nli_model(
    name: str, *, cache_dir: str | None = None, max_length: int = DEFAULT_MAX_LENGTH
) -> NliModel:
    """Load `name` (folder or cached hub id), or raise ModelUnavailable (NliLabelsRefused
    when its labels are not NLI's); the labels are read before the weights."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    path = resolve(name, cache_dir=cache_dir)
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except Exception as error:  # a broken or missing config.json
        raise unloadable(name, path, error) from error
    labels = read_labels(name, config.id2label)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            path, local_files_only=True, dtype=torch.float32
        )
    except Exception as error:  # broken files, or an architecture without a classifier head
        raise unloadable(name, path, error) from error
    model.eval()
    return NliModel(name, tokenizer, model, labels, max_length)


def _max_tokens(config: Any, tokenizer: Any) -> int:
    """The most tokens the model takes: its position table's and its tokenizer's limits."""
    limits = []
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        if config.model_type in _OFFSET_POSITIONS:
            positions -= (config.pad_token_id or 0) + 1
        limits.append(int(positions))
    declared = getattr(tokenizer, "model_max_length", None)
    if declared is not None and 0 < int(declared) < _SANE_INPUT_LIMIT:
        limits.append(int(declared))
    return min(limits) if limits else _FALLBACK_MAX_TOKENS
