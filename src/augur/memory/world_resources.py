"""The resources of the simulated world: email and chat threads, PRs, CI builds, tickets,
incidents, documents, meeting notes, status reports, diaries and day plans.

`ResourcesMixin` is one part of world._World: its methods read the events of one
artifact and write that resource's text through `_World.add` and `_World.edge`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

from augur.events.schema import Event
from augur.memory import world_text as T
from augur.memory.model import slug
from augur.memory.world_text import _by_day, _day, _dm, _hm, _long, _names


class ResourcesMixin:
    """How each kind of artifact reads; the state it uses lives on world._World."""

    def _render(self, aid: str) -> None:
        evs = self.by_art[aid]
        kind = aid.split("-")[0]
        if re.fullmatch(r"thread-\d+", aid):
            self._thread(aid, evs)
        elif kind == "thread":
            self._team_thread(aid, evs)
        elif kind == "pr":
            (self._own_pr if aid in self.task else self._review_pr)(aid, evs)
        elif kind == "build":
            self._build(aid, evs)
        elif kind == "ticket":
            self._ticket(aid, evs)
        elif kind == "incident":
            self._incident(aid, evs)
        elif kind in ("doc", "backlog"):
            self._document(aid, evs)
        elif kind == "meeting":
            self._meeting(aid, evs)

    def _thread(self, aid: str, evs: list[Event]) -> None:
        rng, first = self.rng, evs[0]
        sender, topic = self.who(first.actor, aid), first.topic or "release"
        project = first.project or self.habits.projects[0]
        f = self.fields(project)
        name = T.EMAIL_SUBJECTS[topic][0].format(**f)
        lines = [f"Email thread on {project} ({T.PROJECTS[project][0]}), topic {topic}."]
        key = (sender.key, project, topic)
        if (prev := self.threads.get(key)) and first.ts - prev[1] < timedelta(days=7):
            lines.append(f"Follows up on the earlier thread '{prev[2]}'.")
            self.edge(prev[0], aid, "CONTINUATION", first.ts,
                      f"{sender.name} follows up on {topic}")
        self.threads[key] = (aid, first.ts, name)
        persons = [self.me, sender]
        for i, e in enumerate(evs):
            when = f"{_dm(e.ts)} {_hm(e.ts)}"
            if e.type == "email_received":
                w = self.who(e.actor, aid)
                persons.append(w)
                ask = rng.choice(T.ASKS if e.attributes.get("question") else T.TELLS)
                body = (T.EMAIL_BODY[topic].format(ask=ask, **f) if i == 0
                        else rng.choice(T.FOLLOWUPS).format(**f))
                lines.append(f"From {w.name} ({w.role_at(e.ts)}), {when}: {body}")
            elif e.action == "reply_email":
                other = self.cast[rng.choice(self.habits.colleagues)]
                lines.append(f"My reply, {when}: "
                             + rng.choice(T.REPLIES).format(other=other.name, **f))
            elif e.action == "forward_email":
                fw = self.cast[rng.choice(self.habits.colleagues)]
                persons.append(fw)
                lines.append(f"I forwarded it to {fw.name} on {when}.")
            elif e.action == "archive_email":
                lines.append(f"Archived on {when}.")
        replies = sum(e.action == "reply_email" for e in evs)
        lines.append(f"Started by {sender.name}, {sender.role_at(first.ts)}. " + (
            f"I replied {replies} time{'s' * (replies > 1)}." if replies else
            "No reply from me in this thread."))
        self.add(aid, "email_thread", name, lines, first.ts, project, persons,
                 [topic, slug(f["area"])], author=sender)

    def _team_thread(self, aid: str, evs: list[Event]) -> None:
        project = evs[0].project or self.habits.projects[0]
        lines = [f"The {project} team mailing list: the updates I send to everyone working on "
                 f"{project} ({T.PROJECTS[project][0]}), usually status notes and heads-ups."]
        for e in evs:
            pr = self._current_pr(e.ts)
            state = (f"I am on '{T.pr_title(self.work[pr])}'" if pr
                     else "I am catching up on reviews")
            lines.append(f"{_dm(e.ts)} {_hm(e.ts)}, to the {project} team: quick status, {state}; "
                         f"ping me in #{project} with questions.")
        self.add(aid, "email_thread", f"{project.capitalize()} team updates", lines, evs[0].ts,
                 project, [self.me, *(self.cast[k] for k in self.teams[project])],
                 ["release"], author=self.me)

    def _ci_runs(self, build: str, w: T.Work) -> list[tuple[datetime, str]]:
        """(time, line) for each CI and deploy step of a build; failures name their test."""
        if build in self.ci:
            return self.ci[build]
        tests, fails, out = T.failing_tests(w, self.rng, 2), 0, []
        n_tests = self.rng.randint(180, 900)
        evs = self.by_art.get(build, [])
        for i, e in enumerate(evs):
            when = f"{_dm(e.ts)} {_hm(e.ts)}"
            if e.type == "ci_failed":
                later = [x for x in evs[i + 1:] if x.type.startswith("ci_")]
                flaky = (later and later[0].type == "ci_passed"
                         and any(x.action == "rerun_ci" for x in evs[i + 1:]))
                test = tests[min(fails, 1)]
                case = T.paraphrases()[test.rsplit("::test_", 1)[1]]
                out.append((e.ts, f"CI run {when} failed on {test} (assertion about {case})"
                           + (", flaky: it passed on a re-run" if flaky else "")))
                fails += 1
            elif e.type == "ci_passed":
                out.append((e.ts, f"CI run {when} passed: all {n_tests} tests green"))
            elif e.action == "rerun_ci":
                out.append((e.ts, f"{when}: I re-ran CI"))
            elif e.action == "deploy_release":
                out.append((e.ts, f"{when}: I started the production deploy"))
            elif e.type == "deploy_finished":
                ok = e.attributes.get("ok", True)
                result = "finished OK" if ok else "FAILED health checks"
                out.append((e.ts, f"{when}: deploy {result}"))
            elif e.action == "rollback_deploy":
                out.append((e.ts, f"{when}: I rolled the deploy back"))
        self.ci[build] = out
        return out

    def _own_pr(self, aid: str, evs: list[Event]) -> None:
        w, (ticket, build) = self.work[aid], self.task[aid]
        title = T.pr_title(w)
        steps = {"fix_bug": "fixed the failing case", "run_tests": "ran the tests locally",
                 "commit_code": "pushed a commit", "open_pr": "opened the PR for review",
                 "address_review": "addressed the review comments", "merge_pr": "merged it"}
        timeline, persons = [(evs[0].ts, f"{_dm(evs[0].ts)}: started coding")], [self.me]
        for e in evs:
            when = f"{_dm(e.ts)} {_hm(e.ts)}"
            if e.action in steps:
                timeline.append((e.ts, f"{when}: {steps[e.action]}"))
            elif e.type in ("pr_comment", "pr_approved"):
                r = self.who(e.actor)
                persons.append(r)
                said = (f"commented: \"{self.rng.choice(T.REVIEW_COMMENTS)}\"".format(
                    case=self.rng.choice(T.CASES)[1], **w.fields())
                    if e.type == "pr_comment" else "approved it")
                timeline.append((e.ts, f"{when}: {r.name} ({r.role_at(e.ts)}) {said}"))
        timeline += self._ci_runs(build, w)
        n = int(ticket.split("-")[1])
        lines = [f"Implements {T.ticket_title(self.work[ticket], n)}.", T.pr_description(w),
                 "Timeline:", *(f"- {t}" for _, t in sorted(timeline, key=lambda x: x[0]))]
        acts = {e.action for e in evs}
        state = ("merged" if "merge_pr" in acts else "open for review" if "open_pr" in acts
                 else "in progress, not yet opened for review")
        lines.insert(2, f"Status: {state}. Branch {w.project}/{slug(w.subject)}-{aid}, "
                        f"owner {self.me.name}.")
        topics = [slug(w.area), *(["bug"] if w.kind == "bug" else [])]
        self.add(aid, "pr", title, lines, evs[0].ts, w.project,
                 persons + [self.cast[self.habits.manager]], topics, author=self.me)
        self.edge(ticket, aid, "PREREQUISITE", evs[0].ts, f"{title} implements the ticket")

    def _review_pr(self, aid: str, evs: list[Event]) -> None:
        first = evs[0]
        author = self.who(first.actor if first.type == "pr_review_requested" else None, aid)
        w = self._work_for(aid, first.project)
        lines = [f"Author: {author.name} ({author.role_at(first.ts)}). Review requested from me "
                 f"on {_dm(first.ts)} {_hm(first.ts)}.", T.pr_description(w),
                 f"Files touched: the {w.area} module of {w.project}, its tests, the changelog."]
        reviews = [e for e in evs if e.action == "review_pr"]
        for e in reviews:
            text = self.rng.choice(T.MY_REVIEWS).format(case=self.rng.choice(T.CASES)[1],
                                                        **w.fields())
            lines.append(f"My review, {_dm(e.ts)} {_hm(e.ts)}: {text}")
        if not reviews:
            lines.append("I have not reviewed it yet.")
        self.add(aid, "pr", T.pr_title(w), lines, first.ts, w.project, [author, self.me],
                 [slug(w.area), *(["bug"] if w.kind == "bug" else [])], author=author)
        self.authored.append((first.ts, author.key, w.project, T.pr_title(w),
                              reviews[0].ts if reviews else None))

    def _build(self, aid: str, evs: list[Event]) -> None:
        pr = self.build_pr.get(aid)
        w = self.work[pr] if pr else self._work_for(aid, evs[0].project)
        title = T.pr_title(w)
        runs = self._ci_runs(aid, w)
        failed = sum(" failed on " in t for _, t in runs)
        lines = [f"The {w.project} pipeline (lint, unit tests, integration tests, package) for "
                 f"the branch of '{title}', triggered by my pushes.", *(t for _, t in runs),
                 f"Summary: {sum(t.startswith('CI run') for _, t in runs)} CI runs, {failed} "
                 f"failed; owner {self.me.name}."]
        self.add(aid, "build", f"CI build {aid.split('-')[1]}: {title}", lines, evs[0].ts,
                 w.project, [self.me], [slug(w.area), "release"])
        if pr:
            self.edge(pr, aid, "CONTINUATION", evs[0].ts, f"CI of {title}")

    def _ticket(self, aid: str, evs: list[Event]) -> None:
        pr = self.ticket_pr.get(aid)
        w = self.work[aid] if aid in self.work else self._work_for(aid, evs[0].project)
        f, start = w.fields(), self.by_art[pr][0].ts if pr else None
        reporter = self.who(evs[0].actor) if evs and evs[0].type == "ticket_assigned" else self.me
        desc = {"bug": f"{f['Subject']} {f.get('ticket_phrase')}. Seen in production logs; "
                       "needs a fix and a regression test.",
                "feature": f"Users of {w.project} want {f.get('feature')} for {w.subject}.",
                "chore": f"{f['Subject']} still uses an old stack; move it to {f.get('chore')}."}
        lines = [f"Project {w.project} ({T.PROJECTS[w.project][0]}), area {w.area}. Reported by "
                 f"{reporter.name}.", desc[w.kind],
                 f"Done when a test covers {self.rng.choice(T.CASES)[1]} and the {w.area} "
                 "dashboards stay green.", "History:"]
        hist = [(e.ts, {"ticket_assigned": f"assigned to me by {reporter.name}",
                        "update_ticket": "triaged and updated", "close_ticket": "closed"}.get(
                            e.action or e.type, "touched")) for e in evs]
        if pr:
            hist.append((start, f"work started in PR '{T.pr_title(self.work[pr])}'"))
        lines += [f"- {_dm(t)} {_hm(t)}: {what}" for t, what in sorted(hist, key=lambda x: x[0])]
        at = min(t for t, _ in hist)
        self.add(aid, "ticket", T.ticket_title(w, int(aid.split("-")[1])), lines, at, w.project,
                 [reporter, self.me], [slug(w.area), *(["bug"] if w.kind == "bug" else [])],
                 author=reporter)

    def _incident(self, aid: str, evs: list[Event]) -> None:
        rng, project = self.rng, evs[0].project
        f = self.fields(project)
        alert = rng.choice(T.ALERTS)[0]
        name = f"{project.capitalize()} incident: {alert} in {f['subject']}"
        buddy = self.cast[rng.choice(self.teams[project])]
        f["buddy"] = buddy.name
        lines = [f"Severity 2 on {project} ({T.PROJECTS[project][0]}). Paged at "
                 f"{_dm(evs[0].ts)} {_hm(evs[0].ts)}: {alert} in {f['subject']} ({f['area']})."]
        deploys = [t for t, b in self.deploys if b == project and timedelta(0) < evs[0].ts - t
                   < timedelta(hours=24)]
        if deploys:
            lines.append(f"It started {_hm(deploys[-1])} after a {project} production deploy.")
        cause = rng.choice(T.ROOT_CAUSES).format(**f)
        for e in evs:
            when = f"{_dm(e.ts)} {_hm(e.ts)}"
            step = {"ack_incident": "I acknowledged the page",
                    "investigate_incident": rng.choice(T.INVESTIGATE).format(**f),
                    "mitigate_incident": "mitigated: " + rng.choice(T.MITIGATE).format(**f),
                    "post_update": f"I posted a status update in #{project}: impact contained",
                    "write_postmortem": f"I wrote the postmortem. Root cause: {cause}. Action "
                                        f"items: {buddy.name} adds an alert on {f['subject']}, "
                                        f"I add a load test for {f['area']}"}.get(e.action or "")
            if step:
                lines.append(f"- {when}: {step}")
        self.add(aid, "incident", name, lines, evs[0].ts, project,
                 [self.me, buddy, self.cast[self.habits.manager]], [slug(f["area"]), "bug"])

    def _document(self, aid: str, evs: list[Event]) -> None:
        first, rng = evs[0], self.rng
        project = first.project or self.habits.projects[0]
        if aid.startswith("backlog-"):
            lines = [f"The team backlog board, kept in the {project} tracker: tickets for all "
                     f"our projects waiting for an owner, groomed weekly and picked from the top.",
                     f"Columns: to do, in progress, in review, done. "
                     f"{self.cast[self.habits.manager].name} sets the priorities."]
            for e in evs:
                pr = self._next_start(e.ts)
                if e.action == "review_backlog" and pr:
                    got = f"picked up '{T.pr_title(self.work[pr])}'"
                elif e.action == "create_ticket":
                    got = f"filed a follow-up ticket about {self.fields(project)['subject']}"
                else:
                    got = "groomed the list"
                lines.append(f"- {_dm(e.ts)} {_hm(e.ts)}: {got}")
            name, author, topics = f"Team backlog board ({project} tracker)", self.cast[
                self.habits.manager], ["roadmap"]
        elif re.fullmatch(r"doc-\d+", aid):
            f = self.fields(project, feature=rng.choice(T.FEATURES)[0])
            author = self.who(first.actor, aid)
            for _ in range(8):  # a name not given to an earlier doc
                name = T.DOC_KINDS[rng.choice(sorted(T.DOC_KINDS))][0].format(**f)
                if name not in self.doc_names:
                    break
                f = self.fields(project, feature=rng.choice(T.FEATURES)[0])
            self.doc_names.add(name)
            lines = [f"Shared by {author.name} ({author.role_at(first.ts)}) on {_dm(first.ts)}.",
                     f"Context: {project} is our {T.PROJECTS[project][0]}; {f['subject']} in "
                     f"{f['area']} needs attention.",
                     f"Proposal: {rng.choice(T.DECISIONS).format(**f)}; measure it with the "
                     f"{f['area']} dashboards.",
                     f"Open questions: who owns {f['subject']}, and does it need "
                     f"{rng.choice(T.FEATURES)[0]}?"]
            for e in evs:
                if e.action in ("review_doc", "comment_doc"):
                    lines.append(f"My comment, {_dm(e.ts)}: {rng.choice(T.REVIEW_COMMENTS)}"
                                 .format(case=rng.choice(T.CASES)[1], **f))
            topics = [slug(f["area"]), "roadmap"]
        else:
            lines = [f"My working notes on {project} ({T.PROJECTS[project][0]}): design decisions, "
                     "open questions and what I wrote when.",
                     f"Sections: architecture, {', '.join(sorted(T.PROJECTS[project][1]))}, open "
                     "questions, decision log."]
            edits = _by_day(e for e in evs if e.action == "write_docs")
            lines[-1] += f" Edited on {len(edits)} day{'s' * (len(edits) != 1)} so far."
            for _, day in edits:
                area = rng.choice(sorted(T.PROJECTS[project][1]))
                verb = rng.choice(("wrote the section on", "expanded the part about",
                                   "added open questions on", "rewrote the notes on"))
                lines.append(f"- {_dm(day[0].ts)}: {verb} "
                             f"{rng.choice(T.PROJECTS[project][1][area])[0]} ({area})")
            name, author, topics = f"{project.capitalize()} design notes", self.me, ["roadmap"]
        self.add(aid, "document", name, lines, first.ts, project, [author, self.me], topics,
                 author=author)

    def _meeting_plan(self, mid: str) -> dict:
        if mid in self.plans:
            return self.plans[mid]
        evs, rng = self.by_art[mid], self.rng
        project = evs[0].project or self.habits.projects[0]
        cal = [e for e in evs if e.type in ("calendar_reminder", "meeting_invite")]
        minutes = cal[0].attributes.get("duration_min", 30) if cal else 30
        reminder = next((e for e in evs if e.type == "calendar_reminder"), None)
        start = reminder.ts + timedelta(minutes=10) if reminder else evs[0].ts
        f = self.fields(project)
        if mid.startswith("meeting-standup"):
            people = [self.cast[k] for k in self.teams[project]]
            title, kind = f"{project.capitalize()} standup", "standup"
            name = f"{title} notes, {_long(start)}"
        else:
            kind, topic, _ = rng.choice(T.MEETING_KINDS)
            inviter = next((e.actor for e in evs if e.type == "meeting_invite"), None)
            keys = [inviter] if inviter in self.cast else []
            keys += rng.sample([c for c in self.habits.colleagues if c not in keys],
                               rng.randint(1, 3))
            people = [self.cast[k] for k in keys]
            title = f"{project.capitalize()} {kind}: {f['subject']}"
            name, f["topic"] = f"{title}, {_dm(start)}", topic
        plan = {"project": project, "start": start, "minutes": minutes, "name": name,
                "title": title,
                "kind": kind, "people": people, "f": f}
        self.plans[mid] = plan
        return plan

    def _meeting(self, mid: str, evs: list[Event]) -> None:
        attended = [e for e in evs if e.action == "attend_meeting"]
        if not attended and not any(e.action == "prepare_meeting" for e in evs):
            return
        p, rng = self._meeting_plan(mid), self.rng
        f, people, start = p["f"], p["people"], (attended or evs)[0].ts
        for e in evs:
            if e.action == "prepare_meeting" and f"prep-{mid}" not in self.res:
                lines = [f"Before the {p['kind']} on {_long(p['start'])} with "
                         f"{_names(people)}.", f"Want to raise: {rng.choice(T.DECISIONS)}."
                         .format(**f), f"To check first: {rng.choice(T.ACTIONS)}.".format(**f),
                         f"Context: {f['subject']} in {f['area']} is the main open point."]
                lines.append(f"Meeting length: {p['minutes']} minutes; I will bring the "
                             f"latest {p['project']} numbers.")
                self.add(f"prep-{mid}", "note", f"Prep notes: {p['name']}", lines, e.ts,
                         p["project"], [self.me, *people], [slug(f["area"])], author=self.me)
        if not attended:
            return
        writer = self.me if any(e.action == "write_meeting_notes" for e in evs) else people[0]
        lines = ["Attendees: " + ", ".join(f"{m.name} ({m.role_at(start)})" for m in people)
                 + f", {self.me.name} (me). Notes by {writer.name}."]
        if p["kind"] == "standup":
            for m in people:
                mine = [t for ts, k, pr, t, _ in self.authored if k == m.key and pr == p["project"]
                        and abs((ts - start).days) <= 3]
                doing = (f"working on '{mine[0]}'" if mine else
                         f"looking into {self.fields(p['project'])['subject']}")
                lines.append(f"- {m.name}: {doing}; no blockers.")
            pr = self._current_pr(start)
            lines.append(f"- {self.me.name} (me): " + (f"working on '{T.pr_title(self.work[pr])}'"
                                                       if pr else "reviews and docs today") + ".")
        else:
            owner = rng.choice(people)
            lines += [f"Agenda: {f['subject']} in {f['area']}; {f['topic']} questions for "
                      f"{p['project']}.",
                      f"Discussion: {people[0].first} walked through the {f['subject']} numbers; "
                      f"{people[-1].first} raised {rng.choice(T.SYMPTOMS)[1]} as a risk.",
                      "Decision: we " + rng.choice(T.DECISIONS).format(**f) + ".",
                      f"Action items: {owner.name} to {rng.choice(T.ACTIONS).format(**f)}; "
                      f"me to {rng.choice(T.ACTIONS).format(**f)}."]
        topics = [slug(f["area"]), *([f["topic"]] if "topic" in f else [])]
        self.add(mid, "meeting_notes", p["name"], lines, start, p["project"],
                 [self.me, *people], topics, author=writer)
        for m in [self.me, *people]:
            self.edge(m.id, mid, "ATTENDED", start, f"{m.name} was at {p['name']}")
        if f"prep-{mid}" in self.res:
            self.edge(f"prep-{mid}", mid, "CONTINUATION", start, "the meeting I prepared for")

    def _chats(self) -> None:
        """One chat_thread per channel per day: the colleagues' lines and the person's own."""
        groups: dict[tuple[str, int], list[Event]] = defaultdict(list)
        for e in self.events:
            a = e.attributes["artifact"]
            if a.startswith("chat-") and (e.type in ("chat_message", "chat_mention") or e.action
                                          in ("reply_chat", "post_update", "ask_question")):
                groups[(a, _day(e.ts))].append(e)
        for (a, _), evs in groups.items():
            project, rng = a.removeprefix("chat-"), self.rng
            lines = [f"The #{project} channel on {_long(evs[0].ts)}: day-to-day coordination of "
                     f"the {project} team ({T.PROJECTS[project][0]}), deploys, reviews and "
                     f"questions. Messages: {len(evs)}.",
                     f"Pinned: on-call this week is "
                     f"{self.cast[self.teams[project][_day(evs[0].ts) // 7 % 4]].name}; runbooks "
                     f"live in the {project} docs."]
            persons, areas = [self.me], []
            asker = self.askers.get(a, self.cast[self.teams[project][0]])
            for e in evs:
                f = self.fields(project)
                areas.append(slug(f["area"]))
                who = self.me if e.actor == self.me.key else self.who(e.actor)
                persons.append(who)
                if e.type == "chat_mention":
                    text, asker = rng.choice(T.CHAT_MENTIONS).format(**f), who
                    self.askers[a] = who
                elif e.type == "chat_message":
                    text = rng.choice(T.CHAT_LINES).format(**f)
                elif e.action == "reply_chat":
                    text = rng.choice(T.CHAT_REPLIES).format(who=asker.first)
                elif e.action == "ask_question":
                    text = "quick question: who owns {subject} in {area} these days?".format(**f)
                else:
                    pr = self._current_pr(e.ts)
                    text = "status: " + (f"'{T.pr_title(self.work[pr])}' is moving along"
                                         if pr else "catching up on reviews today")
                lines.append(f"{_hm(e.ts)} {who.name}: {text}")
            lines.append("Active today: " + _names(list({m.id: m for m in persons}.values()))
                         + ".")
            self.add(f"{a}-{evs[0].ts.date().isoformat()}", "chat_thread",
                     f"#{project} chat, {_long(evs[0].ts)}", lines, evs[0].ts, project, persons,
                     areas)

    def _status_reports(self) -> None:
        for e in self.events:
            if e.action != "write_status_report":
                continue
            week0 = (e.ts - timedelta(days=e.ts.weekday())).replace(hour=0, minute=0, second=0,
                                                                    microsecond=0)
            rid = f"status-report-{week0.date().isoformat()}"
            merged = [T.pr_title(self.work[x.attributes["artifact"]]) for x in self.events
                      if x.action == "merge_pr" and week0 <= x.ts <= e.ts
                      and x.attributes["artifact"] in self.work]
            fires = [r.name for r in self.res.values() if r.kind == "incident"
                     and week0 <= r.created_at <= e.ts]
            pr = self._current_pr(e.ts)
            boss = self.cast[self.habits.manager]
            lines = [f"Status for the week of {_long(week0)}, to {boss.name}.",
                     "Shipped: " + ("; ".join(merged) if merged else "nothing merged this week")
                     + ".", "Incidents: " + ("; ".join(fires) if fires else "none") + ".",
                     "Next week: " + (f"finish '{T.pr_title(self.work[pr])}'" if pr else
                                      "pick the next backlog item") + ", keep reviews under a day."]
            if rid not in self.res:
                self.add(rid, "document", f"Weekly status report, week of {_long(week0)}", lines,
                         e.ts, None, [self.me, self.cast[self.habits.manager]], ["metrics"],
                         author=self.me)

    def _diaries(self) -> None:
        for d, evs in _by_day(e for e in self.events if e.actor == self.me.key):
            touched = list(dict.fromkeys(r for e in evs if (r := self._rid(e))))
            kinds = defaultdict(list)
            for r in touched:
                kinds[self.res[r].kind].append(self.res[r])
            acts = [e.action for e in evs]
            fails = self.fails_by_day.get(d, 0)
            mood = ("stressed" if kinds["incident"] else "frustrated" if fails >= 2 else
                    "satisfied" if "merge_pr" in acts else "tired" if len(kinds["meeting_notes"])
                    >= 3 else "calm")
            self.mood[d] = mood
            lines = [f"{_long(evs[0].ts)}. Started at {_hm(evs[0].ts)}, stopped at "
                     f"{_hm(evs[-1].ts)}."]
            for r in kinds["meeting_notes"]:
                lines.append(f"Meeting: {self.plans[r.id]['title']} with "
                             f"{_names([self._member(p) for p in r.persons[1:]])}.")
            if not kinds["meeting_notes"]:
                lines.append("No meetings today" + (", it is the weekend." if
                                                    evs[0].ts.weekday() >= 5 else "."))
            merged = {e.attributes["artifact"] for e in evs if e.action == "merge_pr"}
            for r in kinds["pr"]:
                verb = ("Merged" if r.id in merged else "Worked on" if r.id in self.task
                        else "Reviewed")
                lines.append(f"{verb} '{r.name}'.")
            if fails:
                lines.append(f"CI failed {fails} time{'s' * (fails > 1)} on my builds.")
            if not kinds["pr"]:
                lines.append("No code today, no reviews either.")
            lines += [f"Dealt with the {r.name}." for r in kinds["incident"]]
            focus = [e for e in evs if e.action == "start_focus"]
            lines.append(f"Focus block from {_hm(focus[0].ts)}." if focus else
                         "No focus block today, lots of context switching.")
            replied = [r for e in evs if e.action == "reply_email" and (r := self._rid(e))]
            lines.append(f"Inbox: {self.mail_by_day.get(d, 0)} new emails, I answered "
                         f"{len(replied)}" + (f", including '{self.res[replied[0]].name}'."
                                              if replied else "."))
            lines += [f"{m.name} was promoted to {m.promoted[0]} today." for m in self.cast.values()
                      if m.promoted and _day(m.promoted[1]) == d]
            lines.append(f"{T.MOODS[mood]} Tomorrow: pick up where I left off.")
            self.add(f"notes-{d}", "diary_note", f"Diary, {_long(evs[0].ts)}", lines, evs[-1].ts,
                     None, [self.me], [mood], author=self.me)
            for r in touched:
                self.edge(f"notes-{d}", r, "PART_OF", evs[-1].ts, f"{self.res[r].name} was "
                          f"part of my day")
            if "plan_day" in acts:
                self._plan(d, next(e for e in evs if e.action == "plan_day"))

    def _plan(self, d: int, e: Event) -> None:
        pr = self._current_pr(e.ts)
        today = [p for m, p in ((m, self._meeting_plan(m)) for m in self.by_art
                                if m.startswith("meeting-")) if _day(p["start"]) == d]
        waiting = [title for t, _, _, title, done in self.authored
                   if t < e.ts and (done is None or done > e.ts)]
        lines = [f"Plan for {_long(e.ts)}.",
                 "Meetings: " + ("; ".join(f"{_hm(p['start'])} {p['title']}"
                                           for p in today) or "none") + ".",
                 "Coding: " + (f"continue '{T.pr_title(self.work[pr])}'" if pr else
                               "pick the next ticket from the backlog") + ".",
                 "Reviews waiting: " + ("; ".join(waiting[-3:]) or "none") + ".",
                 f"Inbox: {sum(e.ts - timedelta(hours=16) < t <= e.ts for t in self.mail)} "
                 "emails arrived since yesterday evening.",
                 "Also: clear the inbox at my usual email hours and keep a focus block free."]
        self.add(f"plan-{e.ts.date().isoformat()}", "note", f"Plan for {_long(e.ts)}", lines,
                 e.ts, None, [self.me], ["roadmap"], author=self.me)
