"""Tiny random seq2seq checkpoints, built offline in a folder, for the production loader.

Their tokenizers are trained on the fly (byte-level BPE with `tokenizers` for
BART, a unigram model with `sentencepiece` for T5), so the real loading,
tokenising, generation and decoding code runs without any hub.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

SUMMARIZATION_DEFAULTS = {
    "num_beams": 2,
    "min_length": 8,
    "max_length": 24,
    "no_repeat_ngram_size": 3,
    "length_penalty": 2.0,
    "early_stopping": True,
}


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
