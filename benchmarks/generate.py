"""Deterministic generator for realistic Krasse-Links issues.

Benchmarks and tests need many issues that look like the real thing (front matter, intro,
`---`-separated link items, blockquotes, lists, footnotes, German typography, angle-bracket
quotation marks) without shipping anybody's real writing. Everything here is built from the
invented word and phrase lists below, driven by a seeded `random.Random`, so the same arguments
always produce byte-identical output.

Usage: ``python benchmarks/generate.py --count 10 --out /tmp/x``
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Word material (all invented). Subjects are nominative singular with their article, predicates
# are (finite verb, rest) pairs so that a sentence can be built in main-clause order, inverted
# order after an adverbial, or verb-final order in a subordinate clause.
# ---------------------------------------------------------------------------------------------

SUBJECTS: tuple[tuple[str, str], ...] = (
    ("die", "Plattform"),
    ("der", "Konzern"),
    ("die", "Öffentlichkeit"),
    ("die", "Plattformökonomie"),
    ("die", "Überwachung"),
    ("das", "Netz"),
    ("der", "Algorithmus"),
    ("die", "Redaktion"),
    ("die", "Aufsichtsbehörde"),
    ("das", "Sprachmodell"),
    ("der", "Feed"),
    ("die", "Gemeinde"),
    ("das", "Rechenzentrum"),
    ("die", "Werbeindustrie"),
    ("der", "Gesetzgeber"),
    ("die", "Kommission"),
    ("das", "Kartellamt"),
    ("die", "Lokalzeitung"),
    ("der", "Risikokapitalgeber"),
    ("die", "Suchmaschine"),
    ("das", "Start-up"),
    ("die", "Branche"),
    ("die", "Ökonomie der Aufmerksamkeit"),
    ("der", "Newsletter"),
    ("die", "Verwaltung"),
    ("das", "Ministerium"),
    ("die", "Gewerkschaft"),
    ("der", "Chiphersteller"),
    ("die", "Moderationsabteilung"),
    ("das", "föderierte Netzwerk"),
    ("der", "Markt"),
    ("die", "Debatte"),
    ("die", "Regierung"),
    ("die", "Stadtbibliothek"),
    ("der", "Datenschutz"),
    ("die", "Kreativwirtschaft"),
    ("das", "Geschäftsmodell"),
    ("der", "Netzbetreiber"),
    ("die", "Stiftung"),
    ("der", "Branchenverband"),
    ("das", "Landesparlament"),
    ("die", "Straßenbahn"),
    ("der", "Messenger"),
    ("die", "Wochenzeitung"),
    ("der", "Onlinehändler"),
)

ADJECTIVES: tuple[str, ...] = (
    "neu",
    "groß",
    "mächtig",
    "öffentlich",
    "digital",
    "europäisch",
    "zentral",
    "klein",
    "alt",
    "lokal",
    "träge",
    "nervös",
    "hungrig",
    "übermächtig",
    "größenwahnsinnig",
    "überfordert",
    "müde",
    "ehrgeizig",
    "verschuldet",
    "gefräßig",
    "höflich",
    "überraschend ehrlich",
)

PREDICATES: tuple[tuple[str, str], ...] = (
    ("verschiebt", "die Macht zugunsten weniger Anbieter"),
    ("verändert", "die Spielregeln der Öffentlichkeit"),
    ("frisst", "die Aufmerksamkeit der Leserinnen"),
    ("braucht", "mehr Strom als ein mittelgroßes Stahlwerk"),
    ("kennt", "keine Grenze außer der eigenen Bilanz"),
    ("ersetzt", "die Redaktion durch ein Dashboard"),
    ("behandelt", "Nutzerinnen und Nutzer wie Rohstoff"),
    ("misst", "Erfolg nur noch in Klicks"),
    ("profitiert", "von der allgemeinen Unsicherheit"),
    ("lebt", "von der Hoffnung auf den nächsten Hype"),
    ("verwandelt", "jedes Gespräch in eine Kennzahl"),
    ("unterschätzt", "die Trägheit der Institutionen"),
    ("überschätzt", "die eigene Unverzichtbarkeit"),
    ("sammelt", "Daten über jede Bewegung auf der Straße"),
    ("schafft", "Abhängigkeiten für die nächsten zwanzig Jahre"),
    ("zerstört", "das Vertrauen in gemeinsame Tatsachen"),
    ("erzeugt", "mehr Lärm als Erkenntnis"),
    ("gewinnt", "an Einfluss in den Hinterzimmern"),
    ("verliert", "den Kontakt zur eigenen Basis"),
    ("wird", "zum Türsteher der Öffentlichkeit"),
    ("bleibt", "ein Versprechen ohne Deckung"),
    ("gerät", "zunehmend unter Druck"),
    ("folgt", "dem Takt der Quartalszahlen"),
    ("verlangt", "blindes Vertrauen ohne jede Gegenleistung"),
    ("setzt", "auf Skalierung um jeden Preis"),
    ("kontrolliert", "den Zugang zu Millionen Menschen"),
    ("verdrängt", "kleinere Anbieter vom Markt"),
    ("beschleunigt", "die Konzentration der Medienmacht"),
    ("verwaltet", "den Mangel mit erstaunlicher Gelassenheit"),
    ("ignoriert", "jede Kritik aus der Zivilgesellschaft"),
    ("produziert", "Inhalte im Akkord"),
    ("belohnt", "Empörung stärker als Sorgfalt"),
    ("bestimmt", "den Rhythmus der Debatte"),
    ("erklärt", "sich selbst zur Infrastruktur"),
    ("spricht", "auffallend gern von Verantwortung"),
    ("hängt", "am Tropf weniger Großkunden"),
    ("steht", "vor einem ziemlich großen Problem"),
    ("scheitert", "an der eigenen Größe"),
    ("verkauft", "Zeitpläne statt Produkte"),
    ("übersetzt", "politische Fragen in technische Details"),
    ("macht", "aus Öffentlichkeit ein Geschäftsmodell"),
    ("verteilt", "Risiken nach unten und Gewinne nach oben"),
    ("sucht", "verzweifelt nach einem tragfähigen Geschäftsmodell"),
    ("füttert", "die Modelle mit fremder Arbeit"),
    ("ändert", "nichts an den Grundproblemen"),
    ("braucht", "dringend eine öffentliche Alternative"),
    ("erinnert", "an die Eisenbahnspekulation des neunzehnten Jahrhunderts"),
    ("wächst", "schneller als jede Kontrolle"),
    ("gehört", "am Ende einer Handvoll Aktionäre"),
    ("schweigt", "zu den entscheidenden Fragen"),
    ("träumt", "von einer Welt ohne Betriebsrat"),
    ("versteht", "Regulierung als Marketingproblem"),
    ("baut", "Serverhallen auf ehemaligen Äckern"),
    ("bezahlt", "die Zeche für fremde Versprechen"),
    ("übernimmt", "stillschweigend die Aufgaben des Staates"),
    ("verwechselt", "Reichweite mit Relevanz"),
)

OPENERS: tuple[str, ...] = (
    "Im Grunde",
    "Natürlich",
    "Spätestens seit diesem Sommer",
    "Auf lange Sicht",
    "Ausgerechnet jetzt",
    "Am Ende",
    "In der Praxis",
    "Ganz nebenbei",
    "Seit Jahren",
    "Vermutlich",
    "Offensichtlich",
    "Gleichzeitig",
    "Trotzdem",
    "Inzwischen",
    "Erstaunlicherweise",
    "Schon heute",
    "Bis auf Weiteres",
    "Hinter den Kulissen",
    "Zumindest auf dem Papier",
    "Über kurz oder lang",
    "Nach allem, was man hört,",
    "Außerhalb der Großstädte",
    "Bei genauerem Hinsehen",
)

SUBORDINATORS: tuple[str, ...] = ("weil", "obwohl", "während", "solange", "sobald", "wenn", "da")

# Contested terms that the newsletter sets in angle brackets, e.g. "die <Wende>".
ANGLE_TERMS: tuple[tuple[str, str], ...] = (
    ("die", "Wende"),
    ("der", "Moment"),
    ("die", "Vernunft"),
    ("der", "Fortschritt"),
    ("die", "Innovation"),
    ("die", "Effizienz"),
    ("der", "Sachzwang"),
    ("der", "Realismus"),
    ("die", "Größe"),
    ("die", "Skalierung"),
    ("die", "Hardware-Wende"),
)

# Pairs of (marketing word, plain word) for sentences with „…“ quotation marks.
EUPHEMISMS: tuple[tuple[str, str], ...] = (
    ("Ökosystem", "Abhängigkeit"),
    ("Engagement", "Erregung"),
    ("Effizienzgewinn", "Stellenabbau"),
    ("Community", "Kundschaft"),
    ("Personalisierung", "Überwachung"),
    ("Partnerschaft", "Lizenzdeal"),
    ("Innovation", "Preiserhöhung"),
    ("Skalierung", "Größenwahn"),
    ("Optimierung", "Kürzung"),
    ("Markenintegrität", "Anzeigenschutz"),
    ("Souveränität", "ein anderer Standort für dieselben Server"),
)

REMARKS: tuple[str, ...] = (
    "Das ist keine Kleinigkeit.",
    "Man muss das zweimal lesen.",
    "Ich halte das für einen Fehler, und zwar für einen teuren.",
    "Daran ändert auch der nächste Quartalsbericht nichts.",
    "Das Muster kennen wir.",
    "Überraschend ist daran eigentlich nur, dass es niemanden überrascht.",
    "Ich wünschte, ich könnte widersprechen.",
    "Mehr muss man dazu eigentlich nicht sagen – aber ich tue es trotzdem.",
    "Es ist, wie so oft, eine Frage der Macht.",
    "Das klingt abstrakt, ist aber sehr konkret.",
    "So weit, so bekannt.",
    "Und genau da wird es interessant.",
    "Man ahnt, wie das ausgeht …",
    "Ich bin gespannt, wie lange das gut geht.",
    "Das ist nicht zynisch gemeint, sondern nüchtern.",
    "Wer das für übertrieben hält, möge sich die Zahlen anschauen.",
    "Die Ironie dürfte niemandem entgehen.",
    "Es lohnt sich, hier genauer hinzuschauen.",
    "Der Schaden ist größer, als man auf den ersten Blick denkt.",
    "Dafür gibt es ein schönes deutsches Wort: Sachzwang.",
    "Niemand hat das beschlossen, und trotzdem ist es passiert.",
    "Man könnte darüber lachen, wenn es nicht so ernst wäre.",
    "Die Antwort ist, wie meistens, „es kommt darauf an“.",
    "Das Schöne an Kurven ist, dass sie irgendwann umkippen.",
    "Ich lasse das einfach mal so stehen.",
    "Wer genau hinsieht, erkennt die Handschrift der Buchhaltung.",
    "Das Wort ‚alternativlos‘ fällt zwar nicht, aber man hört es mitschwingen.",
    "Am Schweizer Stammtisch hieße das wohl «vorwärtsmachen».",
    "Die Straße vor dem Rathaus ist dafür kein schlechtes Bild.",
    "Es ist eben leichter, einen Server zu genehmigen als eine Straßenbahn.",
)

FIRST_NAMES: tuple[str, ...] = (
    "Merle",
    "Jonte",
    "Ilka",
    "Bastian",
    "Hanna",
    "Tomasz",
    "Farah",
    "Jorinde",
    "Saskia",
    "Dörte",
    "Malte",
    "Yasemin",
    "Götz",
    "Anouk",
    "Ruben",
    "Liesel",
    "Korbinian",
    "Elif",
    "Björn",
    "Wiebke",
)

LAST_NAMES: tuple[str, ...] = (
    "Haberkorn",
    "Petersen",
    "Sommerfeld",
    "Kohlhase",
    "Ebersbach",
    "Wierzbicki",
    "Osterloh",
    "Maas",
    "Brandt",
    "Lindqvist",
    "Grünewald",
    "Öztürk",
    "Weißhaupt",
    "Fröhlich",
    "Kästner",
    "Bräutigam",
    "Ostermann",
    "Schüßler",
    "Vogelsang",
    "Rautenberg",
)

# (dative phrase used in running text, slug for the invented domain)
OUTLETS: tuple[tuple[str, str], ...] = (
    ("im Magazin Netzlage", "netzlage"),
    ("in der Wochenzeitung Der Ostwind", "ostwind-zeitung"),
    ("im Blog Randnotizen", "randnotizen"),
    ("beim Branchendienst Plattformpost", "plattformpost"),
    ("im Podcast Slow Compute", "slowcompute"),
    ("in der Fachzeitschrift Medienhefte", "medienhefte"),
    ("beim Institut für Infrastrukturfolgen", "infrastrukturfolgen"),
    ("im Kreisanzeiger", "kreisanzeiger"),
    ("in der Zeitschrift Politik im Quartal", "politik-quartal"),
    ("beim Wirtschaftsdienst Kapitalfluss", "kapitalfluss"),
    ("im Debattenportal Straßenfeger", "strassenfeger"),
    ("in der Beilage Größenordnung", "groessenordnung"),
)

TLDS: tuple[str, ...] = ("example.org", "example.com", "example.de", "example.net", "example.eu")

# Topics in the accusative, because they are only ever used after "über" and "um".
TOPICS: tuple[str, ...] = (
    "die Plattformökonomie",
    "die Überwachung im Alltag",
    "die Ökonomie der Aufmerksamkeit",
    "den Strombedarf der Rechenzentren",
    "die Krise des Lokaljournalismus",
    "die Zukunft föderierter Netzwerke",
    "die Altersprüfung im Netz",
    "die Arbeit der Moderationsteams",
    "die Politik der Netzanschlüsse",
    "die Macht der Suchmaschinen",
    "die Ermüdung der Öffentlichkeit",
    "das Urheberrecht im Maschinenzeitalter",
    "die Straßen der smarten Stadt",
    "die Größenfantasien der Branche",
)

# (accusative article, noun, gender) for link texts like "einen klugen Essay über …".
DOCUMENTS: tuple[tuple[str, str, str], ...] = (
    ("einen", "Text", "m"),
    ("einen", "Essay", "m"),
    ("einen", "Bericht", "m"),
    ("eine", "Analyse", "f"),
    ("eine", "Reportage", "f"),
    ("eine", "Studie", "f"),
    ("eine", "Recherche", "f"),
    ("ein", "Interview", "n"),
    ("ein", "Gutachten", "n"),
    ("ein", "Positionspapier", "n"),
)

LINK_ADJECTIVES: tuple[str, ...] = (
    "klug",
    "lesenswert",
    "lang",
    "bemerkenswert",
    "nüchtern",
    "bitterböse",
    "gründlich",
    "ausführlich",
    "wütend",
    "erhellend",
    "kurz",
    "überraschend",
)

PARTICIPLES: tuple[str, ...] = ("veröffentlicht", "geschrieben", "aufgeschrieben", "vorgelegt")

QUOTE_INTROS: tuple[str, ...] = (
    "{last} bringt es auf den Punkt:",
    "Die zentrale Passage lautet:",
    "Dort heißt es wörtlich:",
    "Besonders hängen geblieben ist mir dieser Absatz:",
    "Man muss sich diesen Satz auf der Zunge zergehen lassen:",
    "{first} {last} formuliert es so:",
    "Der entscheidende Gedanke steht ziemlich weit hinten:",
)

QUOTES_EN: tuple[str, ...] = (
    "The platform never promised us a public square; it promised advertisers a crowd.",
    "Every efficiency gain is somebody else's unpaid overtime.",
    "We kept measuring attention because it was the only thing we knew how to count.",
    "Infrastructure is politics that has been poured into concrete.",
    "Nobody voted for the data centre, but everybody will pay for its electricity.",
    "The model does not understand the news; it understands what news used to look like.",
    "Scale is not a strategy, it is a side effect that got promoted.",
    "When everything is content, nothing is a conversation.",
    "The feed is not broken. It is working exactly as designed, just for somebody else.",
    "Regulators arrive after the party and are handed the bill for the cleaning.",
    "Trust cannot be shipped in a software update.",
    "The cheapest moderation is the one you never pay for, until suddenly you do.",
    "We were told the network would connect us; mostly it connected our data.",
    "Local news did not die of old age. It was outbid.",
)

QUOTES_DE: tuple[str, ...] = (
    "Wer die Infrastruktur kontrolliert, muss die Inhalte gar nicht mehr zensieren.",
    "Die Plattformen haben uns nicht belogen, sie haben nur nie gesagt, für wen sie arbeiten.",
    "Öffentlichkeit ist kein Produkt, sondern eine Gewohnheit, und Gewohnheiten verlernt man.",
    "Jede Kennzahl ist eine Entscheidung darüber, was nicht gezählt wird.",
    "Am Ende bezahlt die Gemeinde den Netzausbau und der Konzern die Pressemitteilung.",
    "Die Maschine schreibt schneller, als wir lesen können, und genau das ist das Problem.",
    "Regulierung kommt immer zu spät, aber zu spät ist besser als gar nicht.",
    "Wir haben Moderation jahrelang als Kostenstelle behandelt und wundern uns über das Haus.",
    "Eine Straße, auf der jeder Schritt gezählt wird, ist keine öffentliche Straße mehr.",
    "Die größte Gefahr ist nicht die Fälschung, sondern der Zweifel an allem Echten.",
    "Die Lokalzeitung war nie nur Zeitung, sie war das Gedächtnis des Ortes.",
    "Das Versprechen der Effizienz ist fast immer ein Versprechen an die Aktionäre.",
)

LIST_INTROS: tuple[str, ...] = (
    "Was es stattdessen bräuchte, lässt sich in wenigen Punkten sagen:",
    "Meine unvollständige Wunschliste:",
    "Die Forderungen des Papiers, grob zusammengefasst:",
    "Übrig bleiben, wenn man den Jargon abzieht, ein paar handfeste Punkte:",
)

NUMBERED_INTROS: tuple[str, ...] = (
    "In absteigender Wichtigkeit:",
    "Die Reihenfolge ist dabei nicht beliebig:",
    "Der Ablauf ist jedes Mal derselbe:",
)

LIST_ITEMS: tuple[str, ...] = (
    "offene Schnittstellen statt geschlossener Gärten",
    "Moderation als bezahlte Arbeit, nicht als Ehrenamt",
    "transparente Stromverträge für Rechenzentren",
    "ein Umzugsknopf, der seinen Namen verdient",
    "öffentliche Förderung für Lokaljournalismus",
    "Altersnachweise ohne zentrales Register",
    "Datensparsamkeit als Voreinstellung",
    "ein Register für Algorithmen in der Verwaltung",
    "Rückbaupflichten für Großanlagen",
    "Vergütung für die Arbeit, mit der Modelle trainiert werden",
    "weniger Benachrichtigungen, mehr Ruhe",
    "Archive, die von Menschen gepflegt werden",
    "Bibliotheken mit einem echten Budget",
    "Interoperabilität zwischen Messengern",
    "ein Recht auf Vergessen, das auch durchgesetzt wird",
    "Wettbewerbsrecht mit Zähnen",
    "faire Bedingungen für Klickarbeiterinnen",
    "Suchmaschinen ohne Werbeschlamm",
    "Netzanschlüsse nach Gemeinwohl statt nach Zahlungsbereitschaft",
    "Bildungsarbeit statt Panikmache",
    "größere Budgets für Aufsichtsbehörden",
    "Straßenbahnen vor Serverhallen",
    "öffentliche Rechenkapazität für die Forschung",
    "Ökostrom, der nicht doppelt gezählt wird",
)

HEADINGS: tuple[str, ...] = (
    "Zwischenruf: Wem gehört der Takt?",
    "Die Rechnung kommt später",
    "Kurz notiert",
    "Über Hausmeister und Algorithmen",
    "Nach der Wende ist vor der Wende",
    "Was von der Plattform übrig bleibt",
    "Strom, Beton und Öffentlichkeit",
    "Ein Nachtrag zur Überwachung",
    "Die Ökonomie der Müdigkeit",
    "Straßen, Netze, Feeds",
    "Größer ist nicht besser",
    "Lob der Langsamkeit",
)

TITLES: tuple[str, ...] = (
    "Die Ökonomie der Müdigkeit",
    "Strom für die Maschine",
    "Der lange Abschied vom Feed",
    "Hausmeister gesucht",
    "Überwachung mit Rabatt",
    "Größer, lauter, leerer",
    "Nach der Wende",
    "Im Takt der Quartalszahlen",
    "Das Rathaus ohne Reporter",
    "Wem gehört die Straße?",
    "Kurven, die kippen",
    "Die Plattform als Kraftwerk",
    "Leise Feeds",
    "Beton und Behauptung",
    "Öffentlichkeit im Wartezimmer",
    "Schlamm in der Suchmaske",
)

INTROS: tuple[str, ...] = (
    "Schnallt euch an, heute geht es um „{topic}“ – und darum, wer am Ende die Rechnung zahlt.",
    "Holt euch einen Kaffee, heute sortieren wir „{topic}“ und ein paar Trümmer drumherum.",
    "Heute geht es um „{topic}“, um Zahlen, die größer sind, als sie aussehen, und um Beton.",
    "Draußen wird es früher dunkel, und drinnen reden wir über „{topic}“ – passt irgendwie.",
)

PREHEADERS: tuple[str, ...] = (
    "Feeds, Fabrikhallen und ein bisschen Hoffnung.",
    "Diesmal mit Strom, Straßen und Öffentlichkeit.",
    "Wer zahlt eigentlich die Rechnung? Eine Spurensuche.",
    "Ein paar Links gegen die Müdigkeit.",
    "Überwachung, Ökonomie und eine Bibliothek der Dinge.",
)

TAGS: tuple[str, ...] = (
    "ki",
    "plattformen",
    "öffentlichkeit",
    "überwachung",
    "ökonomie",
    "medien",
    "politik",
    "infrastruktur",
    "journalismus",
    "essay",
)

CLOSERS: tuple[str, ...] = (
    "Bis in zwei Wochen – und passt auf eure Hausmeister auf.",
    "Das war’s für heute. Schreibt mir, wenn ihr widersprechen wollt.",
    "Bis zum nächsten Mal, und lest mehr Fußnoten.",
)

FOOTNOTE_SENTENCES: tuple[str, ...] = (
    "Ich habe das an anderer Stelle ausführlicher beschrieben, zuletzt in Ausgabe {k}.",
    "Die Zahl stammt aus dem Anhang der Studie und ist mit Vorsicht zu genießen.",
    "Ja, ich weiß, das ist zugespitzt.",
    "Der Begriff ist umstritten, und ich verwende ihn trotzdem, weil mir kein besserer einfällt.",
    "Danke an die Leserin, die mich darauf hingewiesen hat.",
    "Die Originalquelle ist leider hinter einer Bezahlschranke verschwunden.",
    "Mein Lieblingsbeispiel dafür liegt seit Monaten auf dem Schreibtisch und wartet.",
    "Man könnte einwenden, dass es Gegenbeispiele gibt; es gibt sie, aber sie sind selten.",
    "Das ist keine Übertreibung, ich habe nachgezählt.",
    "Über die genaue Größenordnung wird gestritten, über die Richtung nicht.",
)

START_DATE = dt.date(2020, 1, 5)
ITEM_SEPARATOR = "\n\n---\n\n"
BLOCK_SEPARATOR = "\n\n"


def _size(text: str) -> int:
    """Byte length, because size targets are about what ends up in files and mails."""
    return len(text.encode("utf-8"))


def _capitalize(text: str) -> str:
    """Upper-case only the first character; str.capitalize() would lower-case the rest."""
    return text[:1].upper() + text[1:]


def _slug(text: str) -> str:
    """ASCII slug for invented URLs, so links stay plain https addresses."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
    words = "".join(ch if ch.isalnum() else " " for ch in text.lower().translate(table)).split()
    return "-".join(words)


