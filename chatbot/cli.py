"""The `chatbot` command: index, status, ask, serve and eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from chatbot.indexer import BuildLocked, BuildReport, NoDocuments
from chatbot.settings import Settings, load_settings
from chatbot.stores import IndexCorrupt, IndexMismatch, IndexMissing, StoreUnavailable, open_store

log = logging.getLogger("chatbot")

# Errors a user can cause and fix: reported in one line, exit status 2.
USER_ERRORS = (
    BuildLocked, NoDocuments, IndexMissing, IndexMismatch, IndexCorrupt, StoreUnavailable, FileNotFoundError
)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        corpus=getattr(args, "corpus", None),
        index=getattr(args, "index", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        auth=getattr(args, "auth", None),
        auth_file=getattr(args, "auth_file", None),
        top_k=getattr(args, "k", None),
        writer=getattr(args, "writer", None),
        reranker=getattr(args, "reranker", None),
        llm_base_url=getattr(args, "llm_base_url", None),
        llm_model=getattr(args, "llm_model", None),
    )


def _print_report(report: BuildReport, dry_run: bool) -> None:
    plan = report.plan
    out = sys.stdout
    if plan.full_reason:
        out.write(f"Full rebuild: {plan.full_reason}.\n")
    for label, ids in (("added", plan.added), ("changed", plan.changed), ("removed", plan.removed)):
        for doc_id in ids:
            out.write(f"  {label:<9} {doc_id}\n")
    for skipped in plan.scan.skipped:
        out.write(f"  skipped   {skipped.doc_id}: {skipped.reason}\n")
    for warned in plan.scan.warnings:
        out.write(f"  warning   {warned.doc_id}: {warned.reason}\n")
    out.write(f"Documents: {plan.counts()}.\n")
    if dry_run:
        out.write("Dry run: nothing was written.\n")
    elif not report.wrote:
        out.write(f"Index is up to date (version {report.version}, {report.chunks} passages).\n")
    else:
        out.write(
            f"Built index version {report.version}: {report.documents} documents, {report.chunks} passages "
            f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s.\n"
        )
    chinese = report.chinese_summary()
    if chinese and not dry_run:
        out.write(chinese + "\n")
    out.flush()  # a watching process prints reports long after it started


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.status:
        return cmd_status(args)
    from chatbot.pipeline import Chatbot

    bot = Chatbot(settings)
    report = bot.build(full=args.full, dry_run=args.dry_run, progress=not args.quiet)
    _print_report(report, args.dry_run)
    status = 1 if report.chinese_error else 0  # partly done: scripts should notice
    if not args.dry_run:
        from chatbot.embedding import prepare_fast_start

        prepare_fast_start(bot.encoder)
    if args.watch and not args.dry_run:
        from chatbot.watch import watch_corpus

        print(f"Watching {settings.corpus} for changes; press Ctrl-C to stop.", flush=True)
        watch_corpus(
            settings.corpus,
            lambda: bot.build(progress=not args.quiet),
            on_report=lambda r: _print_report(r, False),
        )
    return status


def cmd_status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings)
    manifest = store.read_manifest()
    if manifest is None:
        print(f"No index in {store.describe()}: build it with `chatbot index`.")
        return 1
    print(f"Index:     {store.describe()} (version {manifest.version})")
    print(f"Built at:  {manifest.built_at}")
    print(f"Model:     {manifest.spec.describe()}")
    print(f"Documents: {len(manifest.documents)}; passages: {manifest.chunk_count}")
    from chatbot.corpus import scan_corpus
    from chatbot.embedding import make_encoder
    from chatbot.indexer import index_spec, plan_build
    from chatbot.readers.ocr import make_ocr

    scan = scan_corpus(
        settings.corpus, settings.max_document_bytes, settings.max_binary_document_bytes, settings.cleaning(),
        make_ocr(settings),  # scans the last build OCR'd come from the OCR cache
    )
    if scan.skipped:
        print("Skipped:   " + "; ".join(f"{s.doc_id} ({s.reason})" for s in scan.skipped))
    if scan.warnings:
        print("Warnings:  " + "; ".join(f"{w.doc_id} ({w.reason})" for w in scan.warnings))
    plan = plan_build(scan, manifest, manifest.spec, full=False)
    stale = sorted(plan.added + plan.changed + plan.removed)
    listed = ": " + ", ".join(stale) if stale else ""
    print(f"Stale:     {len(stale)} document(s) differ from the corpus{listed}")
    wanted = index_spec(settings, make_encoder(settings))  # model id and size only: no model load
    if wanted != manifest.spec:
        print(f"Settings:  now ask for {wanted.describe()}; the next build is a full rebuild")
    chinese_settings = settings.chinese_settings()
    if chinese_settings is not None:
        chinese = open_store(chinese_settings).read_manifest()
        built = f"{chinese.chunk_count} passages, built {chinese.built_at}" if chinese else "not built yet"
        print(f"Chinese:   questions in Chinese use a second index (e5): {built}")
    return 0


def _ensure_index(settings: Settings) -> None:
    """Build the index when none exists yet (first run on a fresh checkout)."""
    if open_store(settings).current_version() is None:
        from chatbot.pipeline import Chatbot

        log.warning("No index in %s yet: building it now.", settings.index)
        _print_report(Chatbot(settings).build(), False)


def cmd_ask(args: argparse.Namespace) -> int:
    from chatbot.pipeline import Chatbot, InvalidQuestion

    settings = _settings(args)
    _ensure_index(settings)
    try:
        answer = Chatbot(settings).ask(args.question, args.history or [])
    except InvalidQuestion as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.notice:
        print(f"({answer.notice})")
    for c in answer.citations:
        where = f", {c.location}" if c.location else ""
        print(f"\n[{c.n}] {c.title} ({c.date or 'undated'}) — {c.doc_id}{where}\n    {c.text}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from chatbot.logins import ServeError, auth_pairs
    from chatbot.pipeline import Chatbot

    settings = _settings(args)
    try:
        auth_pairs(settings)  # a bad login option fails now, before anything is built or loaded
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bot = Chatbot(settings)

    def prepare() -> None:
        if not args.no_build:
            _print_report(bot.build(), False)
        # Load the index, model and lexical aids before the first visitor, and fail here if they can't.
        bot.warm_up()
        # Then embed the sentences answers quote, while Gradio starts and after (never waited for).
        threading.Thread(target=_logged(bot.prewarm_sentences), name="prewarm", daemon=True).start()

    # Most of the warm-up runs in native code (FAISS, onnxruntime) that releases the GIL, so it
    # overlaps with importing Gradio, the slowest step of a start (measured: 7.1 s → 5.3 s).
    wait_until_prepared = _in_background(prepare)
    try:
        from chatbot.app import serve
    except KeyboardInterrupt:
        # A build killed mid-way is safe (versions switch atomically) but wastes its work.
        print("Waiting for the index build to finish (Ctrl-C again to abandon it)…", file=sys.stderr)
        wait_until_prepared()
        raise
    wait_until_prepared()
    if getattr(args, "watch", False):
        from chatbot.watch import watch_in_background

        # Questions keep using the live version while it builds; the next one after the switch
        # answers from the new version.
        watch_in_background(
            settings.corpus, lambda: bot.build(progress=False), partial(_print_report, dry_run=False)
        )
    print(f"Serving the chat on http://{settings.host}:{settings.port}", flush=True)
    serve(bot)
    return 0


def _logged(work: Callable[[], object]) -> Callable[[], None]:
    """Return `work` with any error it raises logged (a background thread's errors go nowhere else)."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("%s failed", getattr(work, "__name__", "background work"))

    return run


def _in_background(work: Callable[[], None]) -> Callable[[], None]:
    """Start `work` in a daemon thread; return a function that waits for it and re-raises its error."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            errors.append(exc)

    thread = threading.Thread(target=run, name="prepare", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if errors:
            raise errors[0]

    return wait


def cmd_llm_server(args: argparse.Namespace) -> int:
    from chatbot.llm.local import PACKAGED, LocalServer, ModelUnavailable, model_file

    settings = load_settings(llm_model=args.model)
    try:
        path = model_file(settings.llm_model, settings.llm_dir)
        server = LocalServer(path, threads=settings.llm_threads, context=settings.llm_context_tokens,
                             port=args.port)  # fmt: skip
    except ModelUnavailable as exc:
        print(f"error: {exc} (packaged: {', '.join(PACKAGED)})", file=sys.stderr)
        return 2
    print(f"{settings.llm_model} answers at {server.base_url} (Ctrl-C stops it)", flush=True)
    print(f"Point the chat at it: CHATBOT_WRITER=llm CHATBOT_LLM_BASE_URL={server.base_url} chatbot serve")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from chatbot import evaluate

    return evaluate.run(args, _settings(args))


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `chatbot` command."""
    parser = argparse.ArgumentParser(prog="chatbot", description="Investor Q&A over the Liangjiang corpus.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def folders(p: argparse.ArgumentParser) -> None:
        p.add_argument("--corpus", type=Path, help="documents folder (default: corpus/, or CHATBOT_CORPUS)")
        p.add_argument("--index", type=Path, help="index folder (default: index/, or CHATBOT_INDEX)")

    p = sub.add_parser("index", help="build or update the search index")
    folders(p)
    p.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    p.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    p.add_argument("--status", action="store_true", help="summarise the index instead of building")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--watch", action="store_true", help="keep running and rebuild when documents change")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("status", help="summarise the index")
    folders(p)
    p.set_defaults(func=cmd_status)

    def answer_stage(p: argparse.ArgumentParser) -> None:
        p.add_argument("--writer", choices=["extractive", "llm"], help="answer writer")
        p.add_argument("--reranker", choices=["heuristic", "cross-encoder"], help="sentence reranker")
        p.add_argument("--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8081/v1")
        p.add_argument("--llm-model", help="model name at the endpoint, or a packaged model to start")

    p = sub.add_parser("ask", help="answer one question")
    folders(p)
    answer_stage(p)
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("-k", type=int, help="passages to retrieve (default 5)")
    p.add_argument("--history", nargs="*", help="earlier questions of the conversation")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the chat page")
    folders(p)
    answer_stage(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument(
        "--auth", metavar="USER:PASSWORD",
        help="require this login (visible to other local users in `ps`: prefer CHATBOT_AUTH or --auth-file)",
    )
    p.add_argument("--auth-file", type=Path, help="file of USER:PASSWORD lines, one login each")
    p.add_argument("--no-build", action="store_true", help="do not update the index first")
    p.add_argument("--watch", action="store_true", help="rebuild the index when documents change")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("llm-server", help="serve a packaged local LLM on 127.0.0.1 (OpenAI-compatible)")
    p.add_argument("--model", default="qwen2.5-coder-1.5b", help="packaged model to serve")
    p.add_argument("--port", type=int, default=8081, help="port (default 8081; 0 picks a free one)")
    p.set_defaults(func=cmd_llm_server)

    p = sub.add_parser("eval", help="run question sets and write a report")
    folders(p)
    answer_stage(p)
    from chatbot.evaluate import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = make_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`chatbot ask … | head`): stop quietly, as the Python docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
