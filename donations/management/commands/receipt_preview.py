"""See a receipt as its donor gets it, without a mail server: the email (.eml, opens in any
mail client), its HTML and text bodies, and the PDF, written to a folder."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from donations.models import Receipt
from donations.receipts.documents import receipt_email


class Command(BaseCommand):
    help = ("Write receipt NUMBER (default: the latest) as the donor gets it, to --output "
            "(default var/receipts/): NUMBER.eml, NUMBER.html, NUMBER.txt and NUMBER.pdf. "
            "Nothing is sent or recorded.")

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", help="e.g. LL-2026-000001; default: the latest")
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "var" / "receipts"))

    def handle(self, *args, number, output, **options):
        receipts = Receipt.objects.select_related("donation__appeal", "donation__designation")
        receipt = (receipts.filter(number=number) if number else receipts).first()
        if receipt is None:
            raise CommandError(f"No receipt {number}." if number else "No receipt yet: give "
                               "on the demo appeal first (card 4242 4242 4242 4242).")
        message = receipt_email(receipt)
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / receipt.number
        files = {
            ".eml": message.message().as_bytes(),
            ".txt": message.body.encode(),
            ".html": message.alternatives[0][0].encode(),
            ".pdf": message.attachments[0][1],
        }
        for suffix, content in files.items():
            stem.with_suffix(suffix).write_bytes(content)
            self.stdout.write(str(stem.with_suffix(suffix)))
