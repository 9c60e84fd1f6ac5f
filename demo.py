"""The demo school: one user per role, two mentors with their classes, and cases in every state.

All names are made up. Dates are relative to today, so the demo always looks current.
"""
import datetime
import io

from PIL import Image, ImageDraw

from db import db, migrate_database, today as school_today
from domain import agreements, cases, conversations, escalation, evidence, followups, prevention
from domain.evidence import clean_upload
from models import (
    MODELS, SUPPORT_SESSION_KINDS, Agreement, AgreementParty, Case, CaseEvent, CaseMember, ChecklistEntry,
    Complaint, ComplaintNote, ContractSignature, Conversation, ConversationLine, Evidence, FollowUp, Involvement,
    Measure, MeasureDecider, ParentContact, PersonalNote, PreventionActivity, PreventionPlanItem, PreventionPolicy,
    Pupil, Referral, Report, ReportKind, ReportPupil, SchoolClass, SchoolSettings, SupportSession, User,
)
from terminology import label

DEMO_PASSWORD = "herstel-demo-2026"

DEMO_USERS = [
    # username, full name, roles, admin
    ("coordinator", "Marleen de Vries", ["coordinator"], False),
    ("mentor", "Jeroen Bakker", ["mentor"], False),
    ("mentor2", "Fatima El Amrani", ["mentor"], False),
    ("support", "Sanne Visser", ["support"], False),
    ("counsellor", "Peter Hendriks", ["counsellor"], False),
    ("teamleader", "Hanneke Bos", ["teamleader"], False),
    ("management", "Robert Verhoeven", ["management"], False),
    ("staff", "Kees Mulder", ["staff"], False),
    ("admin", "Ingrid Smit", [], True),
]

DEMO_CLASSES = {
    # class: (year, mentor username, pupils as (first name, infix, last name))
    "1A": (1, "mentor", [
        ("Sem", "", "Jansen"), ("Lotte", "van", "Dijk"), ("Milan", "", "Peters"),
        ("Zoë", "", "Willems"), ("Ayoub", "", "Benali"), ("Julia", "de", "Graaf"),
    ]),
    "2B": (2, "mentor", [
        ("Noor", "", "Hoekstra"), ("Daan", "van den", "Berg"), ("Tim", "", "Kok"),
        ("Emma", "", "Vermeulen"), ("Yara", "", "Öztürk"), ("Luuk", "", "Dekker"),
    ]),
    "3C": (3, "mentor2", [
        ("Sophie", "", "Brouwer"), ("Finn", "", "Meijer"), ("Mees", "de", "Jong"),
        ("Isa", "", "Vos"), ("Bram", "van der", "Linden"), ("Amira", "", "Haddou"),
    ]),
}


def wipe():
    """Drop every table and build the schema anew from the migrations."""
    with db.atomic():
        # The tables of no model first (the migrations' own list, the monitor's stamp and stored years):
        # they refer to no other table. SQLite's own (sqlite_stat1 and the like) stay.
        model_tables = {model._meta.table_name for model in MODELS}
        for table in [name for name in db.get_tables() if name not in model_tables and not name.startswith("sqlite_")]:
            db.execute_sql('DROP TABLE IF EXISTS "%s"' % table)
        db.drop_tables(MODELS, safe=True)
    evidence.remove_all()
    migrate_database()


def accounts_text():
    """The demo accounts, as printed by `make run` and shown in the README."""
    lines = ["Demo-accounts (wachtwoord voor allemaal: %s):" % DEMO_PASSWORD]
    for username, full_name, roles, is_admin in DEMO_USERS:
        what = ", ".join(roles + (["beheerder"] if is_admin else []))
        lines.append("  %-12s %-20s %s" % (username, full_name, what))
    return "\n".join(lines)


def _days_ago(days):
    return school_today() - datetime.timedelta(days=days)


def _moment(days_ago, hour=10):
    day = _days_ago(days_ago)
    return datetime.datetime(day.year, day.month, day.day, hour, 0)


def _report(by, pupils, kinds, days_ago, description, status="in_case", case=None, **fields):
    report = Report.create(
        reported_on=_days_ago(days_ago), created_at=_moment(days_ago, 9), created_by=by,
        description=description, status=status, case=case, **fields)
    for kind in kinds:
        ReportKind.create(report=report, kind=kind)
    for pupil in pupils:
        ReportPupil.create(report=report, pupil=pupil)
    return report


def _case(reference, title, protocol, mentor, coordinator, days_ago, roles, **fields):
    case = Case.create(reference=reference, title=title, protocol_key=protocol, mentor=mentor,
                       opened_by=coordinator, opened_at=_moment(days_ago, 11), **fields)
    for pupil, role in roles:
        Involvement.create(case=case, pupil=pupil, role=role, added_at=case.opened_at)
    CaseEvent.add(case, "opened", "", coordinator, at=case.opened_at)
    return case


def _walk(case, users, done):
    """Mark steps done on past days: [(step key, days ago, username, note)]."""
    cases.sync_steps(case)
    for key, days_ago, username, note in done:
        cases.complete_step(case, key, users[username], note=note, at=_moment(days_ago, 14))


