"""all-MiniLM-L6-v2 run by onnxruntime from a one-time ONNX export: the same vectors, no torch.

Importing sentence-transformers (torch, transformers, scikit-learn) takes longer on these 2-core
machines than the whole of the rest of `chatbot serve`. The first process that loads the model
through sentence-transformers exports its transformer to ONNX; later processes run that file with
onnxruntime and `tokenizers` and pool the same way, so answering starts in well under a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from chatbot.durable import fsync_file, replace
from chatbot.embedding import TokenVectors, Vectors, normalised, token_vectors

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# An export takes a few seconds; a temporary file this old belongs to one that was killed.
_STALE_TMP_S = 3600


def export_path(folder: Path, model_id: str) -> Path:
    """Return where the ONNX export of `model_id` lives in `folder` (named by the model, so a new
    model version never picks up an old export)."""
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    return folder / f"minilm-{digest}.onnx"


def export_onnx(transformer: Any, tokenizer: Any, path: Path) -> None:
    """Write `transformer` (a Hugging Face BERT model) to `path` as ONNX, atomically.

    The file appears complete or not at all: it is written beside its final name, flushed to
    disk, then renamed, so a killed export never leaves a file that later fails to load.
    """
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):  # from an export that was killed
        if time.time() - leftover.stat().st_mtime > _STALE_TMP_S:
            leftover.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    sample = tokenizer(["a short text", "a somewhat longer text to pad"], padding=True, return_tensors="pt")
    axes = {"batch": 0, "tokens": 1}
    try:
        # The tracer warns about shape checks it freezes; for this encoder-only model they are
        # constant (no causal mask, no cache), and tests compare the export's vectors with the original.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(transformer.eval()),
                tuple(sample[name] for name in _INPUTS),
                str(tmp),
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={n: {v: k for k, v in axes.items()} for n in (*_INPUTS, "last_hidden_state")},
                opset_version=17,
                dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT well
            )
        fsync_file(tmp)
        replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_errors() -> tuple[type[BaseException], ...]:
    """Return the exceptions onnxruntime raises for a file it cannot load (a damaged export)."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf, NoSuchFile

    return (Fail, InvalidGraph, InvalidProtobuf, NoSuchFile)


class OnnxMiniLM:
    """Tokenizes with the model's own tokenizer.json, runs the ONNX export, mean-pools, normalises.

    Mean pooling over the attention mask and L2 normalisation are what the model's
    sentence-transformers modules (1_Pooling, Normalize) do; tests check the vectors agree.
    """

    def __init__(self, model_dir: Path, onnx_file: Path, max_length: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self._session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )

    def count_tokens(self, text: str) -> int:
        """Return the word pieces of `text`, without [CLS]/[SEP] and without truncation."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str], batch_size: int) -> Vectors:
        """Return one normalised row per text."""
        # Batches of similar length pad less (sentence-transformers sorts the same way).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = [
            self._encode_batch([texts[i] for i in order[start : start + batch_size]])
            for start in range(0, len(texts), batch_size)
        ]
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.vstack(parts)
        return out

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[TokenVectors]:
        """Return each text's word-piece vectors (see embedding.TokenVectors)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding, as in encode
        out: dict[int, TokenVectors] = {}
        for start in range(0, len(texts), batch_size):
            batch = order[start : start + batch_size]
            encodings, hidden, _ = self._run([texts[i] for i in batch])
            for i, e, rows in zip(batch, encodings, hidden, strict=True):
                attended = np.array(e.attention_mask) == 1  # not padding
                own = (np.array(e.special_tokens_mask) == 0)[attended]  # nor [CLS]/[SEP]
                spans = np.array(e.offsets, dtype=np.int64)[attended]
                out[i] = token_vectors(rows[attended], spans, own)
        return [out[i] for i in range(len(texts))]

    def _run(self, texts: list[str]) -> tuple[list[Any], Vectors, dict[str, Any]]:
        """Return the encodings of `texts`, the model's last hidden state, and its inputs."""
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return encodings, self._session.run(None, feeds)[0], feeds

    def _encode_batch(self, texts: list[str]) -> Vectors:
        _, hidden, feeds = self._run(texts)
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        return normalised((hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None))
