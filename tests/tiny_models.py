"""Tiny random seq2seq checkpoints, built offline in a folder, for the production loader.

Their tokenizers are trained on the fly (byte-level BPE with `tokenizers` for
BART, a unigram model with `sentencepiece` for T5), so the real loading,
tokenising, generation and decoding code runs without any hub.

`build_hub_layout` lays a folder out exactly as the hub does for BART and
PEGASUS checkpoints: the real tokenizer's own files (vocab.json + merges.txt,
or spiece.model; no tokenizer.json) from `../shared/model-shapes/tokenizers/`,
and a config of the real family and vocabulary size with tiny random weights.
The files are read from ../shared rather than copied into tests/data: CI has
that copy beside the checkout, and 3 MB of vocabularies need not live twice.

`build_tiny_nli` makes a tiny random NLI classifier (BERT, RoBERTa or DeBERTa-v2/v3
layout) with a tokenizer trained on the fly and the labels asked for, for
`newsum.models.nli`; `with_labels` copies one with its labels renamed.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SUMMARIZATION_DEFAULTS = {
    "num_beams": 2,
    "min_length": 8,
    "max_length": 24,
    "no_repeat_ngram_size": 3,
    "length_penalty": 2.0,
    "early_stopping": True,
}


SHAPES = Path(__file__).resolve().parents[1].parent / "shared" / "model-shapes"
# The tokenizer files a hub checkpoint of each family holds (no tokenizer.json).
HUB_TOKENIZER_FILES = {
    "bart": ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"),
    "pegasus": ("spiece.model", "tokenizer_config.json", "special_tokens_map.json"),
}
# The shape each family's real fields (ids, activation, vocabulary size) come from.
_HUB_SHAPES = {"bart": "distilbart-cnn-12-6.json", "pegasus": "pegasus-cnn_dailymail.json"}
_TINY = {"d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_ffn_dim": 32,
         "decoder_ffn_dim": 32, "encoder_attention_heads": 2,
         "decoder_attention_heads": 2}  # fmt: skip


def build_hub_layout(folder: Path, family: str) -> Path:
    """A hub-layout `family` checkpoint: the real tokenizer files, tiny random weights."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    tokenizers = SHAPES / "tokenizers" / family
    if not tokenizers.is_dir():
        raise FileNotFoundError(
            f"{tokenizers} is missing: the tests need ../shared beside the repo"
        )
    fields = json.loads((SHAPES / _HUB_SHAPES[family]).read_text())
    fields.pop("architectures")
    model_type = fields.pop("model_type")
    config = AutoConfig.for_model(model_type, **{**fields, **_TINY})
    config.task_specific_params = {"summarization": dict(SUMMARIZATION_DEFAULTS)}
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    AutoModelForSeq2SeqLM.from_config(config).save_pretrained(folder)
    # A hub config.json keeps fields v5 no longer writes (BART-CNN's forced_bos_token_id),
    # and such a checkpoint has no generation_config.json.
    saved = json.loads((folder / "config.json").read_text())
    saved.update({key: value for key, value in fields.items() if key not in saved})
    (folder / "config.json").write_text(json.dumps(saved, indent=2))
    (folder / "generation_config.json").unlink()
    for name in HUB_TOKENIZER_FILES[family]:
        shutil.copyfile(tokenizers / name, folder / name)
    return folder


def build_tiny_bart(folder: Path, corpus: Iterable[str], max_positions: int = 128) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=600,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=max_positions,
    )
    config = BartConfig(
        vocab_size=len(wrapped),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=max_positions,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
    )
    config.task_specific_params = {"summarization": dict(SUMMARIZATION_DEFAULTS)}
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(folder)
    BartForConditionalGeneration(config).save_pretrained(folder)
    return folder


def build_tiny_t5(folder: Path, corpus: Iterable[str]) -> Path:
    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    model_file = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(corpus)),
        model_writer=model_file,
        vocab_size=400,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    processor = spm.SentencePieceProcessor(model_proto=model_file.getvalue())
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(len(processor))]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=96)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    config.task_specific_params = {
        "summarization": {**SUMMARIZATION_DEFAULTS, "prefix": "summarize: "}
    }
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(folder)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return folder


