from django.core.management.base import BaseCommand

from appeals.models import Appeal
from appeals.services import appeal_set_successor, appeal_upsert

EMERGENCY_STORY = """Floods have swept through river towns after a week of record rain. More than 40,000 people have left their homes, many with nothing but what they could carry. Clean water has run out in the worst-hit districts, and clinics are treating children for diarrhoea and infected wounds.

Our volunteers were there within hours. They are running evacuation centres, handing out food parcels and hygiene kits, and trucking in safe drinking water. Mobile health teams are reaching villages that the water has cut off.

The next two weeks decide how many families can recover. Your gift goes to food, medicine, shelter and water for people who have lost everything, or wherever the need is greatest right now."""

TYPHOON_STORY = """Typhoon winds and storm surge have damaged thousands of homes along the coast. Evacuation shelters are full and many older people need help with medicine and warm meals.

Your gift supports emergency shelter, food and the volunteers who run the evacuation centres."""

EARTHQUAKE_STORY = """A strong earthquake has struck in the early hours, bringing down homes, a school and part of the district hospital. Thousands of families are sleeping outside in the cold, afraid of aftershocks.

Search and rescue teams are still at work. Our volunteers are giving first aid, setting up shelters and bringing in clean water and hot meals.

Your gift goes to shelter, medical care and water for the families who have lost their homes, or wherever the need is greatest right now."""

WINTER_STORY = """Last winter your gifts kept families warm: blankets, heaters and hot meals for people sleeping rough and for those who could not afford to heat their homes. This appeal is now closed. Thank you."""


class Command(BaseCommand):
    help = "Create or update the demo appeals (idempotent)."

    def handle(self, *args, **options):
        emergency = appeal_upsert(
            slug="emergency-appeal",
            title="Emergency Appeal: Floods",
            summary="Families have lost their homes to floods. Help us bring food, medicine, "
                    "shelter and clean water today.",
            story=EMERGENCY_STORY,
            currency="GBP",
            goal_amount=50_000_000,
            status=Appeal.Status.LIVE,
            image_alt="Relief workers hand out water and supplies at a shelter camp",
            designations=[
                ("food", "Food", "Food parcels for families in evacuation centres"),
                ("medicine", "Medicine", "Mobile clinics, first aid and medicines"),
                ("shelter", "Shelter", "Tents, blankets and emergency shelter kits"),
                ("water", "Water", "Safe drinking water and hygiene kits"),
            ],
            suggested=[
                (1000, "buys a hygiene kit for one family"),
                (2500, "feeds a family for a week"),
                (5000, "gives clean water to 10 families for a week"),
                (10000, "shelters a family with a tent and blankets"),
            ],
        )
        appeal_upsert(
            slug="typhoon-relief-japan",
            title="Typhoon Relief: Japan",
            summary="Help people whose homes were damaged by the typhoon.",
            story=TYPHOON_STORY,
            currency="JPY",
            goal_amount=10_000_000,
            status=Appeal.Status.LIVE,
            designations=[("shelter", "Shelter", ""), ("food", "Food", "")],
            suggested=[(1000, "hot meals for a family"), (3000, "a blanket and a mat"),
                       (10000, "a week in a shelter")],
        )
        # A euro appeal, so a German, French or Spanish page has one in its own currency.
        appeal_upsert(
            slug="earthquake-relief",
            title="Earthquake Relief",
            summary="Families have lost their homes in the earthquake. Help us bring shelter, "
                    "medical care and clean water.",
            story=EARTHQUAKE_STORY,
            currency="EUR",
            goal_amount=25_000_000,
            status=Appeal.Status.LIVE,
            designations=[
                ("shelter", "Shelter", "Tents, blankets and heaters for families sleeping out"),
                ("medicine", "Medicine", "First aid, field clinics and medicines"),
                ("water", "Water", "Safe drinking water and hygiene kits"),
            ],
            suggested=[
                (1000, "buys a hygiene kit for one family"),
                (2500, "gives a family blankets against the cold"),
                (5000, "brings clean water to 10 families for a week"),
                (10000, "shelters a family with a tent and a heater"),
            ],
        )
        winter = appeal_upsert(
            slug="winter-appeal-2025",
            title="Winter Appeal 2025",
            summary="Warmth for families through the winter. This appeal has closed.",
            story=WINTER_STORY,
            currency="GBP",
            goal_amount=2_000_000,
            status=Appeal.Status.CLOSED,
            suggested=[(2000, "")],
        )
        # Articles about the winter appeal still send readers: on to the live appeal.
        appeal_set_successor(appeal=winter, successor=emergency)
        self.stdout.write(self.style.SUCCESS("Demo appeals ready."))
