import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from donations.services.personal_data import RETAINED, donor_data_erase, donor_data_export


class Command(BaseCommand):
    help = ("One donor's personal data (UK GDPR): --export PATH writes everything held about "
            "EMAIL as JSON; --erase anonymises it, keeping what finance and HMRC must keep.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--export", metavar="PATH", help="Write the JSON here ('-': stdout).")
        parser.add_argument("--erase", action="store_true", help="Anonymise the donor.")

    def handle(self, *args, email, export, erase, **options):
        if not export and not erase:
            raise CommandError("Say --export PATH, --erase, or both (the export first).")
        # Reports to stdout, unless the JSON itself goes there.
        out = self.stderr if export == "-" else self.stdout
        if export:
            data = donor_data_export(email=email)
            text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            if export == "-":
                self.stdout.write(text)
            else:
                Path(export).write_text(text + "\n", encoding="utf-8")
                out.write(f"Exported {len(data['donations'])} donation(s) and "
                                  f"{len(data['blocked_attempts'])} blocked attempt(s) for "
                                  f"{email} to {export}.")
        if erase:
            result = donor_data_erase(email=email)
            if not result.donations and not result.blocked_attempts:
                raise CommandError(f"Nothing is held under {email}: nothing erased.")
            out.write(
                f"Erased {email} from {result.donations} donation(s) and "
                f"{result.blocked_attempts} blocked attempt(s). Name and home address kept on "
                f"{len(result.kept_for_hmrc)} Gift Aid donation(s) for HMRC. {RETAINED}"
            )
