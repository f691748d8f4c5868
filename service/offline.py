"""Process-wide switches that keep the stack offline and single-threaded.

Every variable here answers a measured trap (see STACK_NOTES): model hubs that
retry for a minute without network, telemetry that delays exit, litellm's price
list download, and torch/numpy threads that collapse under any competing load.
Values the user already set win, so an operator can still override them.
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_TELEMETRY": "False",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "GUARDRAILS_RUN_SYNC": "true",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def apply() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def limit_torch_threads() -> None:
    """Call after importing torch: the env var alone does not cap intra-op threads."""
    import torch

    torch.set_num_threads(1)
