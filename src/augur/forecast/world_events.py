"""A small world-events simulator: companies, markets, products and policies, with causal
rules and noise, written out as forecast cases ("Veltrix cuts 12 % of its staff" ->
"Veltrix shares fall 15 %" -> "analysts downgrade Veltrix" -> ...).

Each case draws a company (sector, size, health), the market's mood and a seed event.
Every event kind has a rule: the 4 to 6 outcomes it can lead to, each with a base
weight and how the company's health, the market's mood, the company's size and a
regulated sector shift it (logit coefficients). The outcome's distribution is the
softmax of those logits plus hidden noise (NOISE_SIGMA, drawn per level and never
written), so the context shifts the odds a lot but never settles them. The actual
outcome is sampled from that distribution, labelled 1; the other outcomes the rule
considered are the alternatives, each with its true probability (`p_true`). Every
depth follows from the actual outcome of the one before (its rule), and the
company's health drifts with the valence of what happened.

The truth itself (p_true as the forecast; 5000 cases of seed 0, about 5.2 candidates a
level) scores perplexity 3.2, 3.0, 2.8, 2.8 at depths 1 to 4 (uniform 5.1) and
multiclass Brier 0.59, 0.56, 0.52, 0.54 (uniform 0.80), about 0.11 per candidate:
far from certain by design. A forecaster is judged by the headroom it captures.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from tqdm import tqdm

from augur.forecast.case import Candidate, Case, Level, Seed, rounded, split_of

# How predictable the world is: the rule table is written in readable units, and
# logit = BASE_SHARPNESS * log(weight) + EFFECT_SCALE * (effects) + N(0, NOISE_SIGMA).
# These values put the truth's own perplexity near 3 for about 5 candidates.
BASE_SHARPNESS = 1.5
EFFECT_SCALE = 2.0
NOISE_SIGMA = 0.35  # hidden per-level logit noise: what no forecaster can see
HEALTH_DRIFT = 0.3  # health moves by this times the valence of each outcome
FIRST_DAY = date(2015, 1, 1)
DAYS_SPAN = 3650

# kind -> ((outcome, base weight, health, mood, size, regulated), ...): the effect is
# health*h + mood*m + size*z + regulated*r (h, m, z in -1..1, r 0 or 1; h drifts along
# the chain). Coefficients left out are 0.
RULES: dict[str, tuple[tuple, ...]] = {
    "layoffs": (("stock_rally", 25, 1.0, 0.5), ("stock_plunge", 20, -1.2, -0.5),
                ("strike", 12, 0, 0, 0.8), ("guidance_cut", 15, -1.0),
                ("stock_flat", 20)),
    "earnings_beat": (("stock_rally", 40, 0, 0.8), ("stock_flat", 20, 0, -0.4),
                      ("buyback", 15, 0.8, 0, 0.6), ("upgrade", 20, 0.4),
                      ("price_hike", 8, 0, 0.5)),
    "earnings_miss": (("stock_plunge", 40, -0.5, -0.8), ("downgrade", 25, -0.3),
                      ("guidance_cut", 15, -0.8), ("layoffs", 12, -1.2, 0, 0.4),
                      ("ceo_exit", 8, -1.0)),
    "product_launch": (("sales_surge", 30, 0.6, 0.6), ("sales_slump", 20, -0.8, -0.4),
                       ("price_cut", 15, 0, -0.5), ("stock_rally", 20, 0, 0.6),
                       ("product_recall", 7, -0.5, 0, -0.6), ("upgrade", 10, 0.5)),
    "product_recall": (("stock_plunge", 30, -0.6), ("lawsuit", 25, 0, 0, 0.8),
                       ("probe", 15, 0, 0, 0, 1.2), ("sales_slump", 20, -0.5),
                       ("ceo_exit", 6, -1.0)),
    "data_breach": (("stock_plunge", 25, -0.5, -0.5), ("lawsuit", 30, 0, 0, 0.8),
                    ("probe", 20, 0, 0, 0, 1.2), ("fine", 10, 0, 0, 0.3, 1.0),
                    ("ceo_exit", 8, -0.8), ("boycott", 7, 0, 0, -0.5)),
    "ceo_exit": (("stock_plunge", 25, 0.8), ("stock_rally", 15, -1.0),
                 ("downgrade", 20, 0, -0.4), ("layoffs", 15, -1.0), ("guidance_cut", 12, -0.6),
                 ("stock_flat", 13, 0, 0, 0.6)),
    "acquisition": (("stock_rally", 25, 0.6, 0.6), ("probe", 20, 0, 0, 1.2, 0.6),
                    ("stock_plunge", 20, -0.8), ("layoffs", 15, -0.4, 0, 0.4),
                    ("downgrade", 10, -0.6)),
    "stock_plunge": (("downgrade", 25, -0.4), ("buyback", 15, 1.2, 0, 0.6),
                     ("layoffs", 15, -1.0), ("ceo_exit", 10, -0.8), ("lawsuit", 12, 0, 0, 0.6),
                     ("stock_rally", 13, 0.4, 0.8)),
    "stock_rally": (("upgrade", 20, 0.4), ("stock_plunge", 15, 0, -0.8),
                    ("acquisition", 12, 0.8, 0, 0.8), ("product_launch", 18, 0.4),
                    ("buyback", 10, 0.8), ("stock_flat", 20)),
    "stock_flat": (("earnings_beat", 30, 1.2, 0.4), ("earnings_miss", 30, -1.2, -0.4),
                   ("product_launch", 20), ("partnership", 20, 0.4)),
    "downgrade": (("stock_plunge", 40, 0, -0.6), ("stock_flat", 25, 0.6),
                  ("guidance_cut", 15, -0.8), ("buyback", 10, 1.0), ("ceo_exit", 10, -0.6)),
    "upgrade": (("stock_rally", 45, 0, 0.6), ("stock_flat", 25, 0, -0.4),
                ("acquisition", 10, 0.4, 0, 0.6), ("earnings_beat", 20, 0.6)),
    "lawsuit": (("settlement", 35, 0.6), ("stock_plunge", 20, -0.4, -0.4),
                ("probe", 15, 0, 0, 0, 1.0), ("stock_flat", 15, 0, 0, 0.6),
                ("ceo_exit", 8, -0.6)),
    "settlement": (("stock_rally", 30, 0.4, 0.4), ("stock_flat", 30, 0, 0, 0.6),
                   ("guidance_cut", 15, -1.0), ("layoffs", 10, -1.0), ("buyback", 8, 1.0)),
    "probe": (("fine", 35, 0, 0, 0, 1.0), ("settlement", 15, 0.4),
              ("stock_plunge", 20, -0.4, -0.4), ("ceo_exit", 10, -0.6), ("stock_flat", 20, 0.4)),
    "fine": (("stock_flat", 35, 0, 0, 1.0), ("stock_plunge", 25, -0.6, 0, -0.8),
             ("price_hike", 12, 0, 0.4), ("layoffs", 10, -1.0), ("lawsuit", 10, 0, 0, 0.4)),
    "guidance_cut": (("stock_plunge", 45, 0, -0.6), ("downgrade", 20),
                     ("layoffs", 15, -1.0, 0, 0.4), ("price_cut", 10, 0, -0.4),
                     ("buyback", 10, 1.2)),
    "strike": (("wage_deal", 35, 0.8), ("stock_plunge", 20, -0.4),
               ("sales_slump", 15, 0, -0.4), ("layoffs", 10, -1.0), ("guidance_cut", 10, -0.6)),
    "wage_deal": (("price_hike", 30, 0, 0.4), ("stock_rally", 20, 0.4, 0.4),
                  ("stock_flat", 25), ("guidance_cut", 15, -0.8), ("layoffs", 10, -1.0)),
    "price_hike": (("sales_slump", 30, 0, -0.8), ("earnings_beat", 20, 0.6, 0.4),
                   ("boycott", 12, 0, 0, 0.6), ("rival_gains", 20, -0.6), ("stock_flat", 10)),
    "price_cut": (("sales_surge", 35, 0, 0.4), ("earnings_miss", 25, -0.8),
                  ("stock_plunge", 15, -0.4), ("downgrade", 12, -0.4),
                  ("rival_gains", 10, -0.4)),
    "partnership": (("stock_rally", 35, 0, 0.6), ("product_launch", 25, 0.4),
                    ("stock_flat", 25), ("probe", 8, 0, 0, 1.0, 0.6),
                    ("acquisition", 10, 0.4, 0, 0.6)),
    "rival_gains": (("price_cut", 30, -0.4), ("sales_slump", 25, -0.6),
                    ("product_launch", 20, 0.6), ("downgrade", 15),
                    ("acquisition", 10, 1.0, 0, 1.0)),
    "buyback": (("stock_rally", 40, 0, 0.8), ("stock_flat", 30), ("upgrade", 12, 0.4),
                ("downgrade", 10, -1.0), ("acquisition", 8, 0.6, 0, 0.6)),
    "sales_surge": (("earnings_beat", 45, 0.6), ("price_hike", 15, 0, 0.4),
                    ("stock_rally", 20, 0, 0.6), ("supply_shortage", 10, 0, 0, -0.6),
                    ("upgrade", 10)),
    "sales_slump": (("earnings_miss", 40, -0.6), ("price_cut", 20),
                    ("layoffs", 15, -1.0), ("guidance_cut", 15, -0.4), ("stock_plunge", 10)),
    "boycott": (("sales_slump", 35, 0, 0, -0.6), ("stock_plunge", 20, -0.4),
                ("price_cut", 15), ("ceo_exit", 10, -0.4), ("stock_flat", 20, 0, 0, 0.8)),
    "supply_shortage": (("price_hike", 35, 0, 0.4), ("sales_slump", 25, -0.4),
                        ("guidance_cut", 20, -0.8), ("stock_plunge", 10, 0, -0.6),
                        ("partnership", 10, 0.6)),
    "rate_hike": (("stock_plunge", 30, 0, -0.6), ("stock_flat", 25, 0.6),
                  ("guidance_cut", 15, -0.8), ("layoffs", 10, -1.0), ("sales_slump", 20, 0, -0.4)),
    "tariff": (("price_hike", 35), ("sales_slump", 20, 0, -0.4), ("stock_plunge", 20, 0, -0.4),
               ("guidance_cut", 15, -0.6), ("partnership", 10, 0.4)),
    "subsidy": (("sales_surge", 30, 0, 0.4), ("stock_rally", 30, 0, 0.6),
                ("product_launch", 20, 0.6), ("stock_flat", 20, 0, -0.4)),
    "new_regulation": (("stock_plunge", 20, 0, 0, 0, 0.8), ("price_hike", 20),
                       ("stock_flat", 25, 0.6), ("probe", 15, 0, 0, 0, 1.0),
                       ("layoffs", 10, -1.0), ("lawsuit", 10, 0, 0, 0.6)),
}
SEED_KINDS = ("layoffs", "earnings_beat", "earnings_miss", "product_launch", "product_recall",
              "data_breach", "ceo_exit", "acquisition", "lawsuit", "probe", "strike",
              "price_hike", "price_cut", "partnership", "rival_gains", "supply_shortage",
              "rate_hike", "tariff", "subsidy", "new_regulation")
VALENCE = {"stock_rally": 1, "earnings_beat": 1, "upgrade": 1, "sales_surge": 1, "buyback": 1,
           "partnership": 1, "product_launch": 1, "subsidy": 1, "wage_deal": 0.5,
           "settlement": 0, "stock_flat": 0, "acquisition": 0, "price_hike": 0,
           "price_cut": -0.5, "supply_shortage": -0.5, "tariff": -0.5, "rate_hike": -0.5,
           "new_regulation": -0.5, "fine": -0.5}  # every other kind: -1

# kind -> (phrasings, number range for {n}). {co} company, {rival}, {product}, {reg} the
# regulator, {input} what the sector buys, {sector} its name.
PHRASES: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    "layoffs": (("{co} cuts {n} % of its staff", "{co} lays off {n} % of its workforce",
                 "{co} announces {n} % job cuts"), (4, 20)),
    "earnings_beat": (("{co} beats quarterly earnings forecasts by {n} %",
                       "{co} reports profit {n} % above expectations",
                       "{co}'s quarterly results top estimates"), (3, 25)),
    "earnings_miss": (("{co} misses quarterly earnings forecasts by {n} %",
                       "{co} reports profit {n} % below expectations",
                       "{co}'s quarterly results fall short of estimates"), (3, 30)),
    "product_launch": (("{co} launches the {product}", "{co} unveils its new {product}",
                        "the {product} from {co} goes on sale"), (1, 1)),
    "product_recall": (("{co} recalls the {product}", "{co} pulls the {product} from shelves",
                        "a safety recall hits {co}'s {product}"), (1, 1)),
    "data_breach": (("{co} discloses a data breach affecting {n} million customers",
                     "hackers steal the records of {n} million {co} customers",
                     "{co} admits a leak of {n} million customer accounts"), (1, 80)),
    "ceo_exit": (("{co}'s chief executive steps down", "{co}'s CEO resigns",
                  "{co} replaces its chief executive"), (1, 1)),
    "acquisition": (("{co} agrees to buy {rival}", "{co} announces a takeover of {rival}",
                     "{co} strikes a deal to acquire {rival}"), (1, 1)),
    "stock_plunge": (("{co} shares fall {n} %", "{co} stock drops {n} %",
                      "{co} loses {n} % of its market value"), (6, 25)),
    "stock_rally": (("{co} shares rise {n} %", "{co} stock jumps {n} %",
                     "{co} gains {n} % in market value"), (5, 20)),
    "stock_flat": (("{co} shares barely move", "{co} stock ends the week flat",
                    "investors shrug and {co} shares hold steady"), (1, 1)),
    "downgrade": (("analysts downgrade {co}", "a major bank cuts its rating on {co}",
                   "{co} gets a sell rating from analysts"), (1, 1)),
    "upgrade": (("analysts upgrade {co}", "a major bank raises its rating on {co}",
                 "{co} gets a buy rating from analysts"), (1, 1)),
    "lawsuit": (("customers sue {co} in a class action", "{co} faces a class-action lawsuit",
                 "a group of shareholders takes {co} to court"), (1, 1)),
    "settlement": (("{co} settles for ${n} million", "{co} agrees to pay ${n} million to settle",
                    "{co} ends the dispute with a ${n} million settlement"), (5, 400)),
    "probe": (("{reg} opens an investigation into {co}", "{reg} starts probing {co}",
               "{co} comes under investigation by {reg}"), (1, 1)),
    "fine": (("{reg} fines {co} ${n} million", "{co} is fined ${n} million by {reg}",
              "{co} must pay a ${n} million penalty"), (10, 900)),
    "guidance_cut": (("{co} cuts its annual outlook by {n} %",
                      "{co} lowers its revenue forecast by {n} %",
                      "{co} warns sales will come in {n} % lower"), (2, 15)),
    "strike": (("workers at {co} go on strike", "{co} staff walk out over pay",
                "a strike halts work at {co}"), (1, 1)),
    "wage_deal": (("{co} agrees a {n} % pay rise with its unions",
                   "{co} and its workers settle on a {n} % raise",
                   "{co} signs a wage deal worth {n} % more pay"), (2, 9)),
    "price_hike": (("{co} raises prices by {n} %", "{co} puts its prices up {n} %",
                    "{co} customers face {n} % higher prices"), (3, 15)),
    "price_cut": (("{co} cuts prices by {n} %", "{co} slashes its prices {n} %",
                   "{co} launches {n} % discounts"), (5, 30)),
    "partnership": (("{co} announces a partnership with {rival}",
                     "{co} teams up with {rival}", "{co} and {rival} sign a joint venture"),
                    (1, 1)),
    "rival_gains": (("{rival} wins market share from {co}", "{rival} overtakes {co} in sales",
                     "customers switch from {co} to {rival}"), (1, 1)),
    "buyback": (("{co} announces a ${n} billion share buyback",
                 "{co} will buy back ${n} billion of its stock",
                 "{co} returns ${n} billion to shareholders"), (1, 20)),
    "sales_surge": (("{co} sales jump {n} %", "demand for the {product} lifts {co} sales {n} %",
                     "{co} reports {n} % higher sales"), (8, 40)),
    "sales_slump": (("{co} sales fall {n} %", "demand for the {product} drops {n} %",
                     "{co} reports {n} % lower sales"), (8, 35)),
    "boycott": (("consumers call for a boycott of {co}", "a boycott campaign targets {co}",
                 "activists urge shoppers to shun {co}"), (1, 1)),
    "supply_shortage": (("a shortage of {input} hits {co}",
                         "{co} runs short of {input}",
                         "{input} supplies to {co} dry up"), (1, 1)),
    "rate_hike": (("the central bank raises interest rates by {n} basis points",
                   "interest rates go up {n} basis points",
                   "the central bank hikes rates {n} basis points"), (25, 75)),
    "tariff": (("the government imposes {n} % tariffs on imported {input}",
                "new {n} % tariffs hit imported {input}",
                "imported {input} will carry a {n} % tariff"), (5, 30)),
    "subsidy": (("the government announces subsidies for the {sector} industry",
                 "{sector} makers win new state subsidies",
                 "a subsidy programme for the {sector} sector is approved"), (1, 1)),
    "new_regulation": (("{reg} tightens the rules for the {sector} sector",
                        "new regulations hit the {sector} industry",
                        "{reg} imposes stricter standards on {sector} companies"), (1, 1)),
}

# sector: (what a company is, regulated, products, what it buys, regulator)
SECTORS = {
    "chip": ("chip maker", 0, ("X9 processor", "Nova graphics card", "edge AI chip"),
             "silicon wafers", "the trade commission"),
    "retail": ("retail chain", 0, ("house clothing line", "same-day delivery service",
                                  "loyalty card"), "cotton", "the consumer protection agency"),
    "drug": ("drug maker", 1, ("Lumera allergy pill", "Cardiva heart drug", "flu vaccine"),
             "active ingredients", "the medicines agency"),
    "bank": ("bank", 1, ("Zero-fee current account", "mortgage app", "premium credit card"),
             "deposits", "the financial regulator"),
    "airline": ("airline", 1, ("long-haul business class", "low-cost Europe routes",
                               "frequent-flyer plan"), "jet fuel", "the aviation authority"),
    "car": ("carmaker", 0, ("Vento electric SUV", "Aria compact car", "hybrid pickup"),
            "steel", "the road safety agency"),
    "energy": ("energy company", 1, ("home solar plan", "green tariff", "EV charging network"),
               "natural gas", "the energy regulator"),
    "software": ("software company", 0, ("cloud office suite", "AI assistant",
                                         "security platform"), "cloud capacity",
                 "the data protection authority"),
}
_START = ("Vel", "Or", "Tal", "Quin", "Bram", "Cor", "Dex", "Fen", "Hal", "Kes", "Lum", "Mar",
          "Nor", "Pax", "Rho", "Sol", "Tor", "Ul", "Vor", "Zen")
_END = ("trix", "ana", "ex", "ora", "well", "ion", "ara", "ico", "yn", "etta", "ium", "on")
_HEALTH = {-1: ("struggling", "loss-making", "debt-laden"), 0: ("steady", "stable", "middling"),
           1: ("thriving", "fast-growing", "highly profitable")}
_SIZE = {-1: "young", 0: "mid-size", 1: "giant"}
_MOOD = {-1: ("Markets are sliding.", "Investors are nervous and stocks are falling."),
         0: ("Markets are calm.", "Stocks have moved sideways for months."),
         1: ("Markets are booming.", "Investors are upbeat and stocks are at record highs.")}

assert set(SEED_KINDS) <= set(RULES) and set(RULES) == set(PHRASES)
assert all(o[0] in RULES and 4 <= len(r) <= 6 for r in RULES.values() for o in r)


def _company(rng: random.Random, taken: str = "") -> str:
    while (name := rng.choice(_START) + rng.choice(_END)) == taken:
        pass
    return name


def _phrase(kind: str, rng: random.Random, slots: dict[str, str]) -> str:
    phrasings, (lo, hi) = PHRASES[kind]
    text = rng.choice(phrasings).format(n=rng.randint(lo, hi), **slots)
    return text[0].upper() + text[1:]


def _distribution(kind: str, h: float, m: int, z: int, r: int, rng: random.Random):
    """The rule's outcomes and their probabilities, with this level's hidden noise."""
    outcomes = RULES[kind]
    logits = []
    for _, weight, *coef in outcomes:
        ch, cm, cz, cr = (list(coef) + [0, 0, 0, 0])[:4]
        effect = ch * h + cm * m + cz * z + cr * r
        logits.append(BASE_SHARPNESS * math.log(weight) + EFFECT_SCALE * effect
                      + rng.gauss(0.0, NOISE_SIGMA))
    top = max(logits)
    weights = [math.exp(v - top) for v in logits]
    total = math.fsum(weights)
    return [o[0] for o in outcomes], [w / total for w in weights]


def world_case(seed: int, i: int, depth: int = 4) -> Case:
    """Case `i` of world `seed`: a pure function of both (and of `depth`)."""
    rng = random.Random(f"augur-forecast-world-{seed}-{i}")
    sector = rng.choice(sorted(SECTORS))
    noun, regulated, products, inputs, regulator = SECTORS[sector]
    co = _company(rng)
    slots = {"co": co, "rival": _company(rng, co), "product": rng.choice(products),
             "reg": regulator, "input": inputs, "sector": sector}
    health, mood, size = rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1)), rng.choice((-1, 0, 1))
    context = (f"{co} is a {rng.choice(_HEALTH[health])} {_SIZE[size]} {noun}"
               f"{' in a closely regulated sector' if regulated else ''}. "
               f"{rng.choice(_MOOD[mood])}")
    kind = rng.choice(SEED_KINDS)
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS_SPAN))
    seed_event = Seed(text=_phrase(kind, rng, slots), date=day.isoformat())
    h, levels, previous = float(health), [], kind
    for d in range(1, depth + 1):
        kinds, probs = _distribution(previous, h, mood, size, regulated, rng)
        actual = rng.choices(range(len(kinds)), weights=probs)[0]
        day += timedelta(days=rng.randint(1, 30))
        order = list(range(len(kinds)))
        rng.shuffle(order)  # the actual outcome sits anywhere in the list
        p = rounded([probs[j] for j in order])
        levels.append(Level(depth=d, date=day.isoformat(), candidates=[
            Candidate(text=_phrase(kinds[j], rng, slots), label=int(j == actual),
                      kind=kinds[j], p_true=p[k]) for k, j in enumerate(order)]))
        previous = kinds[actual]
        h += HEALTH_DRIFT * VALENCE.get(previous, -1)
    cid = f"world-{seed}-{i:06d}"
    return Case(id=cid, source="world", kind=kind, split=split_of(cid), seed=seed_event,
                context=context, levels=levels)


def world_cases(n: int, seed: int, depth: int = 4, progress: bool = False) -> list[Case]:
    """n cases of world `seed`; case i does not depend on n (a longer run extends a shorter)."""
    return [world_case(seed, i, depth)
            for i in tqdm(range(n), desc="world cases", unit="case", disable=not progress or None)]
