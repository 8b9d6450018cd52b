"""The `zkelig` command line."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from circuits.defaults import DEFAULT_DEPTH

from .cli_audit import audit_command
from .cli_ceremony import ceremony_app
from .cli_funds import funds_app
from .cli_groth16 import groth16_app
from .cli_receipt import receipt_app
from .settings import settings_help

# rich_markup_mode=None here and on every sub-app: plain help text, because rich's help formatter
# imports rich.markdown and markdown_it, half a second of every start-up.
app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, add_completion=False,
    help="zkelig: eligibility proofs that reveal nothing else.",
)
app.add_typer(groth16_app, name="groth16")
app.command("audit")(audit_command)


class _ActorGroup(TyperGroup):
    """`zkelig admin|issuer|verifier`: listed with their help at once, their commands loaded from
    service/cli_actors.py only when one of them is asked for (that module loads the preset table,
    and with it numba: half a second that every other command, and `zkelig --help`, would pay)."""

    _group = None

    def _loaded(self):
        if self._group is None:
            from . import cli_actors

            self._group = typer.main.get_command(getattr(cli_actors, f"{self.name}_app"))
        return self._group

    def list_commands(self, ctx):
        return self._loaded().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._loaded().get_command(ctx, name)


for _name, _help in (("admin", "API keys and issuer registration (admin key)."),
                     ("issuer", "Issue and revoke credentials (issuer key)."),
                     ("verifier", "Proof requests and presentations (verifier key).")):
    app.add_typer(typer.Typer(cls=_ActorGroup, no_args_is_help=True, rich_markup_mode=None), name=_name, help=_help)
app.add_typer(funds_app, name="funds")
app.add_typer(receipt_app, name="receipt")
app.add_typer(ceremony_app, name="ceremony")


@app.command()
def setup(
    keys: Path = typer.Option(None, help="keys root (default: $ZKELIG_KEYS or .zkelig/keys)"),
    depth: int = typer.Option(DEFAULT_DEPTH, min=1, max=32, help="issuer tree depth"),
    queries: int = typer.Option(4, "--queries", "-q", min=1, max=16, help="queries per proof (Q)"),
    values: int = typer.Option(8, "--values", "-m", min=2, max=16, help="values per query (M)"),
) -> None:
    """Generate (or check and reuse) the credential query circuit's keys. Exit codes: 0 done."""
    from rich.progress import Progress

    from .keys import ensure_keys

    with Progress(transient=True) as bar:
        task = bar.add_task("setup", total=None)
        keyset = ensure_keys(keys, depth, queries, values, progress=lambda step: bar.update(task, description=step),
                             replace_stale=True)
    meta = keyset.metadata
    typer.echo(f"{keyset.directory}: {meta['constraints']} constraints, vk sha256 {meta['vk_digest']}")
    typer.echo(meta["provenance"])


@app.command(epilog=settings_help())
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    workers: int = typer.Option(1, min=1, max=64, help="worker processes (each a ledger replica)"),
    # These options override their ZKELIG_* settings (listed below the options); the settings read the rest.
    database: str = typer.Option(None, help="ledger database URL (default: SQLite in the data directory)"),
    data_dir: Path = typer.Option(None, help="data directory (ledger key, SQLite file); default .zkelig/data"),
    admin_key: str = typer.Option(None, help="the admin API key (at least 128 bits)"),
    forwarded_allow_ips: str = typer.Option(
        None, help="comma-separated proxy addresses whose X-Forwarded-For is trusted (default: none; rate limits "
                   "then count the TCP peer)"),
    init: bool = typer.Option(False, "--init",
                              help="create what is missing: circuit keys, ledger key, database tables"),
    dev_setup: bool = typer.Option(
        False, "--dev-setup", help="serve keys from `zkelig setup` (single party: whoever ran it can forge proofs)"),
) -> None:
    """Run the HTTP service (uvicorn). Workers share the database; each catches up on the others' entries.

    Refuses to start without circuit keys (`zkelig setup`) and a ledger unless --init is given, and
    prints the data directory, database, ledger public key and verifying-key digest it serves.
    Exit codes: 2 if it cannot start (the line on stderr says why and what to do)."""
    import uvicorn

    from .cli_errors import Refused, fail
    from .settings import Settings, SettingsRefused, check_settings, pass_to_workers
    from .startup import check

    pass_to_workers(database_url=database, data_dir=data_dir, admin_key=admin_key, dev_setup=dev_setup,
                    forwarded_allow_ips=forwarded_allow_ips)
    try:
        settings = Settings()
        check_settings(settings)
        found = check(settings, init)  # once, before workers start
    except (SettingsRefused, Refused) as err:
        fail(str(err))
    for line in found.lines():
        typer.echo(line)
    # Without trusted proxies uvicorn must not read X-Forwarded-For at all (its default trusts loopback,
    # so one client could claim a new address per request and escape every per-client limit).
    proxies = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies))


@app.command()
def demo() -> None:
    """Run the end-to-end story on this machine. Exit codes: 0 every check passed, 1 a check failed,
    2 its local service stopped answering."""
    import httpx

    from .cli_errors import fail
    from .demo import run_demo

    try:
        code = run_demo()
    except httpx.TransportError as err:  # not a refusal from the service: that is a bug, and shows as one
        fail(f"the demo's local service stopped answering ({type(err).__name__}); run `zkelig demo` again")
    raise typer.Exit(code)
