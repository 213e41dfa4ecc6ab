"""`tutor backup`: make, list and restore backups of the learner's database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from tutor.cli import cli, echo_json, progress_bar, tutor_from


def _when(made: datetime) -> str:
    return made.astimezone().strftime("%Y-%m-%d %H:%M")


@cli.command("backup")
@click.option("--list", "only_list", is_flag=True, help="List the backups; make none.")
@click.option("--restore", "restore_from", metavar="FILE",
              help="Restore this backup (a path, or a name from the list).")  # fmt: skip
@click.option("--keep", type=int, metavar="N", help="Keep the newest N backups (default 14).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def backup_command(only_list: bool, restore_from: str | None, keep: int | None,
                   as_json: bool) -> None:  # fmt: skip
    """Back up your data now and list the backups, or restore one.

    A backup is also made by itself on the first use of each day and before every
    upgrade of the data's schema, in the `backups` folder of the data dir. A restore
    checks the backup's integrity first and backs up the current data before
    replacing it, so it can be taken back the same way.
    """
    if restore_from and (only_list or keep is not None):
        raise click.UsageError("--restore takes no other option")
    tutor = tutor_from()
    if restore_from:
        if as_json:
            report = tutor.restore(Path(restore_from))
            echo_json(report.to_dict())
            return
        with progress_bar() as bar:
            report = tutor.restore(
                Path(restore_from), progress=lambda done, total: bar("restoring", done, total)
            )
        click.echo(
            f"Restored {report.source.name}: {report.cards} cards, {report.reviews} reviews."
        )
        if report.safety_backup:
            click.echo(f"The data it replaced is in {report.safety_backup}")
        return
    made = None
    if not only_list:
        made = tutor.backup(keep=keep)
    backups = tutor.backups()
    if as_json:
        echo_json(
            {
                "made": made.to_dict() if made else None,
                "folder": str(tutor.db_path.parent / "backups"),
                "backups": [b.to_dict() for b in backups],
            }
        )
        return
    if made:
        click.echo(f"Backed up to {made.path}")
    if not backups:
        click.echo("No backups yet.")
        return
    click.echo(f"Backups in {backups[0].path.parent} (newest first):")
    for b in backups:
        click.echo(f"  {b.path.name}  {_when(b.made_at)}  {b.reason:<22} {b.size / 1e6:6.1f} MB")
