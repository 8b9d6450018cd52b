"""`zkelig audit --follow`: the monitor's command line (service.monitor does the checking).

Prints one line per verified signed head (a JSON object per line with --json). Exit codes: 0 after
--max-polls rounds without an inconsistency, 1 on the first inconsistency (evidence written to
--evidence), 2 unusable input (a bad state file, a checkpoint file that is not a checkpoint).

The ledger key is --public-key (or --key-file) if given, else the first URL's on the first run
(trust on first use); either way it is kept in the state file and every later head must verify
under it. A source that does not answer is reported and retried; it never ends the monitor.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from zkcore.errors import InvalidEncoding


def follow(urls: list[str], checkpoint_files: list[Path], state_file: Path | None, public_key: bytes | None,
           as_json: bool, interval: float, max_polls: int | None, evidence_file: Path | None) -> None:
    from .ledger.checkpoint import SignedHead
    from .monitor import HttpSource, Monitor, MonitorState, SplitView, Unreachable

    if not urls:
        raise typer.BadParameter("--follow needs at least one --url")
    if state_file is None:
        raise typer.BadParameter("--follow needs --state FILE (where the last verified heads are kept)")
    try:
        state = MonitorState.load(state_file)
    except InvalidEncoding as err:
        raise typer.BadParameter(f"{err}; move it aside to start over") from None
    if public_key is not None:
        if state.public_key not in (None, public_key):
            raise typer.BadParameter(f"{state_file} was started with another ledger key")
        state.public_key = public_key
    pinned = []
    for path in checkpoint_files or []:
        try:
            text = path.read_text()
            SignedHead.from_text(text)
        except (OSError, UnicodeDecodeError, InvalidEncoding) as err:
            raise typer.BadParameter(f"{path} is not a checkpoint ({err})") from None
        pinned.append((str(path), text))
    evidence_file = evidence_file or state_file.with_name(state_file.name + ".evidence.json")
    monitor = Monitor([HttpSource(url) for url in urls], state, pinned)

    def say(event: dict, line: str) -> None:
        typer.echo(json.dumps(event, sort_keys=True) if as_json else line)

    def verified(v) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v.head.timestamp_ms / 1000))
        say(v.to_json(),
            f"verified {v.source}: size {v.head.size}, signed {stamp} UTC, {v.entries_checked} new entries")

    polls = 0
    while True:
        try:
            monitor.poll(verified)
        except SplitView as err:
            evidence_file.write_text(json.dumps(err.evidence(), indent=1))
            state.save(state_file)
            say({"event": "inconsistent", "problem": err.problem, "evidence": str(evidence_file)},
                f"INCONSISTENT: {err.problem} (evidence in {evidence_file})")
            raise typer.Exit(1) from None
        except Unreachable as err:
            say({"event": "unreachable", "problem": str(err)}, f"unreachable, retrying: {err}")
        state.save(state_file)
        polls += 1
        if max_polls is not None and polls >= max_polls:
            return
        time.sleep(interval)