def _talk(case, step_key, template_key, user, participants, days_ago, ticked, notes=None, lines=(),
          finished=True):
    """A conversation held `days_ago`: items ticked by position, notes per position, lines."""
    conversation = conversations.start(case, step_key, template_key, user, participants)
    started = _moment(days_ago, 10)
    Conversation.update(started_at=started,
                        ended_at=started + datetime.timedelta(minutes=35) if finished else None
                        ).where(Conversation.id == conversation.id).execute()
    for entry in ChecklistEntry.select().where(ChecklistEntry.conversation == conversation):
        note = (notes or {}).get(entry.position, "")
        if entry.position in ticked or note:
            ChecklistEntry.update(done=entry.position in ticked, done_by=user if entry.position in ticked else None,
                                  done_at=started if entry.position in ticked else None, note=note,
                                  note_version=1 if note else 0).where(ChecklistEntry.id == entry.id).execute()
    CaseEvent.update(at=started).where(CaseEvent.case == case, CaseEvent.kind == "conversation_started",
                                       CaseEvent.at > started).execute()
    if finished:
        CaseEvent.add(case, "conversation_finished", conversation.title, user,
                      at=started + datetime.timedelta(minutes=35))
    for kind, text in lines:
        ConversationLine.create(conversation=conversation, kind=kind, text=text, created_by=user,
                                client_key=conversations.new_line_key(), created_at=started)
    return conversation


def _talks(case, mentor, pupils):
    """Isa's case: the three conversations of the protocol done, the follow-up under way."""
    isa, bram, finn = pupils["Isa"], pupils["Bram"], pupils["Finn"]
    _talk(case, "victim-talk", "victim-conversation", mentor, [(isa, isa.display_name, "victim")], 20,
          ticked=set(range(1, 15)), notes={
              2: "Sinds de herfstvakantie, bijna elke dag bij de kluisjes.",
              5: "Bram duwt, Finn kijkt en lacht. Sophie heeft het een keer gezien."},
          lines=[("wish", "Dat ze haar etui en tas met rust laten."),
                 ("wish", "Liever niet samen in één gesprek voordat de anderen zijn gesproken."),
                 ("note", "Isa is bang dat het erger wordt als zij iets zegt; vertrouwelijk behandelen.")])
    _talk(case, "bully-talk", "bully-guidance", mentor,
          [(bram, bram.display_name, "bully"), (finn, finn.display_name, "follower")], 14,
          ticked=set(range(1, 12)), notes={3: "Bram geeft het duwen toe, noemt het 'een grapje'."},
          lines=[("agreement", "Van nu af aan blijven Bram en Finn bij de kluisjes van Isa weg."),
                 ("agreement", "Bram brengt het etui terug of vergoedt het.")])
    joint = _talk(case, "joint-talk", "no-blame-joint-conversation", mentor,
          [(isa, isa.display_name, "victim"), (bram, bram.display_name, "bully"),
           (finn, finn.display_name, "follower")], 8, ticked=set(range(1, 18)),
          lines=[("agreement", "Van nu af aan groeten we elkaar gewoon en laten we elkaars spullen met rust."),
                 ("agreement", "Als er iets gebeurt, meldt Isa het meteen bij mevrouw El Amrani."),
                 ("note", "Goede sfeer aan het eind; Bram bood uit zichzelf excuses aan.")])
    agreement = agreements.draft(case, mentor, joint)
    agreements.update(agreement, restorative_act="Bram helpt Isa haar kluisje opnieuw in te richten en koopt met "
                      "zijn vader een nieuw etui.", support_figures="Mevrouw El Amrani (mentor); Sophie Brouwer",
                      period_start=_days_ago(7), period_end=_days_ago(-60), evaluation_on=_days_ago(-7))
    follow_up = _talk(case, "follow-up", "follow-up-conversation", mentor, [(isa, isa.display_name, "victim")], 0,
                      ticked={1, 2, 3}, notes={2: "Het gaat beter; één keer een opmerking in de gang."},
                      finished=False)
    conversations.set_appointment(follow_up, _moment(-7, 13) - datetime.timedelta(hours=1), mentor,
                               now=_moment(0, 9))


def _exclusion_talks(case, mentor, pupils):
    """Noor's case: the talk with her and the one with Daan and Tim, held through their guides."""
    noor, daan, tim = pupils["Noor"], pupils["Daan"], pupils["Tim"]
    _talk(case, "victim-talk", "victim-conversation", mentor, [(noor, noor.display_name, "victim")], 12,
          ticked=set(range(1, 12)), notes={
              2: "In de pauze sturen Daan en Tim haar weg bij de groep; ze lachen als ze alleen zit.",
              6: "Bijna elke pauze, sinds de week na de herfstvakantie."},
          lines=[("wish", "Dat ze in de pauze gewoon bij de groep mag staan."),
                 ("wish", "Eerst met Daan en Tim apart praten, niet meteen samen."),
                 ("note", "Emma staat soms bij haar; zij kan helpen.")])
    _talk(case, "bully-talk", "bully-guidance", mentor,
          [(daan, daan.display_name, "bully"), (tim, tim.display_name, "follower")], 6,
          ticked=set(range(1, 10)),
          notes={2: "Daan noemt het 'geen ruimte in de groep'; Tim doet mee om erbij te horen."},
          lines=[("agreement", "Daan en Tim sturen Noor in de pauze niet meer weg."),
                 ("agreement", "Tim zegt het tegen de mentor als het toch weer gebeurt.")])