def _attributive(stem: str, ending: str) -> str:
    """Decline an adjective stem; stems ending in -e (müde, träge) must not double the e."""
    if stem.endswith("e"):
        stem = stem[:-1]
    return stem + ending


@dataclass
class _Prose:
    """A paragraph kept as sentences so footnote references can be attached afterwards."""

    sentences: list[str]
    notes: dict[int, list[int]] = field(default_factory=dict)

    def render(self) -> str:
        out = []
        for i, sentence in enumerate(self.sentences):
            refs = "".join(f"[^{n}]" for n in self.notes.get(i, []))
            out.append(sentence + refs)
        return " ".join(out)


_Block = _Prose | str


class _Writer:
    """Holds the random source and turns word lists into sentences and Markdown blocks."""

    def __init__(self, rng: random.Random, number: int) -> None:
        self.rng = rng
        self.number = number

    def pick(self, items: Sequence[str]) -> str:
        return self.rng.choice(items)

    # --- sentence level ----------------------------------------------------------------------

    def subject(self, angle: bool = False) -> str:
        """A nominative noun phrase; sometimes with an adjective, sometimes an <angle> term."""
        rng = self.rng
        if angle or rng.random() < 0.04:
            article, term = rng.choice(ANGLE_TERMS)
            return f"{article} <{term}>"
        article, noun = rng.choice(SUBJECTS)
        if rng.random() < 0.3:
            return f"{article} {_attributive(rng.choice(ADJECTIVES), 'e')} {noun}"
        return f"{article} {noun}"

    def sentence(self, angle: bool = False) -> str:
        """One German sentence in one of several shapes, to vary rhythm and word order."""
        rng = self.rng
        s1 = self.subject(angle)
        v1, r1 = rng.choice(PREDICATES)
        s2 = self.subject()
        v2, r2 = rng.choice(PREDICATES)
        shape = rng.randrange(12)
        if angle and shape in (9, 11):  # these shapes do not use the subject
            shape = 0
        if shape in (0, 1):
            return f"{_capitalize(s1)} {v1} {r1}."
        if shape == 2:
            return f"{rng.choice(OPENERS)} {v1} {s1} {r1}."
        if shape == 3:
            return f"{_capitalize(s1)} {v1} {r1}, {rng.choice(SUBORDINATORS)} {s2} {r2} {v2}."
        if shape == 4:
            return f"{_capitalize(rng.choice(SUBORDINATORS))} {s1} {r1} {v1}, {v2} {s2} {r2}."
        if shape == 5:
            return f"{_capitalize(s1)} {v1} {r1} – und {s2} {v2} {r2}."
        if shape == 6:
            return f"Ich glaube nicht, dass {s1} {r1} {v1}."
        if shape == 7:
            return f"Die Frage ist nicht, ob {s1} {r1} {v1}, sondern wer davon profitiert."
        if shape == 8:
            return f"Es ist kein Zufall, dass {s1} {r1} {v1}."
        if shape == 9:
            buzz, plain = rng.choice(EUPHEMISMS)
            return f"In den Pressemitteilungen heißt das „{buzz}“, im Alltag schlicht {plain}."
        if shape == 10:
            return f"Man kann lange streiten, ob {s1} {r1} {v1}, aber {s2} {v2} {r2}."
        return rng.choice(REMARKS)

    def person(self) -> tuple[str, str]:
        return self.pick(FIRST_NAMES), self.pick(LAST_NAMES)

    def url(self, slug: str, topic: str) -> str:
        year = 2020 + (self.number // 52)
        return f"https://{slug}.{self.pick(TLDS)}/{year}/{_slug(topic)}"

    def link(self, slug: str, topic: str) -> str:
        """A Markdown link whose text says what is behind it (never "hier")."""
        rng = self.rng
        article, noun, gender = rng.choice(DOCUMENTS)
        ending = {"m": "en", "f": "e", "n": "es"}[gender]
        adjective = _attributive(rng.choice(LINK_ADJECTIVES), ending)
        return f"[{article} {adjective} {noun} über {topic}]({self.url(slug, topic)})"

    # --- block level -------------------------------------------------------------------------

    def prose(self, n_min: int = 2, n_max: int = 5, angle: bool = False) -> _Prose:
        count = self.rng.randint(n_min, n_max)
        sentences = [self.sentence(angle=angle and i == 0) for i in range(count)]
        return _Prose(sentences)

    def lead(self) -> tuple[_Prose, tuple[str, str]]:
        """First paragraph of an item: who wrote what where, with the link."""
        rng = self.rng
        first, last = self.person()
        where, slug = rng.choice(OUTLETS)
        topic = rng.choice(TOPICS)
        link = self.link(slug, topic)
        shape = rng.randrange(3)
        if shape == 0:
            opening = f"{first} {last} hat {where} {link} {rng.choice(PARTICIPLES)}."
        elif shape == 1:
            opening = f"{_capitalize(where)} findet sich {link}, und {first} {last} hält sich darin "
            opening += "nicht mit Höflichkeiten auf."
        else:
            opening = f"Wer diese Woche nur eine Sache lesen will, sollte {link} von {first} {last} "
            opening += "lesen."
        paragraph = self.prose(1, 3)
        paragraph.sentences.insert(0, opening)
        return paragraph, (first, last)

    def quote(self, english: bool, person: tuple[str, str]) -> list[_Block]:
        """Colon sentence plus blockquote, the newsletter's most typical move."""
        rng = self.rng
        intro = self.prose(0, 2)
        first, last = person
        intro.sentences.append(rng.choice(QUOTE_INTROS).format(first=first, last=last))
        pool = QUOTES_EN if english else QUOTES_DE
        lines = rng.sample(pool, rng.randint(2, 3))
        return [intro, "> " + " ".join(lines)]

    def bullets(self, numbered: bool) -> list[_Block]:
        rng = self.rng
        intro = _Prose([rng.choice(NUMBERED_INTROS if numbered else LIST_INTROS)])
        items = rng.sample(LIST_ITEMS, rng.randint(3, 5))
        if numbered:
            body = "\n".join(f"{i}. {_capitalize(x)}" for i, x in enumerate(items, 1))
        else:
            body = "\n".join(f"- {x}" for x in items)
        return [intro, body]

    def extra_link(self) -> _Prose:
        rng = self.rng
        where, slug = rng.choice(OUTLETS)
        sentence = f"Dazu lohnt ein Blick auf {self.link(slug, rng.choice(TOPICS))} {where}."
        paragraph = self.prose(1, 3)
        paragraph.sentences.insert(rng.randint(0, len(paragraph.sentences)), sentence)
        return paragraph

    def footnote(self, number: int, short: bool) -> str:
        rng = self.rng
        parts = [rng.choice(FOOTNOTE_SENTENCES).format(k=rng.randint(1, max(1, self.number)))]
        if not short:
            if rng.random() < 0.5:
                where, slug = rng.choice(OUTLETS)
                topic = rng.choice(TOPICS)
                parts.append(
                    f"Wer es genauer wissen will, findet {where} [Hintergründe über {topic}]({self.url(slug, topic)})."
                )
            parts.extend(self.sentence() for _ in range(rng.randint(1, 2)))
        return f"[^{number}]: " + " ".join(parts)


def _front_matter(number: int, rng: random.Random, draft: bool) -> str:
    """YAML front matter in the project's schema; values are quoted where YAML could trip."""
    title = rng.choice(TITLES)
    date = START_DATE + dt.timedelta(weeks=number - 1)
    tags = rng.sample(TAGS, rng.randint(1, 3))
    lines = ["---", f"number: {number}", f'title: "{title}"', f"date: {date.isoformat()}"]
    if rng.random() < 0.5:
        lines.append(f'subject: "Krasse Links No. {number}: {title}"')
    lines.append(f'preheader: "{rng.choice(PREHEADERS)}"')
    lines.append(f"draft: {'true' if draft else 'false'}")
    lines.append(f"tags: [{', '.join(tags)}]")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def generate_issue(
    number: int,
    target_bytes: int = 24_000,
    seed: int | None = None,
    footnotes: int = 3,
    draft: bool = False,
) -> str:
    """Return one complete issue (front matter + Markdown body) of about target_bytes.

    Blocks are appended until the UTF-8 size reaches the target; bytes for footnote references
    and definitions are reserved up front so the final size stays within a few percent.
    """
    if number < 1:
        raise ValueError("number must be >= 1")
    if footnotes < 0:
        raise ValueError("footnotes must be >= 0")
    rng = random.Random(seed if seed is not None else number)
    writer = _Writer(rng, number)

    head = _front_matter(number, rng, draft)
    topic = rng.choice(TOPICS)
    intro = f"Willkommen bei Krasse Links No. {number}. " + rng.choice(INTROS).format(topic=topic)

    # Footnote definitions first: their size is part of the budget. Long, multi-sentence
    # notes only when there is room for them.
    short_notes = footnotes * 260 > target_bytes * 0.3
    definitions = [writer.footnote(k, short_notes or rng.random() < 0.4) for k in range(1, footnotes + 1)]
    reserved = sum(_size(f"[^{k}]") for k in range(1, footnotes + 1))
    if definitions:
        reserved += _size(BLOCK_SEPARATOR + BLOCK_SEPARATOR.join(definitions))
    closer = rng.choice(CLOSERS)
    reserved += _size(BLOCK_SEPARATOR + closer) + 1  # closing line and final newline

    lower, upper = target_bytes * 0.99, target_bytes * 1.05
    items: list[list[_Block]] = [[_Prose([intro])]]
    size = _size(head) + _size(intro) + reserved
    # Features every issue should show at least once, served before random choices.
    mandatory = ["angle", "quote_en", "bullets", "quote_de", "numbered"]
    max_blocks = max(2, min(6, target_bytes // 2500))
    heading_item = 2
    blocks_left = 0
    person = writer.person()

    def cost(blocks: list[_Block], new_item: bool) -> int:
        text = BLOCK_SEPARATOR.join(b.render() if isinstance(b, _Prose) else b for b in blocks)
        return _size(text) + (len(ITEM_SEPARATOR) if new_item else len(BLOCK_SEPARATOR))

    while size < lower:
        new_item = blocks_left <= 0
        if new_item:
            lead, person = writer.lead()
            blocks: list[_Block] = [lead]
            if len(items) == heading_item or (len(items) > heading_item and rng.random() < 0.1):
                blocks.insert(0, "## " + rng.choice(HEADINGS))
            blocks_left = rng.randint(1, max_blocks - 1)
        else:
            kind = (
                mandatory.pop(0)
                if mandatory
                else rng.choices(
                    ["prose", "quote_en", "quote_de", "bullets", "numbered", "link"],
                    weights=[50, 13, 12, 6, 5, 14],
                )[0]
            )
            if kind == "angle":
                blocks = [writer.prose(2, 4, angle=True)]
            elif kind in ("quote_en", "quote_de"):
                blocks = writer.quote(kind == "quote_en", person)
            elif kind in ("bullets", "numbered"):
                blocks = writer.bullets(kind == "numbered")
            elif kind == "link":
                blocks = [writer.extra_link()]
            else:
                blocks = [writer.prose()]
            blocks_left -= 1
        added = cost(blocks, new_item)
        if size + added > upper:
            # Too big to fit: finish with one short sentence in the current item, if it fits.
            blocks = [_Prose([rng.choice(REMARKS)])]
            added = cost(blocks, False)
            if size + added > upper or len(items) == 1:
                break
            new_item = False
        if new_item:
            items.append(blocks)
        else:
            items[-1].extend(blocks)
        size += added

    items[-1].append(_Prose([closer]))
    _attach_footnotes(rng, items, footnotes)

    rendered = [BLOCK_SEPARATOR.join(b.render() if isinstance(b, _Prose) else b for b in item) for item in items]
    body = ITEM_SEPARATOR.join(rendered)
    if definitions:
        body += BLOCK_SEPARATOR + BLOCK_SEPARATOR.join(definitions)
    return head + body + "\n"


def _attach_footnotes(rng: random.Random, items: list[list[_Block]], count: int) -> None:
    """Reference each footnote exactly once, numbered in reading order.

    Only prose sentences that do not introduce a quote or list (no trailing colon) qualify, and
    the intro is skipped because it doubles as the mail preview text.
    """
    if count == 0:
        return
    slots: list[tuple[_Prose, int]] = []
    for item in items[1:]:
        for block in item:
            if isinstance(block, _Prose):
                slots.extend((block, i) for i, s in enumerate(block.sentences) if not s.endswith(":"))
    if not slots:  # degenerate tiny issue: fall back to the intro
        intro = items[0][0]
        assert isinstance(intro, _Prose)
        slots = [(intro, 0)]
    if count <= len(slots):
        chosen = sorted(rng.sample(range(len(slots)), count))
    else:
        chosen = sorted(i % len(slots) for i in range(count))
    for number, index in enumerate(chosen, 1):
        block, sentence = slots[index]
        block.notes.setdefault(sentence, []).append(number)


def corpus_sizes(count: int, target_bytes: int = 24_000) -> list[int]:
    """Target sizes for a corpus: a fixed cycle around target_bytes, clamped to 5–60 KB.

    A benchmark corpus should contain short and long issues, but reproducibly so.
    """
    if count <= 1:
        return [target_bytes] * count
    factors = (1.0, 0.5, 1.6, 0.3, 2.2, 0.8, 1.3, 0.65, 1.9)
    return [min(60_000, max(5_000, round(target_bytes * factors[i % len(factors)]))) for i in range(count)]


def write_corpus(directory: pathlib.Path, count: int, target_bytes: int = 24_000) -> list[pathlib.Path]:
    """Write issues 1..count as NNNN-generiert.md and return their paths.

    Longer issues get more footnotes, as essays do in the real newsletter.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, size in enumerate(corpus_sizes(count, target_bytes), 1):
        path = directory / f"{number:04d}-generiert.md"
        text = generate_issue(number, size, footnotes=max(1, size // 6_000))
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point, so corpora can be made without writing Python."""
    parser = argparse.ArgumentParser(description="Generate deterministic Krasse-Links issues.")
    parser.add_argument("--count", type=int, default=10, help="number of issues (default 10)")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="output directory")
    parser.add_argument(
        "--target-bytes",
        type=int,
        default=24_000,
        help="typical issue size in bytes (default 24000)",
    )
    args = parser.parse_args(argv)
    for path in write_corpus(args.out, args.count, args.target_bytes):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
