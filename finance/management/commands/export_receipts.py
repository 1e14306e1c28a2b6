import os
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from finance import exports, selectors, services
from finance.management.commands._period import add_period_arguments, period_from_options
from finance.models import ExportLog

FORMATS = {"csv": ExportLog.Kind.RECEIPTS_CSV, "xlsx": ExportLog.Kind.RECEIPTS_XLSX}


class Command(BaseCommand):
    help = "Write the receipts export (SPEC's columns) for a period to a CSV or XLSX file."

    def add_arguments(self, parser):
        add_period_arguments(parser)
        # Checked in handle(), not by argparse `choices`, so the message names the formats.
        parser.add_argument("--format", default="csv", help="csv (default) or xlsx.")
        parser.add_argument("--output", required=True, metavar="PATH")

    def handle(self, *args, format, output, **options):
        if format not in FORMATS:
            raise CommandError(f"--format must be csv or xlsx, not {format!r}.")
        period = period_from_options(options)
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"--output: the folder {str(target.parent)!r} does not exist.")
        log = services.export_log_start(kind=FORMATS[format], period=period, source="command")
        count = 0

        def counted():
            nonlocal count
            for row in selectors.receipt_rows(period):
                count += 1
                yield row

        # Written beside the target and renamed into place: a failed run leaves no half file.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                if format == "csv":
                    for line in exports.receipts_csv(counted()):
                        out.write(line.encode())
                else:
                    with exports.receipts_xlsx(counted()) as xlsx:
                        shutil.copyfileobj(xlsx, out)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        services.export_log_finish(log_id=log.pk, row_count=count)
        self.stdout.write(f"Wrote {count} receipt(s) to {target}.")