def _drawn_signature(seed):
    """A PNG that looks like a finger drawing (the demo has no real signatures)."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    points = [(40 + step * 26, 100 + ((step * seed) % 7 - 3) * 14) for step in range(20)]
    pen.line(points, fill=(20, 20, 60, 255), width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _signed_agreement(case, mentor, pupils):
    """2B's case: an agreement signed a week ago; each pupil's talks, the week's talk with Tim due today."""
    agreement = agreements.draft(case, mentor)
    agreements.update(agreement, commitments="Van nu af aan laten Daan en Tim Noor in de pauze meedoen.\n"
                      "Daan en Tim zeggen niets meer over Noor achter haar rug.",
                      restorative_act="Daan en Tim nodigen Noor uit bij het voetbal in de pauze.",
                      support_figures="Meneer Bakker (mentor); Emma Vermeulen (klasgenoot)",
                      period_start=_days_ago(7), period_end=_days_ago(-35), evaluation_on=_days_ago(-21))
    _sign(agreement, mentor, 7)
    # Each pupil their own talks: Noor and Daan spoken twice (this morning the second time: Daan broke
    # the agreements, one more chance), Tim's talk of this week still to be held today.
    talks = {"Noor": [("going_well", "Noor speelt mee; het gaat goed."),
                      ("going_well", "Rustig in de pauzes; Noor zit weer bij Emma.")],
             "Daan": [("going_well", "Daan groet Noor weer."),
                      ("not_kept", "Daan stuurde Noor weg bij het voetbal; hij krijgt nog één kans.")],
             "Tim": [("going_well", "Tim doet mee met uitnodigen.")]}
    for name, outcomes in talks.items():
        for follow_up, (outcome, note) in zip(_series_of(case, pupils[name]), outcomes):
            _held(follow_up, outcome, note, mentor)
            if outcome == "not_kept":  # as recording it does: the one more chance is checked within a week
                followups.check_soon(follow_up, mentor)
    followups.settle_step(case)


def _sign(agreement, mentor, days_ago):
    """Every party signs `days_ago` (the mentor on paper); the agreement is locked and each pupil's
    follow-ups are planned from that day, as signing on the tablet does."""
    for number, party in enumerate(agreement.parties.order_by(AgreementParty.id)):
        if party.role == "mentor":
            party.signed_on_paper = True
        else:
            party.signature_png = _drawn_signature(number + 2)
        party.signed_at = _moment(days_ago, 9)
        party.save()
    agreements.lock(agreement)
    Agreement.update(locked_at=_moment(days_ago, 9)).where(Agreement.id == agreement.id).execute()
    agreement = Agreement.get_by_id(agreement.id)
    followups.plan_for_agreement(agreement, mentor)
    CaseEvent.update(at=_moment(days_ago, 9)).where(CaseEvent.case == agreement.case, CaseEvent.kind.in_(
        ["agreement_signed", "follow_ups_planned"])).execute()
    return agreement


def _series_of(case, pupil):
    """A pupil's follow-ups in a case, in the order they are due."""
    return list(FollowUp.select().where(FollowUp.case == case, FollowUp.pupil == pupil,
                                        FollowUp.cancelled_at.is_null()).order_by(FollowUp.due_on))


def _held(follow_up, outcome, note, user):
    """A follow-up talk held on its day, as the mentor recorded it that morning."""
    follow_up.outcome, follow_up.note, follow_up.done_by, follow_up.held_on = outcome, note, user, follow_up.due_on
    follow_up.done_at = datetime.datetime.combine(follow_up.due_on, datetime.time(11))
    follow_up.save()
    CaseEvent.add(follow_up.case, "follow_up", "%s: %s" % (follow_up.pupil.display_name, note), user,
                  at=follow_up.done_at)


