"""Moments, links, entities and facts of the simulated world.

`LinksMixin` is one part of world._World: after the resources are written it adds the
moments of the person's day (focus blocks, meetings, breaks, reviews, inbox triage,
incidents), the SEE_ALSO edges between related resources, the entities and the facts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from augur.events.persona_effects import TOPICS
from augur.events.persona_world import EPOCH_LOCAL
from augur.events.schema import Event
from augur.memory import world_text as T
from augur.memory.model import Entity, Fact, Moment, Person, Resource, slug
from augur.memory.world_text import _day, _hm, _names

if TYPE_CHECKING:
    from augur.memory.world import Member

SEE_ALSO_DAYS = 3  # resources this close in time, same project and a shared topic, get linked
SEE_ALSO_PER_RESOURCE = 3  # keeps the graph sparse: only the best-overlapping neighbours
TASK_ACTIONS = {"write_code", "fix_bug", "refactor_code", "run_tests", "commit_code", "open_pr",
                "address_review", "merge_pr"}
EMAIL_ACTIONS = {"triage_inbox", "read_email", "reply_email", "write_email", "forward_email",
                 "archive_email"}
REVIEW_ACTIONS = {"review_pr", "review_doc", "comment_doc"}


class LinksMixin:
    """Moments, SEE_ALSO edges, entities and facts; the state lives on world._World."""

    def _moment(self, mtype: str, name: str, summary: str, start: datetime, end: datetime,
                about: list[str], emotions: list[str], people: list[Member] | None = None,
                project: str | None = None, lines: list[str] | None = None) -> None:
        mid = base = f"moment-{start:%Y%m%d-%H%M}-{mtype}"
        while mid in self.moment_ids:  # two of a kind in one minute
            mid = f"{base}-{len(self.moment_ids)}"
        self.moment_ids.add(mid)
        about = [r for r in dict.fromkeys(about) if r in self.res]
        topics = list(dict.fromkeys([*([project] if project else []),
                                     *(t for r in about for t in self.res[r].topics)]))
        people = people or []
        content = T.clip(lines or [f"About: {'; '.join(self.res[r].name for r in about)}."
                                   if about else "Nothing else recorded."])
        self.moments.append(Moment(
            id=mid, name=name, summary=summary, content=content, start=start,
            end=max(end, start + timedelta(minutes=1)), moment_type=mtype, emotion_tags=emotions,
            topic_tags=topics, project=project,
            present_persons=[Person(id=m.id, name=m.name, comment=m.role_at(start))
                             for m in people]))
        for r in about:
            self.edge(mid, r, "ABOUT", start, f"{name} was about {self.res[r].name}")
        for m in people:
            self.edge(m.id, mid, "ATTENDED", start, f"{m.name} was there")

    def _moments(self) -> None:
        own = [e for e in self.events if e.actor == self.me.key]
        for i, e in enumerate(own):
            a, nxt = e.action, own[i + 1].ts if i + 1 < len(own) else e.ts + timedelta(minutes=30)
            if a == "start_focus":
                j = next((k for k in range(i + 1, len(own)) if own[k].action in
                          ("end_focus", "end_day")), len(own) - 1)
                inside = own[i + 1:j]
                acts = {x.action for x in inside}
                about = [r for x in inside if (r := self._rid(x))
                         and self.res[r].kind in ("pr", "document", "ticket", "build")]
                solving = bool(acts & {"fix_bug", "check_ci", "investigate_incident"}) or not (
                    acts & {"write_code", "refactor_code"})
                what = self.res[about[0]].name if about else "my own work"
                self._moment("problem_solving" if solving else "coding", f"Focus block: {what}",
                             f"You blocked {_hm(e.ts)}-{_hm(own[j].ts)} for deep work on {what}.",
                             e.ts, own[j].ts, about,
                             ["focused", *(["satisfied"] if "merge_pr" in acts else []),
                              *(["frustrated"] if "fix_bug" in acts else [])],
                             [self.me], self._project(about))
            elif a == "attend_meeting" and e.attributes["artifact"] in self.res:
                mid = e.attributes["artifact"]
                p = self._meeting_plan(mid)
                end = max(p["start"] + timedelta(minutes=p["minutes"]), e.ts + timedelta(minutes=5))
                self._moment("meeting", p["title"],
                             f"You met {_names(p['people'])} about {p['f']['subject']}.",
                             e.ts, end, [mid], ["routine"] if p["kind"] == "standup"
                             else ["engaged", "curious"], [self.me, *p["people"]], p["project"],
                             self.res[mid].content.splitlines()[:4])
            elif a in ("lunch", "take_break"):
                planned = timedelta(minutes=self.habits.lunch_min if a == "lunch" else 15)
                end = max(e.ts + timedelta(minutes=5), min(nxt, e.ts + planned))
                self._moment("break", "Lunch" if a == "lunch" else "Short break",
                             f"You stepped away for {'lunch' if a == 'lunch' else 'a break'}.",
                             e.ts, end, [], ["relaxed"], [self.me])
            elif a in REVIEW_ACTIONS and (r := self._rid(e)):
                self._moment("review", f"Review: {self.res[r].name}",
                             f"You reviewed {self.res[r].name}.", e.ts,
                             max(e.ts + timedelta(minutes=5),
                                 min(nxt, e.ts + timedelta(minutes=40))),
                             [r], ["attentive"], [self.me], self.res[r].project)
            elif a in ("plan_day", "end_day"):
                rid = f"plan-{e.ts.date()}" if a == "plan_day" else f"notes-{_day(e.ts)}"
                mood = self.mood.get(_day(e.ts), "calm")
                self._moment("planning" if a == "plan_day" else "reflection",
                             "Planning the day" if a == "plan_day" else "End-of-day diary",
                             "You planned your day." if a == "plan_day" else
                             f"You wrote your diary; the day felt {mood}.", e.ts,
                             e.ts + timedelta(minutes=10), [rid],
                             ["organised"] if a == "plan_day" else [mood], [self.me])
        self._bursts(own)
        self._incident_moments(own)

    def _bursts(self, own: list[Event]) -> None:
        """Runs of email actions less than 20 minutes apart: inbox triage."""
        run: list[Event] = []
        for e in [*own, None]:
            if e is not None and e.action in EMAIL_ACTIONS and (
                    not run or e.ts - run[-1].ts < timedelta(minutes=20)):
                run.append(e)
                continue
            if len(run) >= 2:
                about = [r for x in run if (r := self._rid(x))]
                self._moment("admin", f"Inbox triage ({len(run)} emails)",
                             f"You went through your email: {len(run)} actions, "
                             f"{sum(x.action == 'reply_email' for x in run)} replies.",
                             run[0].ts, run[-1].ts + timedelta(minutes=5), about,
                             ["busy", *(["overwhelmed"] if len(run) >= 8 else [])], [self.me])
            run = [e] if e is not None and e.action in EMAIL_ACTIONS else []

    def _incident_moments(self, own: list[Event]) -> None:
        steps: dict[str, list[Event]] = defaultdict(list)
        for e in own:
            if e.attributes["artifact"].startswith("incident-") and e.action != "write_postmortem":
                steps[e.attributes["artifact"]].append(e)
        for inc, evs in steps.items():
            r = self.res[inc]
            people = [self._member(p) for p in r.persons]
            self._moment("incident", r.name, f"You responded to the {r.name}.", evs[0].ts,
                         evs[-1].ts + timedelta(minutes=10), [inc], ["stressed", "focused"],
                         people, r.project, r.content.splitlines()[:5])

    # ---- links, entities, facts ------------------------------------------------------
    def _see_also(self) -> None:
        """Resources of one project, days apart at most, sharing a topic: scored by overlap."""
        by_project: dict[str, list[Resource]] = defaultdict(list)
        for r in sorted(self.res.values(), key=lambda r: (r.created_at, r.id)):
            if r.project and r.kind not in ("diary_note", "chat_thread"):
                by_project[r.project].append(r)
        window = timedelta(days=SEE_ALSO_DAYS)
        for rs in by_project.values():
            for i, r in enumerate(rs):
                scored = []
                for s in rs[i + 1:]:
                    if s.created_at - r.created_at > window:
                        break
                    shared = sorted(set(r.topics) & set(s.topics))
                    if shared:
                        scored.append((len(shared) / len(set(r.topics) | set(s.topics)), s, shared))
                scored.sort(key=lambda x: (-x[0], x[1].created_at, x[1].id))
                for score, s, shared in scored[:SEE_ALSO_PER_RESOURCE]:
                    days = (s.created_at - r.created_at).days
                    self.edge(r.id, s.id, "SEE_ALSO", s.created_at,
                              f"both about {', '.join(shared)} in {r.project}, {days} days apart",
                              round(score, 3), {"topic_overlap": shared})

    def _entities(self) -> list[Entity]:
        out = [Entity(id=m.id, name=m.name, kind="person", aliases=m.aliases, comment=m.role)
               for m in self.cast.values()]
        out += [Entity(id=p, name=p.capitalize(), kind="project", aliases=[p],
                       comment=T.PROJECTS[p][0]) for p in self.habits.projects]
        areas = [(a, p) for p in self.habits.projects for a in sorted(T.PROJECTS[p][1])]
        out += [Entity(id=t, name=t, kind="topic") for t in TOPICS]
        out += [Entity(id=slug(a), name=a, kind="topic", aliases=[a], comment=f"a part of {p}")
                for a, p in areas]
        out += [Entity(id=m, name=m, kind="topic", comment="how a day felt")
                for m in sorted(T.MOODS)]
        return out

    def _facts(self) -> list[Fact]:
        start = datetime.combine(EPOCH_LOCAL.date(), datetime.min.time(), self.tz)
        facts = []

        def fact(subject: str, predicate: str, k: int, value: str, at: datetime,
                 source: str | None = None) -> None:
            facts.append(Fact(id=f"fact-{subject}-{predicate}-{k}", subject=subject,
                              predicate=predicate, value=value, source=source,
                              created_at=max(at, start), valid_at=at))

        for m in self.cast.values():
            fact(m.id, "role", 0, m.role, start - timedelta(days=self.rng.randint(60, 900)))
            if m.promoted:
                diary = f"notes-{_day(m.promoted[1])}"
                fact(m.id, "role", 1, m.promoted[0], m.promoted[1],
                     diary if diary in self.res else None)
        for p in self.habits.projects:
            fact(p, "status", 0, "planning", start - timedelta(days=self.rng.randint(40, 80)))
            fact(p, "status", 1, "in progress", start - timedelta(days=self.rng.randint(3, 30)))
            shipped = next((e for e in self.events if e.type == "deploy_finished" and
                            e.project == p and e.attributes.get("ok") and
                            _day(e.ts) >= self.days // 2), None)
            if shipped:
                fact(p, "status", 2, "released", shipped.ts, shipped.attributes["artifact"])
        weeks: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for e in self.events:  # the project most of each week's coding went to
            if e.action in TASK_ACTIONS and e.project:
                weeks[_day(e.ts) // 7][e.project] += 1
        focus, k = None, 0
        for week, counts in sorted(weeks.items()):
            top = max(sorted(counts), key=lambda p: counts[p])
            if top != focus:
                at = start + timedelta(days=7 * week)
                fact(self.me.id, "current_focus", k, top, at)
                focus, k = top, k + 1
        return sorted(facts, key=lambda f: (f.valid_at, f.id))
