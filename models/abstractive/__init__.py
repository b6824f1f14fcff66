"""The abstractive engine: a pretrained seq2seq checkpoint behind prepare -> run -> finish.

`interface` is what the pipeline holds an engine by; `checkpoint` loads a model offline;
`model_input` fits an article into the model's input limit; `cancel` stops generation between
decoding steps; `engine` ties them together. Imports `newsum.models`' modules, never `summarize`.
"""