def _chat_screenshot():
    """A PNG that looks like a phone screenshot of a group chat (made up, drawn at demo time)."""
    image = Image.new("RGB", (540, 960), (236, 229, 221))
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 540, 90), fill=(7, 94, 84))
    pen.text((24, 22), "Klas 1A", fill=(255, 255, 255))
    pen.text((24, 52), "Sem J., Milan P., Lotte v. D. en 21 anderen", fill=(210, 235, 230))
    bubbles = [("Sem J.", "kijk wie dit is haha", 150, False), ("Sem J.", "[bewerkte foto]", 230, False),
               ("Milan P.", "hahaha doorsturen", 420, False), ("Lotte v. D.", "haal dat weg!!", 520, True),
               ("Sem J.", "huil maar", 620, False)]
    for name, line, top, own in bubbles:
        left = 230 if own else 20
        pen.rounded_rectangle((left, top, left + 290, top + 70), radius=12,
                              fill=(220, 248, 198) if own else (255, 255, 255))
        pen.text((left + 14, top + 10), name, fill=(7, 94, 84))
        pen.text((left + 14, top + 36), line, fill=(20, 20, 20))
        pen.text((left + 230, top + 50), "21:%02d" % (top // 20), fill=(120, 120, 120))
    pen.rectangle((40, 310, 300, 400), fill=(160, 160, 160))  # the "photo" in the chat: nobody's face
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _around_cases(users, pupils, exclusion, online, physical):
    """Parent contacts, referrals, evidence with a screenshot, and personal notes of different people."""
    mentor, mentor2, coordinator = users["mentor"], users["mentor2"], users["coordinator"]
    ParentContact.create(case=online, pupil=pupils["Lotte"], channel="school", contacted_on=_days_ago(5),
                         by_user=mentor, summary="Moeder en Lotte op school gesproken over de groepsapp en de foto.",
                         agreed="Moeder bewaart de berichten op Lottes telefoon; niets verwijderen. "
                                "Mentor belt vrijdag.")
    CaseEvent.add(online, "parent_contact", "ouders van Lotte van Dijk (gesprek op school)", mentor, at=_moment(5, 16))
    for pupil, agreed in [(pupils["Isa"], "Ouders houden in de gaten of Isa met plezier naar school gaat."),
                          (pupils["Bram"], "Vader praat met Bram en komt bij het herstelgesprek.")]:
        ParentContact.create(case=physical, pupil=pupil, channel="phone", contacted_on=_days_ago(10), by_user=mentor2,
                             summary="Gebeld over het duwen bij de kluisjes en de aanpak van school.", agreed=agreed)
    Referral.create(case=physical, pupil=pupils["Bram"], target="training", training="aggression_regulation",
                    detail="Training van het ondersteuningsteam, vier bijeenkomsten", referred_on=_days_ago(8),
                    by_user=mentor2, note="Bram wordt snel boos als hij zich aangevallen voelt.")
    CaseEvent.add(physical, "referral", "Agressieregulatietraining: Bram van der Linden", mentor2, at=_moment(8, 16))

    clean = clean_upload(_chat_screenshot(), 10 * 1024 * 1024)
    screenshot = Evidence.get(Evidence.case == online)
    screenshot.file_name, screenshot.original_name = evidence.store(clean), "Screenshot_groepsapp_1A.png"
    screenshot.content_type, screenshot.size, screenshot.sha256 = clean.content_type, len(clean.data), clean.sha256
    screenshot.url, screenshot.created_at = "https://chat.whatsapp.com/voorbeeld-klas-1a", _moment(6, 9)
    screenshot.save()
    Evidence.create(case=online, captured_at=_moment(7, 21) - datetime.timedelta(minutes=12, seconds=7),
                    platform="Instagram", usernames="sem.j_2012 (vermoedelijk Sem J.)", collected_by=mentor,
                    created_at=_moment(6, 9),
                    description="Dezelfde foto als verhaal gedeeld; na 24 uur verdwenen. "
                                "Lotte zag het bij een vriendin.")

    for case, author, body in [
            (exclusion, mentor, "Noor vertelt meer als Emma erbij is. Volgende keer samen uitnodigen?"),
            (exclusion, users["support"], "Weerbaarheid: Noor kiest zelf voor de groepstraining na de kerst."),
            (online, coordinator, "Nagaan of de foto ook buiten de klas is verspreid voordat we de politie bellen."),
            (physical, mentor2, "Bram reageert beter op een kort gesprek na de les dan in de pauze.")]:
        PersonalNote.create(case=case, author=author, body=body)


def _measure(case, pupil, phase, text, days_ago, deciders, waiting=()):
    """A measure decided `days_ago` by [(user, role)], maybe still waiting for other roles."""
    measure = Measure.create(case=case, pupil=pupil, phase=phase, description=text, decided_by=deciders[0][0],
                             decided_on=_days_ago(days_ago), informed="Ouders van %s" % pupil.first_name,
                             deciding_roles=" ".join([role for _, role in deciders] + list(waiting)),
                             waiting_for=" ".join(waiting))
    for user, role in deciders:
        MeasureDecider.create(measure=measure, role=role, user=user, decided_at=_moment(days_ago, 12))
    title = escalation.phase_of(case, phase).title
    CaseEvent.add(case, "measure", "Fase %d (%s): %s" % (phase, title, text), deciders[0][0], at=_moment(days_ago, 12))
    return measure


def _escalation(case, users, pupils):
    """The online case: phase 1 (the mentor's) and phase 2 (the coordinator's) taken."""
    _measure(case, pupils["Sem"], 1, "Schrijfopdracht over wat de foto met Lotte deed.", 4,
             [(users["mentor"], "mentor")])
    _measure(case, pupils["Sem"], 2, "Tweede gesprek met de ouders van Sem; afspraken voor thuis over de telefoon.",
             2, [(users["coordinator"], "coordinator")])
    # That talk is itself the contact with Sem's parents; Lotte's parents have yet to hear of it (on the to-do).
    ParentContact.create(case=case, pupil=pupils["Sem"], channel="school", contacted_on=_days_ago(2),
                         by_user=users["coordinator"], summary="Tweede gesprek over de foto in de groepsapp.",
                         agreed="Sem geeft thuis 's avonds zijn telefoon af; over twee weken bellen we elkaar.")
    CaseEvent.add(case, "parent_contact", "ouders van %s (gesprek op school)" % pupils["Sem"].display_name,
                  users["coordinator"], at=_moment(2, 15))
    escalation.sync(case)


def _threats(users, pupils):
    """2B's case of months: an agreement signed seven months ago and each pupil's follow-up talks since.
    Yara broke the agreements again and again: phases 1 to 3 were taken (phase 3 by the coordinator with
    the team leader), and her latest talk proposes phase 4 (suspension), which waits for the team leader
    and management."""
    mentor, coordinator, teamleader = users["mentor"], users["coordinator"], users["teamleader"]
    luuk, yara = pupils["Luuk"], pupils["Yara"]
    year = school_today().year
    signed = 220  # days ago: the seventh month's talk lies in the past week
    case = _case("%d-0004" % year, "Dreigen bij de fietsenstalling", "vo-nl", mentor, coordinator, signed + 16,
                 [(luuk, "victim"), (yara, "bully")], severity="serious")
    CaseEvent.add(case, "severity", cases.SEVERITY_WORDS["serious"], coordinator, at=case.opened_at)
    _report(mentor, [luuk, yara], ["verbal", "physical"], signed + 17,
            "Luuk wordt na school bij de fietsenstalling opgewacht en bedreigd; zijn fietsband is lekgestoken.",
            case=case, reporter_kind="parent", channel="phone", place="Fietsenstalling")
    # Luuk's parents came to school: the talk held through the victim's parents' guide, then recorded as the
    # contact below (as the app leads a mentor from the one to the other).
    _talk(case, "inform-parents", "victim-parents-conversation", mentor, [(luuk, luuk.display_name, "parents")],
          signed + 12, ticked=set(range(1, 10)), lines=[("agreement", "Meneer Bakker belt na het gezamenlijke gesprek "
                                                         "terug.")])
    for pupil in (luuk, yara):  # serious: both pupils' parents within the first week
        _parents(case, pupil, mentor, signed + 12, "Gesprek over het dreigen bij de stalling en de aanpak van school.",
                 "Meneer Bakker belt na het gezamenlijke gesprek terug.")
    _walk(case, users, [
        ("signal", signed + 16, "mentor", ""), ("victim-talk", signed + 13, "mentor", ""),
        ("inform-parents", signed + 12, "mentor", "Ernstig: ouders van Luuk en van Yara dezelfde week gesproken."),
        ("bully-talk", signed + 8, "mentor", ""),
        ("extra-help", signed + 4, "coordinator", "Luuk: weerbaarheidstraining."),
    ])
    agreement = agreements.draft(case, mentor)
    agreements.update(agreement, commitments="Yara blijft na school bij de fietsenstalling weg tot Luuk vertrokken "
                      "is.\nYara stuurt Luuk geen berichten meer, ook niet via anderen.",
                      restorative_act="Yara betaalt met haar ouders een nieuwe fietsband voor Luuk.",
                      support_figures="Meneer Bakker (mentor); de conciërge houdt de stalling in het oog",
                      period_start=_days_ago(signed), period_end=_days_ago(signed - 42),
                      evaluation_on=_days_ago(signed - 42))
    _sign(agreement, mentor, signed)
    _walk(case, users, [("joint-talk", signed, "mentor", "Afspraken getekend.")])
    # Luuk's word is noted; only the pupil who committed (Yara) moves towards the next phase.
    for follow_up, (outcome, note) in zip(_past(_series_of(case, luuk)), [
            ("going_well", "Het is rustiger bij de stalling."), ("not_kept", "Yara stond weer bij de stalling."),
            ("not_kept", "Luuk fietst nu om, uit angst."), ("going_well", "Luuk voelt zich gesteund."),
            ("not_kept", "Zijn fiets is beschadigd."), ("not_kept", "Yara dreigde hem na de gymles.")]):
        _held(follow_up, outcome, note, mentor)
    measures = {1: ("Schrijfopdracht over wat het dreigen met Luuk doet.", [(mentor, "mentor")]),
                2: ("Tweede gesprek met de ouders van Yara; afspraken voor thuis en op school.",
                    [(coordinator, "coordinator")]),
                3: ("Twee weken de pauzes in het lokaal van de teamleider; Luuk fietst eerder weg.",
                    [(coordinator, "coordinator"), (teamleader, "teamleader")])}
    for follow_up, (outcome, note) in zip(_past(_series_of(case, yara)), [
            ("going_well", "Yara houdt zich aan de afspraken."),
            ("not_kept", "Yara wachtte Luuk weer op; ze krijgt nog één kans."),
            ("not_kept", "Opnieuw opgewacht bij de stalling."),
            ("not_kept", "Dreigend bericht aan Luuk via een vriendin."),
            ("not_kept", "Luuks fiets beschadigd."), ("not_kept", "Yara dreigde Luuk na de gymles.")]):
        _held(follow_up, outcome, note, mentor)
        for proposed, number in followups.pupil_proposals(case):  # broken again: the next phase for her
            CaseEvent.add(case, "escalation_proposed", followups.proposal_text(case, proposed, number), mentor,
                          at=follow_up.done_at)
            if number in measures:  # decided two days after the talk
                text, deciders = measures[number]
                decided = (school_today() - follow_up.due_on).days - 2
                _measure(case, proposed, number, text, decided, deciders)
                # The next day the parents hear of it; after phase 3 Luuk's parents have not yet (on the to-do).
                for pupil in [yara] + ([luuk] if number < 3 else []):
                    _parents(case, pupil, deciders[0][0], decided - 1, "Gebeld over fase %d: %s" % (number, text),
                             "Ouders praten thuis met %s." % pupil.first_name)
    followups.settle_step(case)
    escalation.sync(case)
    return case


def _parents(case, pupil, user, days_ago, summary, agreed):
    """A phone call with a pupil's parents `days_ago`, on the timeline."""
    ParentContact.create(case=case, pupil=pupil, channel="phone", contacted_on=_days_ago(days_ago), by_user=user,
                         summary=summary, agreed=agreed)
    CaseEvent.add(case, "parent_contact", "ouders van %s (telefoon)" % pupil.display_name, user,
                  at=_moment(days_ago, 15))


def _past(follow_ups):
    """The follow-ups whose day has passed (held in the demo; those to come stay planned)."""
    return [follow_up for follow_up in follow_ups if follow_up.due_on < school_today()]


def _support_sessions(case, referral, member):
    """Noor's guidance by the support team: a session with a report back, a support group without one yet."""
    for days_ago, kind, participants, notes, report_back in [
        (7, "individual", "Noor Hoekstra; Sanne Visser (ondersteuningsteam)",
         "Noor piekert 's avonds over de pauze. Samen geoefend wat ze zegt en doet als ze wordt weggestuurd.",
         "Noor komt graag en we zien elkaar voorlopig elke week. Fijn als de mentor helpt een vaste plek "
         "in de pauze af te spreken, bijvoorbeeld met Emma."),
        (3, "support_group", "Emma Vermeulen, Yara Öztürk, Luuk Dekker; onder leiding van Sanne Visser",
         "De groep bedacht zelf: Noor uitnodigen bij het voetbal en samen naar de kantine lopen. "
         "Niemand is iets verweten.", ""),
    ]:
        SupportSession.create(case=case, referral=referral, kind=kind, held_on=_days_ago(days_ago),
                              participants=participants, notes=notes, report_back=report_back, recorded_by=member,
                              created_at=_moment(days_ago, 15))
        CaseEvent.add(case, "support_session", str(label(SUPPORT_SESSION_KINDS, kind)), member,
                      at=_moment(days_ago, 15))
        if report_back:
            CaseEvent.add(case, "support_report", "", member, at=_moment(days_ago, 15))


# A year of prevention: (kind, what, due days from today, year levels, [(class or None, held days ago, led by)]).
# A class or the school that did it; a part left out is still to do (overdue when its day passed).
DEMO_PLAN = [
    ("meldknop", "Meldknop op alle schoolcomputers zetten", -330, "", [(None, 335, "coordinator")]),
    ("class_agreements", "Klassenafspraken ‘zo gaan wij met elkaar om’", -300, "1 2 3",
     [("1A", 305, "mentor"), ("2B", 303, "mentor"), ("3C", 298, "mentor2")]),
    ("contract", "Pestcontract bespreken en laten tekenen", -290, "1", [("1A", 292, "mentor")]),
    ("anti_bullying_week", "Week tegen Pesten", -270, "", [(None, 272, "coordinator")]),
    ("parents_evening", "Ouderavond: kinderen en sociale media", -200, "", [(None, 205, "coordinator")]),
    ("staff_training", "Training voor het team: signalen van pesten herkennen", -150, "", [(None, 152, "support")]),
    ("mentor_lesson", "Mentorles: online pesten en de meldknop", -60, "1 2", [("1A", 62, "mentor")]),
    ("class_agreements", "Klassenafspraken opnieuw bespreken", -20, "1 2 3",
     [("1A", 21, "mentor"), ("3C", 25, "mentor2")]),
    ("mentor_lesson", "Mentorles: rollen in de groep", 25, "1 2 3", [("3C", 3, "mentor2")]),
    ("parents_evening", "Ouderavond over online pesten", 70, "", []),
    ("staff_training", "Nieuwe collega's: werken met het pestprotocol", 120, "", []),
]
DEMO_UNPLANNED = [  # done outside the plan: a class conversation after a restless week, a lesson
    ("class_conversation", "2B", 40, "mentor", "Gesprek over de sfeer in de klas na een onrustige week."),
    ("mentor_lesson", "3C", 110, "mentor2", "Rollenspel over stille getuigen."),
]


DEMO_CONTRACT = """Ik wil dat iedereen zich veilig voelt op onze school. Daarom spreek ik af:
- Ik behandel anderen zoals ik zelf behandeld wil worden, op school en online.
- Ik scheld niet, ik sluit niemand buiten en ik kom niet aan een ander als die dat niet wil.
- Ik deel geen foto's of berichten over een ander zonder dat die het goed vindt.
- Zie ik dat iemand gepest wordt, dan help ik of vertel ik het aan mijn mentor. Dat is geen klikken.
- Word ik zelf gepest, dan houd ik het niet geheim.

Als ik me niet aan deze afspraken houd, volgt de school het pestprotocol."""


def _prevention(users):
    """A year of the prevention plan and log: most done, a mentor lesson in 2B overdue, some still to come;
    the school's policy with the first-years' contract."""
    PreventionPolicy.create(id=1, contract_text=DEMO_CONTRACT, contract_updated_at=_moment(300),
                            coordinator_reach="Kamer 1.12, op dinsdag en donderdag; telefoon 012-3456789.",
                            counsellor_reach="Via de receptie of vertrouwenspersoon@hetbaken.example.")
    classes = {school_class.name: school_class for school_class in SchoolClass.select()}
    coordinator = users["coordinator"]
    for kind, title, due_in, levels, done in DEMO_PLAN:
        due_on = school_today() + datetime.timedelta(days=due_in)
        item = PreventionPlanItem.create(school_year=prevention.school_year_of(due_on), kind=kind, title=title,
                                         due_on=due_on, year_levels=levels, created_by=coordinator)
        for class_name, days_ago, leader in done:
            PreventionActivity.create(kind=kind, held_on=_days_ago(days_ago), led_by=users[leader].full_name,
                                      school_class=classes.get(class_name), plan_item=item,
                                      audience="" if class_name else "hele school", recorded_by=users[leader],
                                      note="")
    year = prevention.current_school_year()
    for class_name, school_class in classes.items():  # this school year's agreements, from the year's template
        rules = prevention.agreement_template(school_class.year_level)[:5]
        prevention.save_class_agreement(school_class, year, "\n".join(rules), max(
            _days_ago(60), prevention.school_year_span(year)[0]), _days_ago(21) if class_name != "2B" else None,
            school_class.mentor)
    for pupil in list(Pupil.select().where(Pupil.school_class == classes["1A"]).order_by(Pupil.id))[:4]:
        ContractSignature.create(pupil=pupil, school_year=year, signed_on=max(
            _days_ago(50), prevention.school_year_span(year)[0]), recorded_by=users["mentor"])
    for kind, class_name, days_ago, leader, note in DEMO_UNPLANNED:
        PreventionActivity.create(kind=kind, held_on=_days_ago(days_ago), led_by=users[leader].full_name,
                                  school_class=classes[class_name], note=note, recorded_by=users[leader])


def load():
    """Fill an empty database with the demo school."""
    with db.atomic():
        settings = SchoolSettings.current()
        settings.school_name = "Het Baken (demo)"
        settings.save()

        users = {}
        for username, full_name, roles, is_admin in DEMO_USERS:
            user = User(username=username, full_name=full_name, is_admin=is_admin,
                        email="%s@hetbaken.example" % username)
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.set_roles(roles)
            users[username] = user

        pupils = {}
        number = 20240001
        for class_name, (year, mentor, names) in DEMO_CLASSES.items():
            school_class = SchoolClass.create(name=class_name, year_level=year, mentor=users[mentor])
            for first, infix, last in names:
                pupils[first] = Pupil.create(student_number=str(number), first_name=first, infix=infix,
                                             last_name=last, school_class=school_class)
                number += 1

        coordinator, mentor, mentor2 = users["coordinator"], users["mentor"], users["mentor2"]
        year = school_today().year

        # 1. Verbal bullying and exclusion in 2B: referred to the support team, and a
        #    parent who complained to the counsellor.
        exclusion = _case("%d-0001" % year, "Buitensluiten in de pauze", "vo-nl", mentor, coordinator, 16,
                          [(pupils["Noor"], "victim"), (pupils["Daan"], "bully"), (pupils["Tim"], "follower"),
                           (pupils["Emma"], "helper")])
        _report(mentor, [pupils["Noor"], pupils["Daan"]], ["verbal", "exclusion"], 17,
                "Noor vertelde na de les dat Daan en Tim haar in de pauze steeds wegsturen en uitlachen.",
                case=exclusion, reporter_kind="pupil", channel="conversation", place="Aula, pauzes")
        _exclusion_talks(exclusion, mentor, pupils)
        _walk(exclusion, users, [
            ("signal", 16, "mentor", ""),
            ("victim-talk", 12, "mentor", "Noor wil vooral dat het buitensluiten stopt."),
            ("bully-talk", 6, "mentor", "Daan en Tim zeggen toe Noor met rust te laten."),
        ])
        noor_referral = Referral.create(case=exclusion, pupil=pupils["Noor"], target="support_team", referred_on=_days_ago(9),
                        by_user=mentor, detail="Weerbaarheid en begeleiding",
                        note="Noor slaapt slecht en wil niet meer naar de pauze.")
        CaseMember.create(case=exclusion, user=users["support"])
        ParentContact.create(case=exclusion, pupil=pupils["Noor"], channel="phone", contacted_on=_days_ago(15),
                             by_user=mentor, summary="Moeder geïnformeerd over de melding en de aanpak.",
                             agreed="Mentor belt na het gesprek met Daan terug.")
        complaint = Complaint.create(
            received_on=_days_ago(4), complainant_kind="parent", complainant_name="mevrouw Hoekstra",
            complainant_contact="06-00000000", pupil=pupils["Noor"], case=exclusion, status="investigating",
            description="Moeder vindt dat de school te traag optreedt; het pesten gaat door.",
            counsellor=users["counsellor"])
        ComplaintNote.create(complaint=complaint, author=users["counsellor"],
                             body="Eerst horen hoe de mentor het gesprek met Daan heeft gevoerd.")
        _support_sessions(exclusion, noor_referral, users["support"])

        # 2. Online bullying in 1A: a group chat with a hurtful photo.
        online = _case("%d-0002" % year, "Groepsapp met foto", "online-pesten", mentor, coordinator, 6,
                       [(pupils["Lotte"], "victim"), (pupils["Sem"], "bully"), (pupils["Milan"], "follower")],
                       online=True)
        _report(users["staff"], [pupils["Lotte"]], ["online", "verbal"], 7,
                "Lotte liet een groepsapp zien waarin een bewerkte foto van haar wordt gedeeld.",
                case=online, reporter_kind="staff", channel="conversation", platform="WhatsApp")
        _walk(online, users, [
            ("signal", 6, "mentor", ""),
            ("support-victim", 6, "mentor", "Lotte heeft schermafdrukken gemaakt en de groep verlaten."),
            ("protect", 5, "mentor", ""),
        ])
        # The online protocol says to run the school's own beside it: the coordinator added it the first day.
        # Evidence secured in the one (protect) is done in the other (online-evidence) too.
        online.second_protocol_key, online.second_protocol_added_at = "vo-nl", _moment(6, 12)
        online.save()
        CaseEvent.add(online, "correction", "Tweede protocol erbij: VO-protocol (NL), naast Online pesten",
                      coordinator, at=online.second_protocol_added_at)
        _walk(online, users, [("vo-nl:signal", 6, "mentor", "")])
        Evidence.create(case=online, captured_at=_moment(7, 15), platform="WhatsApp",
                        usernames="Sem J., Milan P.", collected_by=mentor,
                        description="Bewerkte foto van Lotte met spottende tekst in de klassenapp.")

        # 3. Physical bullying and belongings in 3C, further along.
        physical = _case("%d-0003" % year, "Duwen en spullen afpakken", "vo-nl", mentor2, coordinator, 24,
                         [(pupils["Isa"], "victim"), (pupils["Bram"], "bully"), (pupils["Finn"], "follower")])
        _report(mentor2, [pupils["Isa"], pupils["Bram"]], ["physical", "belongings"], 25,
                "Isa wordt bij de kluisjes geduwd; haar etui is twee keer kwijtgeraakt.",
                case=physical, reporter_kind="parent", channel="phone", place="Kluisjesgang")

        _walk(physical, users, [
            ("signal", 24, "mentor2", ""),
            ("victim-talk", 20, "mentor2", ""),
            ("bully-talk", 14, "mentor2", "Bram geeft toe te duwen; Finn lacht mee."),
            ("inform-parents", 10, "mentor2", "Ouders van Isa en van Bram gebeld."),
            ("joint-talk", 8, "mentor2", "Afspraken gemaakt; vervolggesprek over twee dagen."),
            ("extra-help", 8, "coordinator", "Niet nodig: geen extra hulp gevraagd."),
        ])
        # No agreement signed yet: the protocol planned each pupil's talks when the joint talk was done.
        CaseEvent.update(at=_moment(8, 14)).where(CaseEvent.case == physical,
                                                  CaseEvent.kind == "follow_ups_planned").execute()
        for name, notes in [("Isa", ["Geen gedoe meer bij de kluisjes.", "Isa voelt zich veiliger."]),
                            ("Bram", ["Bram houdt zich aan de afspraak.", "Bram groet Isa weer."]),
                            ("Finn", ["Finn blijft uit de buurt van de kluisjes van Isa.", "Gaat goed."])]:
            for follow_up, note in zip(_series_of(physical, pupils[name]), notes):
                _held(follow_up, "going_well", note, mentor2)
        followups.settle_step(physical)
        _talks(physical, users["mentor2"], pupils)

        # 4. A closed case of two school years ago: followed up for two years, every talk held.
        # Bram saw it happen, two school years before his own case (0003): his page shows both years.
        closed = _case("%d-0014" % (year - 2), "Uitschelden in de gymles", "vo-nl", mentor2, coordinator, 790,
                       [(pupils["Mees"], "victim"), (pupils["Sophie"], "bully"), (pupils["Bram"], "bystander")])
        _report(coordinator, [pupils["Mees"]], ["verbal"], 791, "Mees wordt in de gymles uitgescholden.",
                case=closed, reporter_kind="staff", channel="conversation", place="Gymzaal")
        _walk(closed, users, [(key, days, "mentor2", "") for key, days in [
            ("signal", 790), ("victim-talk", 786), ("bully-talk", 780), ("extra-help", 780),
            ("joint-talk", 775), ("inform-parents", 775)]])
        CaseEvent.update(at=_moment(775, 14)).where(CaseEvent.case == closed,
                                                    CaseEvent.kind == "follow_ups_planned").execute()
        for pupil in (pupils["Mees"], pupils["Sophie"]):
            for follow_up in _series_of(closed, pupil):
                _held(follow_up, "going_well", "Gaat goed.", mentor2)
        followups.settle_step(closed)  # every talk held: the step is done
        closed.status, closed.closed_at, closed.closed_by = "closed", _moment(30), coordinator
        closed.close_reason = "Afspraken twee jaar nagekomen; beide leerlingen tevreden."
        closed.save()
        CaseEvent.add(closed, "closed", closed.close_reason, coordinator, at=closed.closed_at)

        _signed_agreement(exclusion, mentor, pupils)
        _escalation(online, users, pupils)
        _threats(users, pupils)
        _around_cases(users, pupils, exclusion, online, physical)

        _prevention(users)

        # A neutral signal by a teacher, waiting in the coordinator's inbox.
        _report(users["staff"], [pupils["Amira"]], ["exclusion"], 1,
                "Amira zit de laatste weken steeds alleen en wordt bij groepjes maken overgeslagen.",
                status="new", reporter_kind="staff", channel="conversation", is_signal=True, place="Klas 3C")
