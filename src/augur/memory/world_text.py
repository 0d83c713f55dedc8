"""The words of the simulated world: what each project is about, how its work items,
tickets, alerts, documents and meetings are named, and paraphrases of every phrase.

Each catalogue entry is `(canonical, paraphrase)`: resources are named with the
canonical phrase, and the retrieval benchmark (world_queries.py) asks for them
with the paraphrase, so a query shares meaning with its answer but few of its words.
Templates are plain format strings with named fields; world_queries.parse reads a
name back into its fields, which is how a query is built from a batch alone.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from augur.events.persona_world import EPOCH_LOCAL
from augur.events.schema import Event

if TYPE_CHECKING:
    from augur.memory.world import Member

# project -> (what it is, {area: ((subject, paraphrase), ...)})
PROJECTS: dict[str, tuple[str, dict[str, tuple[tuple[str, str], ...]]]] = {
    "atlas": ("identity and sign-in platform", {
        "authentication": (("token refresh", "renewing access tokens"),
                           ("login throttling", "limiting repeated sign-in attempts"),
                           ("password reset", "recovering a forgotten password")),
        "session handling": (("session expiry", "logging users out after inactivity"),
                             ("session cookies", "the browser cookies that keep people signed in"),
                             ("device list", "the list of signed-in devices")),
        "single sign-on": (("SAML assertions", "enterprise SSO responses"),
                           ("OIDC discovery", "the OpenID provider configuration lookup"),
                           ("SCIM provisioning", "automatic account creation from the directory")),
                           }),
    "borealis": ("event ingestion pipeline", {
        "ingestion": (("Kafka consumers", "the stream readers"),
                      ("schema registry", "the catalogue of event formats"),
                      ("dead-letter queue", "the parking lot for undeliverable messages")),
        "batch jobs": (("nightly backfill", "the overnight reprocessing job"),
                       ("Spark shuffle", "moving data between cluster workers"),
                       ("partition pruning", "skipping irrelevant data partitions")),
        "data quality": (("null checks", "validation of missing values"),
                         ("freshness alerts", "warnings about late data"),
                         ("row count reconciliation", "comparing record totals between systems"))}),
    "cobalt": ("payments service", {
        "checkout": (("payment intents", "the objects tracking a customer's payment"),
                     ("3-D Secure challenge", "the bank verification step"),
                     ("idempotency keys", "the tokens that prevent double charges")),
        "refunds": (("partial refunds", "giving back part of an order"),
                    ("refund webhooks", "callbacks announcing returned money"),
                    ("chargeback disputes", "card disputes raised by shoppers")),
        "ledger": (("currency rounding", "rounding amounts in foreign money"),
                   ("ledger reconciliation", "matching our books against the bank"),
                   ("payout batching", "grouping merchant payouts"))}),
    "delta": ("mobile sync backend", {
        "sync engine": (("offline queue", "changes saved while the phone has no signal"),
                        ("conflict resolution", "merging edits made on two devices"),
                        ("delta compression", "shrinking the data sent on each sync")),
        "push notifications": (("APNs tokens", "Apple push credentials"),
                               ("notification batching", "bundling alerts together"),
                               ("quiet hours", "muting alerts at night")),
        "mobile API": (("GraphQL resolvers", "the query handlers of the app backend"),
                       ("API versioning", "keeping old app releases working"),
                       ("image uploads", "sending photos from the app"))}),
    "ember": ("search and ranking service", {
        "indexing": (("index rebuild", "regenerating the search index"),
                     ("synonym dictionary", "the list of equivalent search words"),
                     ("incremental indexing", "updating the index as documents change")),
        "ranking": (("ranking model", "the scorer that orders results"),
                    ("click-through features", "signals from what users click"),
                    ("freshness boost", "favouring recent content")),
        "query parsing": (("spell correction", "fixing typos in searches"),
                          ("autocomplete", "suggestions while typing"),
                          ("facet filters", "narrowing results by category"))}),
    "fjord": ("internal developer portal", {
        "service catalog": (("ownership metadata", "who is responsible for each service"),
                            ("dependency graph", "the map of which service calls which"),
                            ("scorecards", "maturity ratings per service")),
        "docs site": (("portal search", "finding pages on the portal"),
                      ("API reference pages", "generated endpoint documentation"),
                      ("broken link checker", "detecting dead links")),
        "templates": (("service scaffolding", "the generator for new repositories"),
                      ("CI templates", "shared pipeline definitions"),
                      ("golden paths", "the recommended way to build a service"))}),
    "granite": ("storage and database platform", {
        "replication": (("replica lag", "followers falling behind the primary"),
                        ("failover", "switching to a standby database"),
                        ("WAL shipping", "copying the transaction log to replicas")),
        "backups": (("snapshot schedule", "when point-in-time copies are taken"),
                    ("restore drills", "practising recovery from backups"),
                    ("backup encryption", "protecting stored copies with keys")),
        "query layer": (("connection pooling", "reusing database connections"),
                        ("slow query log", "recording expensive statements"),
                        ("index advisor", "suggestions for missing indexes"))}),
    "helix": ("machine learning feature store", {
        "feature store": (("online serving", "low-latency feature lookups"),
                          ("point-in-time joins", "leakage-free training joins"),
                          ("feature backfills", "recomputing historical feature values")),
        "training pipeline": (("GPU scheduling", "allocating accelerators to jobs"),
                              ("hyperparameter sweeps", "automated tuning runs"),
                              ("model registry", "the catalogue of trained models")),
        "model monitoring": (("drift detection", "noticing when input data changes"),
                             ("prediction logging", "recording what the model answered"),
                             ("shadow deployments", "running a new model silently beside the old")),
                             }),
}
# (name in a PR title, paraphrase, how a ticket describes it)
SYMPTOMS = (
    ("race condition", "a concurrency glitch", "fails intermittently when two requests overlap"),
    ("timeout under load", "slowness at peak traffic", "times out during traffic peaks"),
    ("off-by-one error", "a boundary miscount", "drops the last item of each page"),
    ("memory leak", "steadily growing memory use", "leaks memory until the pod restarts"),
    ("wrong status code", "an incorrect error response", "returns 500 instead of 400 on bad input"),
    ("stale cache", "outdated cached values", "serves stale data after an update"),
    ("null pointer crash", "a crash on missing values", "crashes when an optional field is empty"),
    ("duplicate processing", "work being done twice", "handles the same message twice"),
    ("timezone bug", "a clock offset mistake", "uses UTC instead of the user's time zone"),
    ("retry storm", "runaway retries", "retries without backoff and floods its dependencies"),
)
FEATURES = (("pagination", "paging through results"), ("metrics", "instrumentation"),
            ("retry with backoff", "automatic retries with growing delays"),
            ("feature flag", "a rollout toggle"), ("audit logging", "an audit trail"),
            ("bulk export", "exporting in batches"), ("caching", "a cache layer"),
            ("input validation", "checks on incoming fields"), ("rate limits", "request quotas"),
            ("dry-run mode", "a rehearsal mode that changes nothing"))
CHORES = (("structured logging", "machine-readable logs"),
          ("the new config loader", "the updated settings reader"),
          ("Python 3.12", "the latest Python release"),
          ("an async client", "a non-blocking client"),
          ("OpenTelemetry tracing", "distributed tracing"))
CASES = (("handles_timeout", "timeout handling"), ("concurrent_updates", "simultaneous writes"),
         ("empty_payload", "empty input"), ("retries_on_conflict", "retrying after a conflict"),
         ("unicode_names", "non-ASCII names"), ("large_batch", "very big batches"),
         ("expired_credentials", "expired credentials"), ("rollback_on_error", "undo on failure"))
ALERTS = (("elevated 5xx errors", "a spike of server errors"),
          ("p99 latency above SLO", "responses getting very slow"),
          ("consumer lag growing", "a backlog of unprocessed messages"),
          ("disk usage above 90%", "storage almost running out"),
          ("crash loop after deploy", "pods restarting over and over"),
          ("certificate expiring", "a TLS certificate about to lapse"))
INVESTIGATE = ("checked the {subject} dashboards and error logs",
               "compared the failing hosts with the healthy ones",
               "looked at the last deploys of {project}", "traced slow requests through {subject}",
               "asked {buddy} to pull the database metrics")
MITIGATE = ("rolled back the last {project} deploy", "scaled the {area} workers up to 12 replicas",
            "turned off the {subject} feature flag", "failed over to the standby region",
            "restarted the stuck {subject} consumers")
# doc kind -> (name template, paraphrase template)
DOC_KINDS = {
    "design": ("Design doc: {feature} for {project} {subject}",
               "the proposal about {feature~} for {subject~} in {project}"),
    "runbook": ("Runbook: {project} {subject} outages",
                "the operations playbook for when {subject~} breaks in {project}"),
    "roadmap": ("{Project} {area} roadmap draft",
                "the plan for the coming quarter of {area} work in {project}"),
    "onboarding": ("Onboarding guide to {project} {area}",
                   "the newcomer handbook for the {area} part of {project}"),
    "rfc": ("RFC: replace {project} {subject}", "the request for comments on swapping out "
            "{subject~} in {project}"),
}
MEETING_KINDS = (("roadmap sync", "roadmap", "planning session on what comes next"),
                 ("design review", "bug", "architecture discussion"),
                 ("sprint planning", "release", "iteration planning"),
                 ("customer feedback review", "customer", "talk about client complaints"),
                 ("hiring debrief", "hiring", "candidate discussion"),
                 ("budget check-in", "budget", "spending conversation"),
                 ("security review", "security", "threat-model walkthrough"),
                 ("metrics review", "metrics", "look at the numbers"),
                 ("release readiness", "release", "go/no-go call before shipping"),
                 ("onboarding session", "onboarding", "introduction for a newcomer"))
EMAIL_SUBJECTS = {
    "release": ("Release plan for {project} {subject}", "the schedule for shipping {subject~}"),
    "budget": ("{Project} cloud budget: {area} spend", "how much {area} costs us"),
    "hiring": ("Interview loop for the {project} {area} role", "candidates for {area}"),
    "roadmap": ("{Project} roadmap: {subject} next quarter?", "future plans for {subject~}"),
    "bug": ("Bug report: {project} {subject}", "a defect in {subject~}"),
    "customer": ("{customer} escalation about {project} {subject}",
                 "a client complaint about {subject~}"),
    "security": ("Security review of {project} {subject}", "a vulnerability check of {subject~}"),
    "offsite": ("Team offsite in {city}", "the team trip"),
    "metrics": ("{Project} weekly metrics: {subject}", "numbers on {subject~}"),
    "onboarding": ("Onboarding {newhire} to {project}", "getting a new colleague started"),
}
CUSTOMERS = ("Northwind", "Globex", "Initech", "Umbrella Health", "Contoso Retail", "Acme Freight")
CITIES = ("Lisbon", "Krakow", "Porto", "Valencia", "Tallinn", "Ghent")
NEWHIRES = ("Yusuf", "Marta", "Kenji", "Olga", "Pavel", "Lucia")
ROLES = ("backend engineer", "frontend engineer", "site reliability engineer", "product manager",
         "data engineer", "QA engineer", "staff engineer", "product designer",
         "security engineer", "technical writer", "mobile engineer", "data scientist")
PROMOTION = {r: ("senior " + r if r.endswith(("engineer", "manager", "scientist")) else r + " lead")
             for r in ROLES}
PROMOTION.update({"staff engineer": "principal engineer", "site reliability engineer": "SRE lead",
                  "product designer": "lead designer", "technical writer": "documentation lead"})
SURNAMES = ("Ruiz", "Okafor", "Lindgren", "Kowalski", "Nakamura", "Haddad", "Moreau", "Petrov",
            "Silva", "Brennan", "Novak", "Iyer", "Fischer", "Osei", "Larsen", "Costa", "Yilmaz",
            "Tanaka", "Murphy", "Rossi", "Dubois", "Varga", "Adeyemi", "Keller")
PERSONA_FIRST = ("Alex", "Sam", "Jordan", "Robin", "Noor", "Leo", "Iris", "Elena", "Theo", "Mira")
EXTERNAL_FIRST = ("Grace", "Victor", "Ingrid", "Carlos", "Amara", "Felix")
MOODS = {"stressed": "A stressful day.", "frustrated": "A bit frustrating.",
         "satisfied": "Satisfying day.", "calm": "A calm, steady day.", "tired": "Long day, tired."}


@dataclass(frozen=True)
class Work:
    """One piece of engineering work: the ticket, PR, build and tests share it."""

    kind: str  # bug, feature, chore
    project: str
    area: str
    subject: str
    twist: int  # index into SYMPTOMS, FEATURES or CHORES

    def fields(self) -> dict[str, str]:
        f = {"project": self.project, "Project": self.project.capitalize(), "area": self.area,
             "subject": self.subject, "Subject": self.subject[0].upper() + self.subject[1:]}
        if self.kind == "bug":
            f["symptom"], _, f["ticket_phrase"] = SYMPTOMS[self.twist]
        elif self.kind == "feature":
            f["feature"] = FEATURES[self.twist][0]
        else:
            f["chore"] = CHORES[self.twist][0]
        return f


PR_TITLES = {"bug": "Fix {symptom} in {project} {subject}",
             "feature": "Add {feature} to {project} {subject}",
             "chore": "Move {project} {subject} to {chore}"}
TICKET_TITLES = {"bug": "{key}: {Subject} {ticket_phrase}",
                 "feature": "{key}: Support {feature} in {subject}",
                 "chore": "{key}: Tech debt: move {subject} to {chore}"}


def draw_work(rng: random.Random, project: str, used: set[tuple]) -> Work:
    """A work item of `project` not drawn before (retrying a few times, then reusing)."""
    areas = PROJECTS[project][1]
    for _ in range(12):
        area = rng.choice(sorted(areas))
        subject = rng.choice(areas[area])[0]
        kind = rng.choices(("bug", "feature", "chore"), weights=(5, 4, 1))[0]
        twist = rng.randrange(len({"bug": SYMPTOMS, "feature": FEATURES, "chore": CHORES}[kind]))
        w = Work(kind, project, area, subject, twist)
        if (kind, project, subject, twist) not in used:
            break
    used.add((w.kind, w.project, w.subject, w.twist))
    return w


def pr_title(w: Work) -> str:
    return PR_TITLES[w.kind].format(**w.fields())


def ticket_title(w: Work, number: int) -> str:
    return TICKET_TITLES[w.kind].format(key=f"{w.project[:3].upper()}-{number}", **w.fields())


def failing_tests(w: Work, rng: random.Random, k: int) -> list[str]:
    stem = f"tests/{slug_(w.area)}/test_{slug_(w.subject)}.py::test_"
    return [stem + case for case, _ in rng.sample(CASES, k)]


def pr_description(w: Work) -> str:
    f = w.fields()
    if w.kind == "bug":
        return (f"{f['Subject']} {f['ticket_phrase']}. This change removes the {f['symptom']} "
                f"in the {f['area']} code of {f['project']} and adds a regression test.")
    if w.kind == "feature":
        return (f"Adds {f['feature']} to {f['subject']} in {f['project']}, behind a flag "
                f"until the {f['area']} dashboards confirm it behaves.")
    return (f"Moves {f['subject']} in {f['project']} to {f['chore']}; no behaviour change "
            f"intended for {f['area']}.")


# ---- sentences -----------------------------------------------------------------------
EMAIL_BODY = {  # topic -> what the sender writes; {ask} is a question or a statement
    "release": "The {project} release with the {subject} change is pencilled in for next week. "
               "{ask}",
    "budget": "Finance asked for the {area} spend of {project} this quarter. {ask}",
    "hiring": "We have two candidates for the {area} role on {project}; interviews are being "
              "scheduled. {ask}",
    "roadmap": "I am drafting the {project} roadmap and {subject} keeps coming up. {ask}",
    "bug": "Users report that {subject} in {project} misbehaves since Tuesday; logs attached. "
           "{ask}",
    "customer": "{customer} escalated a problem with {subject} in {project}. {ask}",
    "security": "The security team wants to review {subject} in {project} before the audit. {ask}",
    "offsite": "Planning the team offsite in {city}; travel is booked through the usual "
               "portal. {ask}",
    "metrics": "This week's {project} numbers are in: {subject} latency and error rates. {ask}",
    "onboarding": "{newhire} joins the {project} team on Monday and needs a buddy. {ask}",
}
ASKS = ("Could you tell me by Thursday what you think?", "Do you have the numbers for this?",
        "Can you confirm the date works for you?", "Who should own this on your side?")
TELLS = ("No action needed, just keeping you in the loop.", "I will share more next week.",
         "Details are in the attached doc.")
REPLIES = ("Thanks, I will look at {subject} today and get back to you.",
           "Short answer: yes, that works for {project}; details in the doc.",
           "I checked with the team: we can handle {subject} this sprint.",
           "Looping in {other}, who knows {area} better than I do.")
FOLLOWUPS = ("Thanks for the quick answer!", "Following up: any update on this?",
             "One more detail on {subject}: the numbers changed a little.")
CHAT_LINES = ("is anyone else seeing {subject} flake on CI today?",
              "deploying {project} {area} in 10 minutes, shout if you object",
              "PR for {subject} is up, reviews welcome", "{subject} dashboards look better today",
              "heads up: {area} alerts are noisy this morning",
              "who knows why {subject} got slower since Monday?",
              "lunch in 15?", "notes from the {area} sync are in the doc")
CHAT_MENTIONS = ("@{me} could you take a look at {subject}?", "@{me} are you around for a quick "
                 "question on {area}?", "@{me} your change to {subject} broke my local setup")
CHAT_REPLIES = ("@{who} on it, give me 20 minutes", "@{who} sure, after standup",
                "@{who} looks fine to me now, try again?", "@{who} good catch, fixing it")
REVIEW_COMMENTS = ("could we add a test for {case}?", "nit: the name of this helper is confusing",
                   "this will conflict with the {area} refactor, please rebase",
                   "what happens to {subject} when the request times out?")
MY_REVIEWS = ("Left three comments; the {subject} change looks right, the tests need {case}.",
              "Approved with a nit about logging in {area}.",
              "Asked for a benchmark before we merge the {subject} change.")
DECISIONS = ("ship {subject} behind a flag first",
             "postpone {subject} work until after the release",
             "keep the current {area} design and revisit in two weeks",
             "ask the customer for more logs before touching {subject}",
             "make {subject} the top priority of next sprint")
ACTIONS = ("write up the {subject} proposal", "check the {subject} metrics",
           "open a ticket for the {area} follow-ups", "review the {area} runbook",
           "sync with finance about {area} costs", "share the notes with the wider team")
ROOT_CAUSES = ("a config change to {subject} that skipped review",
               "a slow query introduced by the last {area} deploy",
               "an expired credential used by {subject}",
               "a traffic spike that {subject} was not sized for")


# ---- paraphrases -------------------------------------------------------------------
def paraphrases() -> dict[str, str]:
    """canonical phrase (lower case) -> its paraphrase, over the whole catalogue."""
    table: dict[str, str] = {}
    for _, areas in PROJECTS.values():
        for pairs in areas.values():
            table.update((a.lower(), b) for a, b in pairs)
    for pairs in (SYMPTOMS, FEATURES, CHORES, CASES, ALERTS):
        table.update((p[0].lower(), p[1]) for p in pairs)
    table.update((t.lower(), p) for _, p, t in SYMPTOMS)
    table.update((k, p) for k, _, p in MEETING_KINDS)
    return table


def slug_(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def clip(lines: list[str], max_words: int = 380) -> str:
    """Join lines, dropping later ones past `max_words` (a note says how many)."""
    out, words = [], 0
    for i, line in enumerate(lines):
        n = len(line.split())
        if words + n > max_words and out:
            out.append(f"(... {len(lines) - i} more entries)")
            break
        out.append(line)
        words += n
    return "\n".join(out)


# ---- days, times and people in words ------------------------------------------------
def _day(ts: datetime) -> int:
    """The simulated day of a local timestamp (0 = the world's first Monday)."""
    return (ts.date() - EPOCH_LOCAL.date()).days


def _by_day(events) -> list[tuple[int, list[Event]]]:
    days: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        days[_day(e.ts)].append(e)
    return list(days.items())


def _hm(ts: datetime) -> str:
    return f"{ts:%H:%M}"


def _dm(ts) -> str:
    return f"{ts.day} {ts:%b}"


def _long(ts) -> str:
    return f"{ts:%A} {ts.day} {ts:%B} {ts.year}"


def _names(people: list[Member]) -> str:
    names = [m.name for m in people]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
