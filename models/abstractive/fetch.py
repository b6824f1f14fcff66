"""Downloading a checkpoint ahead of time, for Docker images and air-gapped hosts.

The only code in newsum that reaches the network; serving never does.
"""

from __future__ import annotations

from pathlib import Path

from newsum.models.errors import ModelUnavailable

# Weights for other frameworks and exports: gigabytes that torch never reads.
_OTHER_FRAMEWORKS = [
    "*.h5", "*.msgpack", "*.ot", "*.onnx", "*.tflite", "*.mlmodel",
    "tf_model*", "flax_model*", "rust_model*", "onnx/*", "coreml/*", "openvino/*",
]  # fmt: skip
_PICKLED_WEIGHTS = ["*.bin", "*.pt", "*.pth", "*.ckpt"]


def fetch_checkpoint(name: str, *, to: Path | None = None, cache_dir: str | None = None) -> Path:
    """Download hub model `name` (into the cache, or into folder `to`) and return its folder.

    Shows a progress bar per file. Takes safetensors weights where the
    repository has them, the pickled torch weights otherwise.
    """
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        # model_info makes one request (list_repo_files retries for ~25 s offline).
        files = [s.rfilename for s in HfApi().model_info(name).siblings or []]
        ignore = list(_OTHER_FRAMEWORKS)
        if any(f.endswith(".safetensors") for f in files):
            ignore += _PICKLED_WEIGHTS
        folder = snapshot_download(name, local_dir=to, cache_dir=cache_dir, ignore_patterns=ignore)
    except HFValidationError:
        raise ModelUnavailable(f"{name!r} is not a valid hub id (owner/name)") from None
    except Exception as error:  # DNS, TLS, HTTP 4xx/5xx, disk: all mean "not fetched"
        raise ModelUnavailable(
            f"could not download {name!r} ({type(error).__name__}: {_first_line(error)}); "
            "this host needs access to huggingface.co (or a mirror in HF_ENDPOINT), or copy a "
            "fetched folder here and set NEWSUM_MODEL to its path"
        ) from None
    return Path(folder)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else "no details"
