"""Deterministic synthetic news text: sources, dates, English bodies with actor names at known offsets,
and (given the gazetteer) a dateline naming a real place, linked like a place in an ingested article.

Shared by generate.py (rows straight into the database), ingest.py (NDJSON for the ingestion endpoints) and
smoke.py. Everything is drawn from one `random.Random(seed)` stream consumed in article order, so a corpus
depends only on (seed, size) and not on the batch size.

Speed matters (1M articles must load in minutes), so sentences are pre-rendered once into pools: filler
sentences as plain strings, actor sentences as frames `[text, slot, text, slot, text]`. Building a body is
then a few dozen list appends, with each actor's character offset known as its name is appended.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

GENERATOR_VERSION = 4  # 3: datelines naming a gazetteer place; 4: simhash bands and story signatures

START = datetime(2021, 1, 1)
END = datetime(2026, 1, 1)  # five years of published_at
SPAN_S = int((END - START).total_seconds())

# Prominent actors first: the Zipf head. Whatever of these the seed does not have is skipped; the rest of the
# eligible actors follow in a seeded shuffle.
PROMINENT = [
    "united-states",
    "russia",
    "china",
    "ukraine",
    "israel",
    "iran",
    "eu",
    "nato",
    "united-kingdom",
    "france",
    "germany",
    "india",
    "north-korea",
    "south-korea",
    "japan",
    "turkey",
    "turkiye",
    "saudi-arabia",
    "taiwan",
    "syria",
    "palestine",
    "poland",
    "pakistan",
    "g7",
    "brics",
    "asean",
    "egypt",
    "qatar",
    "belarus",
    "australia",
    "canada",
    "brazil",
    "south-africa",
    "afghanistan",
    "iraq",
    "lebanon",
    "yemen",
    "venezuela",
    "mexico",
    "indonesia",
    "philippines",
    "vietnam",
    "sco",
    "quad",
    "aukus",
    "csto",
]
ACTOR_KINDS = ("country", "organization", "alliance", "government_body")
ACTOR_ZIPF_S = 1.07
SOURCE_ZIPF_S = 1.0

# Words that full-text workloads search for; every one of them occurs in the templates below.
SEARCH_TERMS = [
    "sanctions",
    "ceasefire",
    "nuclear",
    "drone",
    "election",
    "summit",
    "grain",
    "refugees",
    "tariffs",
    "missile",
    "pipeline",
    "humanitarian",
    "border",
    "negotiations",
    "cyberattack",
    "inflation",
    "ceasefire talks",
    "naval exercises",
    "energy prices",
    "peace plan",
]

TOPICS = [
    "sanctions",
    "the ceasefire",
    "nuclear talks",
    "drone strikes",
    "the election",
    "the summit",
    "grain exports",
    "refugees",
    "tariffs",
    "missile tests",
    "the gas pipeline",
    "humanitarian aid",
    "the border dispute",
    "trade negotiations",
    "a cyberattack",
    "inflation",
    "naval exercises",
    "energy prices",
    "the peace plan",
    "arms deliveries",
    "climate finance",
    "debt relief",
    "the security pact",
    "maritime claims",
    "visa restrictions",
    "troop deployments",
    "oil output",
    "the prisoner exchange",
    "export controls",
    "food security",
    "the defence budget",
    "water rights",
    "rare earth supplies",
    "airspace violations",
    "port access",
    "the investment treaty",
]
VERBS = [
    "condemned",
    "welcomed",
    "criticised",
    "praised",
    "rejected",
    "endorsed",
    "questioned",
    "supported",
    "warned against",
    "called for an inquiry into",
    "pledged to review",
    "signalled support for",
]
ADJS = [
    "unacceptable",
    "a step forward",
    "premature",
    "long overdue",
    "dangerous",
    "constructive",
    "a provocation",
    "a breakthrough",
    "symbolic",
    "insufficient",
    "historic",
    "a distraction",
]
OFFICIALS = [
    "the foreign minister",
    "a government spokesperson",
    "the defence ministry",
    "senior diplomats",
    "the prime minister's office",
    "the ambassador",
    "military officials",
    "trade negotiators",
    "the finance minister",
    "intelligence officials",
    "the presidential office",
    "lawmakers",
]
CITIES = [
    "Geneva",
    "Vienna",
    "Doha",
    "Istanbul",
    "Brussels",
    "Singapore",
    "Nairobi",
    "Jakarta",
    "Oslo",
    "Riyadh",
    "Cairo",
    "Helsinki",
    "Warsaw",
    "Delhi",
    "Seoul",
    "Brasilia",
    "Astana",
    "Baku",
    "Hanoi",
]
DAYS = [
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "on Saturday",
    "on Sunday",
    "late on Monday",
    "early on Friday",
    "this week",
    "overnight",
    "last month",
]
NUMBERS = [
    "two",
    "three",
    "five",
    "a dozen",
    "several",
    "dozens of",
    "hundreds of",
    "at least 40",
    "more than 200",
    "nearly 1,000",
    "about 15",
    "roughly 60",
]
ANALYSTS = [
    "Analysts",
    "Economists",
    "Diplomats",
    "Observers",
    "Security experts",
    "Market watchers",
    "Former officials",
    "Regional experts",
]
EFFECTS = [
    "raise tensions over",
    "ease pressure on",
    "complicate talks on",
    "shift the debate on",
    "delay a decision on",
    "strengthen the case for",
    "undermine support for",
    "reopen questions about",
]

ACTOR_TEMPLATES = [
    "{A} opened a consulate in {place} {day}.",
    "{A} said the {commodity} deal with {B} would be signed in {place}.",
    "{A} halted {commodity} imports from {B}, citing {topic}.",
    "{A} {verb} {topic} {day}, according to {official}.",
    "{A} said {day} that it would not back down on {topic}.",
    "Officials in {A} described the proposal on {topic} as {adj}.",
    "Talks between {A} and {B} on {topic} ended without agreement in {city}.",
    "{A} and {B} agreed {day} to resume negotiations on {topic}.",
    "{A} accused {B} of violating the terms of {topic}.",
    "A delegation from {A} arrived in {city} for talks on {topic}.",
    "{official_cap} of {A} met counterparts from {B} {day} to discuss {topic}.",
    "The announcement drew a sharp response from {A}, which {verb} {topic}.",
    "{A} has repeatedly {verb} {topic}, and {official} said that position was unchanged.",
    "In {city}, {official} from {A} and {B} signed a statement on {topic}.",
    "{A} imposed new sanctions on {B} {day}, citing {topic}.",
    "{A} called the move by {B} {adj}.",
    "Relations between {A} and {B} have been strained by {topic} for months.",
    "{A} reported {number} drone incursions near its border {day}.",
    "{A} offered humanitarian assistance to {B} after {number} people were displaced.",
    "{A} is expected to raise {topic} at the summit in {city}.",
    "Negotiators from {A} warned that {topic} could derail the ceasefire talks.",
    "{A} deployed {number} additional troops to the border {day}.",
    "{A} recalled its ambassador from {B} in protest over {topic}.",
    "Diplomats said {A} and {B} were close to a deal on {topic}.",
    "{A} voted against the resolution on {topic}, while {B} abstained.",
    "The government of {A} denied reports that it had {verb} {topic}.",
    "{A} pledged {number} million dollars for {topic} {day}.",
    "According to {official} in {A}, {topic} will dominate the agenda.",
    "{A} held naval exercises with {B} {day}, the largest in years.",
    "Energy ministers from {A} met in {city} as prices for oil and gas rose.",
    "{A} summoned the envoy of {B} over {topic}.",
    "Leaders of {A} said the peace plan offered by {B} was {adj}.",
    "{A} announced export controls on rare earth supplies {day}.",
]
FILLER_TEMPLATES = [
    # Rare words: the place names are made up and each occurs in ~0.1-0.3 % of articles, commodities in a few
    # percent, so full-text queries range from a handful of matches to most of the corpus.
    "Shipments of {commodity} through {place} were suspended {day}.",
    "Local officials in {place} said {number} families had been evacuated.",
    "Prices for {commodity} rose after the announcement, traders in {place} said.",
    "The talks in {place} focused on {commodity} exports and {topic}.",
    "A convoy carrying {commodity} was stopped near {place} {day}.",
    "Residents of {place} described power cuts lasting several hours.",
    "The agreement covers {commodity} and port fees at {place}.",
    "Reporters in {place} saw {number} trucks waiting at the crossing.",
    "The governor of {place} asked for emergency funds {day}.",
    "Exports of {commodity} fell for a third month, customs data showed.",
    "{analysts} said the move could {effect} {topic}.",
    "The statement did not say when {topic} would be discussed again.",
    "{analysts} in {city} said the timing was {adj}.",
    "The talks are expected to continue {day} in {city}.",
    "No date has been set for the next round of negotiations.",
    "Markets reacted cautiously, with energy prices edging higher {day}.",
    "{number} people attended the meeting, according to organisers.",
    "The ministry declined to comment on {topic}.",
    "Critics said the plan was {adj} and called for more transparency on {topic}.",
    "The decision follows months of pressure over {topic}.",
    "Aid agencies warned that refugees near the border faced shortages of food and medicine.",
    "{analysts} noted that similar efforts on {topic} had stalled before.",
    "The report, seen by reporters {day}, outlines options for {topic}.",
    "Officials said a draft agreement on {topic} was still being reviewed.",
    "Inflation and the cost of energy remain the main concerns for voters ahead of the election.",
    "The summit communique is expected to mention {topic}.",
    "{number} vessels were reported near the disputed waters {day}.",
    "Satellite images appeared to show new construction near the border.",
    "The United Nations urged all sides to show restraint.",
    "Shipping companies said grain exports could resume within weeks.",
    "A cyberattack disrupted government websites {day}, officials said.",
    "{analysts} said tariffs on steel and aluminium could {effect} {topic}.",
    "The nuclear watchdog said inspectors had not been granted access.",
    "Protesters gathered outside the parliament {day} to demand action on {topic}.",
    "It was not immediately clear whether the missile test had been announced in advance.",
    "The pipeline has been at the centre of disputes over {topic}.",
    "{analysts} expect the issue to return when ministers meet in {city}.",
    "The central bank kept interest rates unchanged, citing inflation.",
]
TITLE_TEMPLATES = [
    "{A} {verb} {topic}",
    "{A} and {B} clash over {topic}",
    "{A} warns {B} over {topic}",
    "Talks on {topic} stall as {A} hardens stance",
    "{A} signals shift on {topic}",
    "{A}, {B} agree to resume talks on {topic}",
    "What {topic} means for {A}",
    "{A} imposes sanctions on {B}",
    "{A} hosts summit on {topic} in {city}",
    "Ceasefire talks: {A} rejects proposal from {B}",
]
EVENT_TEMPLATES = [
    "{A} and {B} hold talks on {topic}",
    "{A} imposes sanctions on {B}",
    "{A} accuses {B} over {topic}",
    "{A} signs agreement with {B} on {topic}",
    "{A} conducts naval exercises with {B}",
    "{A} recalls ambassador from {B}",
]

COMMODITIES = [
    "wheat",
    "maize",
    "barley",
    "rice",
    "soybeans",
    "sunflower",
    "fertiliser",
    "potash",
    "urea",
    "lithium",
    "cobalt",
    "nickel",
    "copper",
    "bauxite",
    "uranium",
    "helium",
    "neon",
    "gallium",
    "germanium",
    "graphite",
    "tungsten",
    "titanium",
    "palladium",
    "platinum",
    "silver",
    "gold",
    "diesel",
    "kerosene",
    "naphtha",
    "bitumen",
    "coal",
    "timber",
    "cotton",
    "coffee",
    "cocoa",
    "sugar",
    "tea",
    "rubber",
    "fish",
    "salmon",
    "beef",
    "poultry",
    "vaccines",
    "semiconductors",
    "turbines",
    "drones",
    "ammunition",
    "steel",
    "aluminium",
    "cement",
    "LNG",
    "ethanol",
    "hydrogen",
    "antimony",
    "manganese",
    "vanadium",
    "zinc",
    "tin",
    "iodine",
]
_SYLLABLES = [
    "ka",
    "var",
    "lo",
    "mir",
    "tes",
    "an",
    "bel",
    "gor",
    "na",
    "vi",
    "dra",
    "sul",
    "ten",
    "mo",
    "rik",
    "al",
    "zan",
    "pe",
    "tor",
    "ul",
    "ves",
    "ka",
    "dim",
    "os",
    "bar",
    "le",
    "nor",
    "it",
    "sar",
    "ov",
    "gra",
    "de",
]


def _make_places(n: int = 3000) -> list[str]:
    """Made-up place names (one word each), the same for every seed."""
    rng = random.Random("geonews-bench-places")
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if len(name) >= 5 and name not in seen:
            seen.add(name)
            out.append(name.capitalize())
    return out


PLACES = _make_places()

SOURCE_PREFIXES = [
    "daily",
    "global",
    "world",
    "east",
    "west",
    "north",
    "south",
    "metro",
    "capital",
    "union",
    "national",
    "evening",
    "morning",
    "frontier",
    "harbor",
    "central",
]
SOURCE_SUFFIXES = [
    "times",
    "herald",
    "post",
    "tribune",
    "observer",
    "gazette",
    "wire",
    "monitor",
    "chronicle",
    "journal",
    "dispatch",
    "review",
    "news",
    "report",
    "ledger",
    "courier",
    "express",
    "telegraph",
    "standard",
    "bulletin",
]
SOURCE_TLDS = ["com", "com", "com", "net", "org", "co.uk", "de", "fr", "in", "com.au", "ca", "co.za", "jp"]

SLOT = re.compile(r"\{(A|B)\}")
NON_SLUG = re.compile(r"[^a-z0-9]+")


def _fill(template: str, rng: random.Random) -> str:
    """Fill every non-actor slot of a template (and start the sentence with a capital)."""
    s = template.format(
        A="{A}",
        B="{B}",
        topic=rng.choice(TOPICS),
        verb=rng.choice(VERBS),
        adj=rng.choice(ADJS),
        official=rng.choice(OFFICIALS),
        official_cap=rng.choice(OFFICIALS).capitalize(),
        city=rng.choice(CITIES),
        day=rng.choice(DAYS),
        number=rng.choice(NUMBERS),
        analysts=rng.choice(ANALYSTS),
        effect=rng.choice(EFFECTS),
        place=rng.choice(PLACES),
        commodity=rng.choice(COMMODITIES),
    )
    return s[:1].upper() + s[1:]


def _frame(template: str, rng: random.Random) -> tuple[list[str], int, int]:
    """A pre-rendered actor sentence: alternating text and slot markers, its slot count and word count."""
    parts = SLOT.split(_fill(template, rng))  # text, 'A', text, 'B', text ...
    words = sum(len(p.split()) for p in parts[::2])
    return parts, (len(parts) - 1) // 2, words


def _sep(rng: random.Random) -> str:
    return "\n\n" if rng.random() < 0.3 else " "


def _block(
    frame: tuple[list[str], int], fillers: list[str], rng: random.Random, lead: bool = False
) -> tuple[list[str], int]:
    """One actor sentence with 0-2 filler sentences before it (never for a lead) and after it, every sentence
    preceded by its separator (a lead starts the body: no separator before it)."""
    parts, words = list(frame[0]), frame[1] + 2 * (len(frame[0]) // 2)
    before = "" if lead else "".join(_sep(rng) + rng.choice(fillers) for _ in range(rng.choice((0, 0, 1))))
    after = "".join(_sep(rng) + rng.choice(fillers) for _ in range(rng.choice((0, 1, 1, 2))))
    parts[0] = before + ("" if lead else _sep(rng)) + parts[0]
    parts[-1] = parts[-1] + after
    return parts, words + len(before.split()) + len(after.split())


def zipf_cum_weights(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def make_sources(rng: random.Random, count: int = 300) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(SOURCE_PREFIXES)}{rng.choice(SOURCE_SUFFIXES)}.{rng.choice(SOURCE_TLDS)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


@dataclass(eq=False)  # compared by identity: cheap, and each actor exists once
class ActorInfo:
    id: int
    slug: str
    kind: str
    surfaces: list[str]  # the name first, then usable aliases


@dataclass(frozen=True)
class PlaceInfo:
    id: str  # the gazetteer id ("kyiv-ua")
    name: str
    country_actor_id: int | None  # the country actor it lies in
    capital: bool


# Share of articles that open with a dateline ("KYIV — ..."), and of those, how many are datelined in the
# capital of their lead actor (when it is a country with a capital in the gazetteer) rather than in a
# city drawn by population rank.
DATELINE_PERCENT = 60
LEAD_CAPITAL_PERCENT = 70
DATELINE_SEP = " — "


def _mix(x: int) -> int:
    """A 32-bit integer hash (the dateline's own draw: the corpus' random stream is left as it was)."""
    x &= 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & 0xFFFFFFFF
    return x ^ (x >> 16)


@dataclass(eq=False)
class Article:
    index: int  # 0-based position in the corpus
    url: str
    title: str
    body: str
    summary: str | None
    source: str
    published_at: datetime
    tags: list[str] | None
    mentions: list[tuple[int, int, int, str]]  # (actor_id, start, end, text)
    cast: list[int] = field(default_factory=list)  # distinct actor ids, lead first
    places: list[tuple[str, int, int, str]] = field(default_factory=list)  # (place id, start, end, text)

    @property
    def content_hash(self) -> str:
        # The definition of app.ingestion.fingerprint.content_hash (sha256 of the casefolded,
        # whitespace-collapsed title and body), kept local so the generator does not depend on code that may
        # move. Generated text has single spaces and "\n\n" only, so collapsing is one replace.
        data = self.title.casefold() + "\n" + self.body.replace("\n\n", " ").casefold()
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def order_actors(actors: list[ActorInfo], rng: random.Random) -> list[ActorInfo]:
    """Zipf rank order: the prominent head, then a seeded shuffle of the rest."""
    by_slug = {a.slug: a for a in actors}
    head = [by_slug[s] for s in PROMINENT if s in by_slug]
    rest = sorted((a for a in actors if a.slug not in set(PROMINENT)), key=lambda a: a.slug)
    rng.shuffle(rest)
    return head + rest


class Corpus:
    """Generates articles 0..n-1 in order from one seeded stream."""

    def __init__(
        self,
        actors: list[ActorInfo],
        n_articles: int,
        seed: int = 1,
        sources: int = 300,
        places: list[PlaceInfo] | None = None,
    ):
        """`places`: the gazetteer, most populous first; without it no article has a dateline."""
        setup = random.Random(f"geonews-bench-setup:{seed}")
        self.places = places or []
        self.place_cum = zipf_cum_weights(len(self.places), 1.0) if self.places else []
        self.capital_of = {p.country_actor_id: p for p in self.places if p.capital and p.country_actor_id}
        self.n = max(1, n_articles)
        self.seed = seed
        self.rng = random.Random(f"geonews-bench-articles:{seed}")
        self.actors = order_actors([a for a in actors if a.kind in ACTOR_KINDS], setup)
        if len(self.actors) < 2:
            raise SystemExit("the seed has fewer than two countries/organisations to mention")
        self.actor_cum = zipf_cum_weights(len(self.actors), ACTOR_ZIPF_S)
        self.sources = make_sources(setup, sources)
        self.source_cum = zipf_cum_weights(len(self.sources), SOURCE_ZIPF_S)
        fillers = [_fill(t, setup) for t in FILLER_TEMPLATES * 200]
        frames = [_frame(t, setup) for t in ACTOR_TEMPLATES * 60]
        f1 = [(p, w) for p, n, w in frames if n == 1]
        f2 = [(p, w) for p, n, w in frames if n == 2]
        self.leads1 = [_block(setup.choice(f1), fillers, setup, lead=True) for _ in range(2000)]
        self.leads2 = [_block(setup.choice(f2), fillers, setup, lead=True) for _ in range(2000)]
        self.blocks1 = [_block(setup.choice(f1), fillers, setup) for _ in range(6000)]
        self.blocks2 = [_block(setup.choice(f2), fillers, setup) for _ in range(6000)]
        self.runs: list[tuple[str, int]] = []
        for _ in range(4000):
            run = "".join(_sep(setup) + setup.choice(fillers) for _ in range(setup.randint(2, 4)))
            self.runs.append((run, len(run.split())))
        self.singles = [(_sep(setup) + f, len(f.split())) for f in fillers]
        self.slugs: dict[str, str] = {}
        self.day_paths: dict[int, str] = {}
        self.tag_sets = [sorted({setup.choice(TOPICS).split()[-1] for _ in range(2)}) for _ in range(200)]
        self.titles = [_fill(t, setup) for t in TITLE_TEMPLATES * 30]
        self.next_index = 0

    # -- draws ----------------------------------------------------------------------------------
    def actor_rank(self) -> int:
        return bisect.bisect(self.actor_cum, self.rng.random() * self.actor_cum[-1])

    def source(self) -> str:
        return self.sources[bisect.bisect(self.source_cum, self.rng.random() * self.source_cum[-1])]

    def popular_actors(self, k: int) -> list[ActorInfo]:
        return self.actors[:k]

    def popular_sources(self, k: int) -> list[str]:
        return self.sources[:k]

    def search_terms(self, per_group: int = 50) -> dict[str, list[str]]:
        """Full-text query terms of every selectivity that this corpus really contains: common topic words
        (a third to two thirds of articles), commodities (a few percent), actor names from the middle of the
        Zipf ranks, and made-up place names (~0.1-0.3 % each)."""
        words: set[str] = set()
        for pool in (self.blocks1, self.blocks2, self.leads1, self.leads2):
            for parts, _ in pool:
                for text in parts[::2]:
                    words.update(w.strip(".,") for w in text.split())
        for run, _ in self.runs:
            words.update(w.strip(".,") for w in run.split())
        rng = random.Random(f"geonews-bench-terms:{self.seed}")
        places = sorted(p for p in PLACES if p in words)
        commodities = sorted(c for c in COMMODITIES if c in words)
        mid = [a.surfaces[0] for a in self.actors[10:120]]
        return {
            "common": list(SEARCH_TERMS),
            "commodity": rng.sample(commodities, min(per_group, len(commodities))),
            "actor": rng.sample(mid, min(per_group, len(mid))),
            "place": rng.sample(places, min(per_group, len(places))),
        }

    # -- articles -------------------------------------------------------------------------------
    def __iter__(self) -> Corpus:
        return self

    def __next__(self) -> Article:
        if self.next_index >= self.n:
            raise StopIteration
        article = self.article(self.next_index)
        self.next_index += 1
        return article

    def seek(self, batch_index: int, batch_size: int) -> None:
        """Start batch `batch_index`: its own random stream, so batches can be made in any order/process."""
        self.rng = random.Random(f"geonews-bench-articles:{self.seed}:{batch_index}")
        self.next_index = batch_index * batch_size

    def batch(self, size: int) -> list[Article]:
        return list(itertools.islice(self, size))

    def article(self, i: int) -> Article:
        rnd = self.rng.random
        actors = self.actors
        n_actors = len(actors)

        # Roughly chronological ids, as an ingesting service would produce: article i sits at i/n of the
        # five years, give or take two days.
        offset = int(SPAN_S * (i + rnd()) / self.n + (rnd() - 0.5) * 4 * 86400)
        offset = min(max(offset, 0), SPAN_S - 1)
        published = START + timedelta(seconds=offset)

        # A cast of 2-5 actors drawn by Zipf rank; the lead gets most of the 3-12 mentions.
        cum, total = self.actor_cum, self.actor_cum[-1]
        cast: list[ActorInfo] = []
        for _ in range(2 + int(rnd() * 4)):
            actor = actors[bisect.bisect(cum, rnd() * total)]
            if actor not in cast:
                cast.append(actor)
        if len(cast) == 1:
            cast.append(actors[(actors.index(cast[0]) + 1 + int(rnd() * (n_actors - 1))) % n_actors])
        c = len(cast)

        # Blocks (one actor sentence with up to two filler sentences around it, separators baked in) until
        # the mentions are used up, lead block first; then runs of filler sentences dropped in anywhere
        # after the lead until the body reaches 150-400 words.
        n_slots = 3 + int(rnd() * 10)
        items: list[tuple[list[str], ActorInfo, ActorInfo] | str] = []
        if rnd() < 0.45:
            parts, words = self.leads2[int(rnd() * len(self.leads2))]
            items.append((parts, cast[0], cast[1 + int(rnd() * (c - 1))]))
            k = 2
        else:
            parts, words = self.leads1[int(rnd() * len(self.leads1))]
            items.append((parts, cast[0], cast[0]))
            k = 1
        blocks1, blocks2 = self.blocks1, self.blocks2
        while k < n_slots:
            ia = int(c * rnd() ** 1.6)
            if n_slots - k >= 2 and rnd() < 0.45:
                parts, w = blocks2[int(rnd() * len(blocks2))]
                items.append((parts, cast[ia], cast[(ia + 1 + int(rnd() * (c - 1))) % c]))
                k += 2
            else:
                parts, w = blocks1[int(rnd() * len(blocks1))]
                items.append((parts, cast[ia], cast[ia]))
                k += 1
            words += w
        target = 160 + int(rnd() * 221)
        runs, singles = self.runs, self.singles
        while words < target:
            pool = runs if target - words > 60 else singles
            s, w = pool[int(rnd() * len(pool))]
            items.insert(1 + int(rnd() * len(items)), s)
            words += w

        # Assemble, recording offsets as names are appended.
        out: list[str] = []
        pos = 0
        mentions: list[tuple[int, int, int, str]] = []
        places: list[tuple[str, int, int, str]] = []
        place = self._dateline(i, cast[0]) if self.places else None
        if place is not None:
            written = place.name.upper()
            places.append((place.id, 0, len(written), written))
            out.append(written + DATELINE_SEP)
            pos = len(out[0])
        for item in items:
            if item.__class__ is str:
                out.append(item)
                pos += len(item)
                continue
            parts, a, b = item
            out.append(parts[0])
            pos += len(parts[0])
            for j in range(1, len(parts), 2):
                actor = a if parts[j] == "A" else b
                surfaces = actor.surfaces
                name = (
                    surfaces[0]
                    if len(surfaces) == 1 or rnd() < 0.75
                    else surfaces[int(rnd() * len(surfaces))]
                )
                end = pos + len(name)
                mentions.append((actor.id, pos, end, name))
                tail = parts[j + 1]
                out.append(name)
                out.append(tail)
                pos = end + len(tail)
        body = "".join(out)

        title = self.titles[int(rnd() * len(self.titles))]
        title = title.replace("{A}", cast[0].surfaces[0]).replace("{B}", cast[1].surfaces[0])
        source = self.sources[bisect.bisect(self.source_cum, rnd() * self.source_cum[-1])]
        slug = self.slugs.get(title)
        if slug is None:
            slug = self.slugs[title] = NON_SLUG.sub("-", title.lower()).strip("-")[:60]
        day = offset // 86400
        path = self.day_paths.get(day)
        if path is None:
            path = self.day_paths[day] = f"{published:%Y/%m/%d}"
        url = f"https://{source}/{path}/{slug}-{i + 1}"
        summary = body[: body.find(". ") + 1] or None if rnd() < 0.3 else None
        tags = self.tag_sets[int(rnd() * len(self.tag_sets))] if rnd() < 0.5 else None
        return Article(
            i, url, title, body, summary, source, published, tags, mentions, [a.id for a in cast], places
        )

    def _dateline(self, i: int, lead: ActorInfo) -> PlaceInfo | None:
        h = _mix(i * 2 + 1 + self.seed * 0x9E3779B1)
        if h % 100 >= DATELINE_PERCENT:
            return None
        capital = self.capital_of.get(lead.id)
        if capital is not None and (h >> 8) % 100 < LEAD_CAPITAL_PERCENT:
            return capital
        return self.places[bisect.bisect(self.place_cum, (h >> 12) / (1 << 20) * self.place_cum[-1])]

    def event_title(self, rng: random.Random, a: ActorInfo, b: ActorInfo) -> str:
        t = _fill(rng.choice(EVENT_TEMPLATES), rng)
        return t.replace("{A}", a.surfaces[0]).replace("{B}", b.surfaces[0])


def usable_alias(alias: str) -> bool:
    return bool(alias) and alias[:1].isupper() and "," not in alias and "(" not in alias


def actor_surfaces(name: str, aliases: list[str]) -> list[str]:
    """The name first (or the first plain alias when the official name reads badly in prose)."""
    good = [a for a in aliases if usable_alias(a)]
    if not usable_alias(name) and good:
        return good[:1] + [a for a in good[1:]]
    return [name] + good
