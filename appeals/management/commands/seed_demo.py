from django.core.management.base import BaseCommand

from appeals.models import Appeal
from appeals.services import appeal_set_successor, appeal_translate, appeal_upsert

EMERGENCY_STORY = """Floods have swept through river towns after a week of record rain. More than 40,000 people have left their homes, many with nothing but what they could carry. Clean water has run out in the worst-hit districts, and clinics are treating children for diarrhoea and infected wounds.

Our volunteers were there within hours. They are running evacuation centres, handing out food parcels and hygiene kits, and trucking in safe drinking water. Mobile health teams are reaching villages that the water has cut off.

The next two weeks decide how many families can recover. Your gift goes to food, medicine, shelter and water for people who have lost everything, or wherever the need is greatest right now."""

TYPHOON_STORY = """Typhoon winds and storm surge have damaged thousands of homes along the coast. Evacuation shelters are full and many older people need help with medicine and warm meals.

Your gift supports emergency shelter, food and the volunteers who run the evacuation centres."""

EARTHQUAKE_STORY = """A strong earthquake has struck in the early hours, bringing down homes, a school and part of the district hospital. Thousands of families are sleeping outside in the cold, afraid of aftershocks.

Search and rescue teams are still at work. Our volunteers are giving first aid, setting up shelters and bringing in clean water and hot meals.

Your gift goes to shelter, medical care and water for the families who have lost their homes, or wherever the need is greatest right now."""

WINTER_STORY = """Last winter your gifts kept families warm: blankets, heaters and hot meals for people sleeping rough and for those who could not afford to heat their homes. This appeal is now closed. Thank you."""


# The earthquake appeal in the donors' other languages: title, summary, designations (name,
# description), the suggested amounts' impact lines.
EARTHQUAKE_TRANSLATIONS = {
    "de": dict(
        title="Erdbebenhilfe",
        summary="Familien haben beim Erdbeben ihr Zuhause verloren. Helfen Sie uns, Unterkünfte, "
                "medizinische Hilfe und sauberes Wasser zu bringen.",
        designations={
            "shelter": ("Unterkunft", "Zelte, Decken und Heizöfen für Familien, die im Freien "
                                      "schlafen"),
            "medicine": ("Medizin", "Erste Hilfe, Feldkliniken und Medikamente"),
            "water": ("Wasser", "Sauberes Trinkwasser und Hygienesets")},
        impacts={1000: "kauft ein Hygieneset für eine Familie",
                 2500: "schenkt einer Familie Decken gegen die Kälte",
                 5000: "bringt 10 Familien eine Woche lang sauberes Wasser",
                 10000: "gibt einer Familie ein Zelt und einen Heizofen"}),
    "fr": dict(
        title="Aide aux victimes du séisme",
        summary="Des familles ont perdu leur maison dans le séisme. Aidez-nous à apporter un abri, "
                "des soins et de l’eau potable.",
        designations={
            "shelter": ("Abri", "Tentes, couvertures et chauffages pour les familles qui dorment "
                                "dehors"),
            "medicine": ("Soins", "Premiers secours, cliniques de campagne et médicaments"),
            "water": ("Eau", "Eau potable et kits d’hygiène")},
        impacts={1000: "offre un kit d’hygiène à une famille",
                 2500: "donne à une famille des couvertures contre le froid",
                 5000: "apporte de l’eau potable à 10 familles pendant une semaine",
                 10000: "abrite une famille avec une tente et un chauffage"}),
    "es": dict(
        title="Ayuda tras el terremoto",
        summary="Muchas familias han perdido su hogar en el terremoto. Ayúdanos a llevar refugio, "
                "atención médica y agua potable.",
        designations={
            "shelter": ("Refugio", "Tiendas, mantas y estufas para familias que duermen a la "
                                   "intemperie"),
            "medicine": ("Medicinas", "Primeros auxilios, clínicas de campaña y medicamentos"),
            "water": ("Agua", "Agua potable y kits de higiene")},
        impacts={1000: "compra un kit de higiene para una familia",
                 2500: "da a una familia mantas contra el frío",
                 5000: "lleva agua potable a 10 familias durante una semana",
                 10000: "da refugio a una familia con una tienda y una estufa"}),
    "pl": dict(
        title="Pomoc po trzęsieniu ziemi",
        summary="Rodziny straciły domy w trzęsieniu ziemi. Pomóż nam zapewnić schronienie, opiekę "
                "medyczną i czystą wodę.",
        designations={
            "shelter": ("Schronienie", "Namioty, koce i grzejniki dla rodzin śpiących pod gołym "
                                       "niebem"),
            "medicine": ("Leki", "Pierwsza pomoc, szpitale polowe i leki"),
            "water": ("Woda", "Czysta woda pitna i zestawy higieniczne")},
        impacts={1000: "to zestaw higieniczny dla jednej rodziny",
                 2500: "to koce chroniące rodzinę przed zimnem",
                 5000: "to czysta woda dla 10 rodzin przez tydzień",
                 10000: "to namiot i grzejnik dla jednej rodziny"}),
    "uk": dict(
        title="Допомога після землетрусу",
        summary="Родини втратили домівки через землетрус. Допоможіть нам забезпечити прихисток, "
                "медичну допомогу та чисту воду.",
        designations={
            "shelter": ("Прихисток", "Намети, ковдри й обігрівачі для родин, які ночують просто "
                                     "неба"),
            "medicine": ("Ліки", "Перша допомога, польові клініки та медикаменти"),
            "water": ("Вода", "Чиста питна вода та гігієнічні набори")},
        impacts={1000: "гігієнічний набір для однієї родини",
                 2500: "ковдри, що зігріють родину",
                 5000: "чиста вода для 10 родин на тиждень",
                 10000: "намет і обігрівач для однієї родини"}),
    "ar": dict(
        title="إغاثة متضرري الزلزال",
        summary="فقدت عائلات منازلها في الزلزال. ساعدنا في توفير المأوى والرعاية الطبية والمياه "
                "النظيفة.",
        designations={
            "shelter": ("المأوى", "خيام وبطانيات ومدافئ للعائلات التي تنام في العراء"),
            "medicine": ("الدواء", "إسعافات أولية وعيادات ميدانية وأدوية"),
            "water": ("المياه", "مياه شرب نظيفة وحقائب نظافة")},
        impacts={1000: "يوفّر حقيبة نظافة لعائلة واحدة",
                 2500: "يمنح عائلة بطانيات تقيها البرد",
                 5000: "يوفّر مياهًا نظيفة لعشر عائلات لمدة أسبوع",
                 10000: "يؤوي عائلة بخيمة ومدفأة"}),
}


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
        earthquake = appeal_upsert(
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
        # Its own text in every language but the story (which falls back to English).
        for language, text in EARTHQUAKE_TRANSLATIONS.items():
            appeal_translate(appeal=earthquake, language=language, **text)
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
