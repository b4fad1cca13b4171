"""``fakedetect collect``: watch accounts daily and build their histories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import ConfigOpt, app, echo, load


@app.command("collect")
def collect_cmd(
    watchlist: Annotated[Path | None, typer.Argument(
        metavar="WATCHLIST", help="Usernames to watch: one a line, or a CSV with a "
                                  "username column.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Dataset folder to append to (created when missing).")] = None,
    status: Annotated[Path | None, typer.Option(
        "--status", metavar="DATASET", help="Show each account's history in DATASET "
                                            "(days, first and last day, gaps) and exit.")]
    = None,
    posts: Annotated[int, typer.Option(help="Newest posts to fetch per account.")] = 12,
    comments: Annotated[int, typer.Option(
        help="Comments to sample per post (needs --login).")] = 0,
    audience: Annotated[int, typer.Option(
        help="Followers to sample per account with their counters (needs --login).")] = 0,
    login: Annotated[str | None, typer.Option(
        help="Use the session that `instaloader --login USER` saved (no password is "
             "asked or stored).")] = None,
    session_file: Annotated[Path | None, typer.Option(
        "--session-file", help="The instaloader session file, when not in its default "
                               "place.", dir_okay=False)] = None,
    max_accounts: Annotated[int | None, typer.Option(
        "--max-accounts-per-run", help="Collect at most this many accounts; the rest go "
                                       "first next run.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
    = False,
    config: ConfigOpt = None,
) -> int:
    """Fetch each watched account and append today's snapshot, posts and samples.

    Run it daily (e.g. from cron): each run adds one snapshot per account and day (a
    rerun the same day replaces it), which builds the follower history that growth
    features need. Exits 4 when the platform refused some account (private, gone,
    login required, rate limited); the others are written.
    """
    from fakedetect.errors import UserError

    load(config)  # a broken configuration is reported before any request
    if status is not None:
        from fakedetect.collect import collect_status, status_lines

        rows = collect_status(status)
        if as_json:
            echo(json.dumps([vars(r) for r in rows], indent=2))
        else:
            for line in status_lines(rows, status):
                echo(line)
        return 0
    if watchlist is None or out is None:
        raise UserError("collect needs a WATCHLIST and --out DATASET (or --status DATASET)",
                        hint="e.g. fakedetect collect watch.txt --out data/watched")
    from fakedetect.collect import CollectOptions, collect, make_client, read_watchlist
    from fakedetect.io import check_output_folder

    names = read_watchlist(watchlist)
    check_output_folder(out)
    options = CollectOptions(posts=posts, comments=comments, audience=audience,
                             max_accounts=max_accounts)
    client = make_client(login, session_file)
    options.check(client.logged_in)
    from fakedetect.progress import ProgressBar

    existed = out.exists()
    try:
        with ProgressBar("collect", unit="accounts") as bar:
            summary = collect(names, out, client, options,
                              on_account=lambda done, total, _name: bar(done, total))
    finally:
        if not existed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # nothing was collected: leave no empty dataset behind
    if as_json:
        echo(json.dumps(summary.as_dict(), indent=2))
    else:
        from fakedetect.cli._common import verbose_requested

        for line in summary.lines(verbose=verbose_requested()):
            echo(line, err=line.startswith(("skipped", "partial", "not attempted")))
    return summary.exit_code