def with_model_card(checkpoint: Path, folder: Path, front_matter: str | None) -> Path:
    """A copy of `checkpoint` in `folder` whose README.md model card has `front_matter`
    (YAML, as on the hub), or no README.md at all when it is None."""
    shutil.copytree(checkpoint, folder, ignore=shutil.ignore_patterns("ctranslate2-*", "README.md"))
    if front_matter is not None:
        card = f"---\n{front_matter}---\n\n# A tiny random checkpoint for tests\n"
        (folder / "README.md").write_text(card, encoding="utf-8")
    return folder


# NLI (sequence classification) checkpoints: the label orders the tests load. MNLI's is
# the order of roberta-large-mnli and most DeBERTa NLI fine-tunes.
MNLI_LABELS = ("entailment", "neutral", "contradiction")
_NLI_FAMILIES = ("bert", "roberta", "deberta-v2")


def build_tiny_nli(
    folder: Path,
    family: str,
    corpus: Iterable[str],
    labels: tuple[str, ...] | None = MNLI_LABELS,
    max_positions: int = 128,
) -> Path:
    """A tiny random `family` NLI classifier (BERT, RoBERTa or DeBERTa-v2/v3 layout) with a
    tokenizer trained on `corpus`; `labels` in id order, or None for no `id2label` at all
    (transformers then names them LABEL_0, LABEL_1)."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    if family not in _NLI_FAMILIES:
        raise ValueError(f"family must be one of {_NLI_FAMILIES}; given: {family!r}")
    tokenizer = _tiny_pair_tokenizer(family, corpus)
    # RoBERTa's positions start after the padding index: two more rows than tokens.
    positions = max_positions + 2 if family == "roberta" else max_positions
    tokenizer.model_max_length = max_positions
    shape = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 64, "max_position_embeddings": positions}  # fmt: skip
    if family == "deberta-v2":  # DeBERTa-v3's attention: relative positions, no absolute ones
        shape |= {"relative_attention": True, "position_buckets": 16,
                  "pos_att_type": ["p2c", "c2p"], "norm_rel_ebd": "layer_norm",
                  "share_att_key": True, "position_biased_input": False,
                  "type_vocab_size": 0}  # fmt: skip
    if family == "roberta":
        shape |= {"type_vocab_size": 1, "bos_token_id": 0, "eos_token_id": 2}
    # Weights drawn wide (BERT draws them at 0.02), so that different inputs get visibly
    # different probabilities and the best block is not a tie to rounding.
    shape["initializer_range"] = 0.5
    named = {} if labels is None else {"id2label": dict(enumerate(labels))}
    config = AutoConfig.for_model(
        family,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        num_labels=3 if labels is None else len(labels),
        **shape,
        **named,
    )
    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(folder)
    AutoModelForSequenceClassification.from_config(config).save_pretrained(folder)
    return folder


def with_labels(checkpoint: Path, folder: Path, labels: tuple[str, ...]) -> Path:
    """A copy of `checkpoint` in `folder`, the same weights, its labels renamed to `labels`."""
    shutil.copytree(checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {str(i): label for i, label in enumerate(labels)}
    config["label2id"] = {label: i for i, label in enumerate(labels)}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def _tiny_pair_tokenizer(family: str, corpus: Iterable[str]) -> Any:
    """A small fast tokenizer with `family`'s special tokens and sentence-pair template:
    byte-level BPE for RoBERTa, WordPiece for BERT and DeBERTa."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    if family == "roberta":
        cls, sep, pad, unk, mask = "<s>", "</s>", "<pad>", "<unk>", "<mask>"
        specials = [cls, pad, sep, unk, mask]
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer: Any = trainers.BpeTrainer(
            vocab_size=400, special_tokens=specials, show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )  # fmt: skip
        pair = f"{cls} $A {sep} {sep} $B {sep}"  # RoBERTa's pair: no token types
    else:
        cls, sep, pad, unk, mask = "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"
        specials = [pad, unk, cls, sep, mask]
        tokenizer = Tokenizer(models.WordPiece(unk_token=unk))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=400, special_tokens=specials, show_progress=False
        )
        pair = f"{cls} $A {sep} $B:1 {sep}:1"
    tokenizer.train_from_iterator(corpus, trainer)
    ids = [(token, tokenizer.token_to_id(token)) for token in (cls, sep)]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=pair, special_tokens=ids
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        cls_token=cls,
        sep_token=sep,
        pad_token=pad,
        unk_token=unk,
        mask_token=mask,
        model_input_names=["input_ids", "attention_mask"]
        + ([] if family == "roberta" else ["token_type_ids"]),
    )
