"""The built-in protocols load and are complete; a malformed file is refused by name."""
import dataclasses
import os
import shutil

import pytest
import yaml

from app import create_app
from domain import protocols
from domain.protocols import ProtocolError, load_all, load_protocol

BUILT_IN = load_all()


def test_the_three_built_in_protocols_load():
    assert {p.name for p in BUILT_IN.values()} == {
        "VO-protocol (NL)", "Stappenplan (Vlaanderen)", "Online pesten"}


def test_vo_protocol_has_its_conversation_guides_and_schedule():
    vo = BUILT_IN["vo-nl"]
    counts = {template.key: template.item_count() for step in vo.steps for template in step.templates}
    assert counts["bully-seventeen-steps"] >= 17
    assert counts["bully-parents-eleven-steps"] >= 11
    assert counts["victim-nine-steps"] >= 9
    no_blame = vo.template("no-blame-joint-conversation")
    assert len(no_blame.phases) == 5
    assert [rule.days or rule.weeks or rule.months for rule in vo.follow_up_schedule[:3]] == [2, 1, 1]
    assert vo.follow_up_schedule[3].every_months == 3 and vo.follow_up_schedule[3].until_months == 24
    assert vo.follow_up_step == "follow-up" and vo.follow_up_with == ("victim", "bully", "follower")
    assert vo.follow_up_span() == (24, "months")  # seed 001 step 5: two years
    assert [phase.decided_by for phase in vo.escalation_phases] == [
        ("mentor",), ("coordinator",), ("coordinator", "teamleader"), ("teamleader", "management"),
        ("teamleader", "management")]  # seed 001: the team leader decides suspension with management
    assert vo.step("police").condition == (("criminal", True),)


@pytest.mark.parametrize("key", sorted(BUILT_IN))
def test_every_protocol_writes_out_its_five_phases_and_who_decides_each(key):
    """No phase is a bare number: each has its title and description, and a decider from the role table."""
    phases = BUILT_IN[key].escalation_phases
    assert [phase.phase for phase in phases] == [1, 2, 3, 4, 5]
    for phase in phases:
        assert not phase.title.isdigit() and len(phase.description) > 60 and phase.description != phase.title
        assert phase.decided_by and set(phase.decided_by) <= set(protocols.DECIDERS)
    assert "management" in phases[4].decided_by  # removal is never decided without management


def test_the_flemish_phases_climb_the_confrontational_approach_and_name_the_graadcoordinator():
    vl = load_all(region="vl")["stappenplan-vl"]
    assert [phase.title for phase in vl.escalation_phases][3:] == ["Tijdelijke uitsluiting", "Definitieve uitsluiting"]
    assert "overschakelen" in vl.phase(1).description or "schakelt" in vl.phase(1).description
    assert "graadcoördinator" in vl.phase(4).description and vl.phase(5).decided_by == ("management",)


def test_the_parents_step_comes_after_the_first_step_when_the_bullying_is_serious():
    deadline = BUILT_IN["vo-nl"].step("inform-parents").deadline
    assert (deadline.days, deadline.after) == (7, "bully-talk")
    assert deadline.for_severity("normal") is deadline
    assert (deadline.for_severity("serious").days, deadline.for_severity("serious").after) == (7, "signal")


def test_flemish_protocol_has_both_approaches():
    vl = BUILT_IN["stappenplan-vl"]
    conditions = {step.condition for step in vl.steps}
    assert (("approach", "confrontational"),) in conditions
    assert (("approach", "non_confrontational"),) in conditions
    assert vl.template("support-group-meeting") and vl.template("restorative-conversation")


def test_online_protocol_has_the_ten_points():
    online = BUILT_IN["online-pesten"]
    assert online.template("online-bully-ten-points").item_count() == 10


def test_a_role_between_braces_reads_as_each_country_names_it():
    online = {region: load_all(region=region)["online-pesten"] for region in ("nl", "vl")}
    assert online["nl"].region == online["vl"].region == protocols.EVERY_REGION
    assert online["nl"].step("signal").description.startswith("De mentor neemt de melding serieus")
    assert online["vl"].step("signal").description.startswith("De klascoach neemt de melding serieus")
    assert online["nl"].description.startswith("Aanpak voor mentoren als")
    assert online["vl"].description.startswith("Aanpak voor klascoaches als")
    assert "meteen de zorgcoördinator inlichten" in online["vl"].step("signal").tasks[-1]
    for protocol in online.values():
        texts = [protocol.description] + [step.description for step in protocol.steps]
        assert not [text for text in texts if "{" in text]
    assert protocols.role_words("vl")["Mentor"] == "Klascoach"


def test_steps_apply_by_condition():
    vo = BUILT_IN["vo-nl"]
    assert not vo.step("police").applies_to(criminal=False)
    assert vo.step("police").applies_to(criminal=True)
    assert vo.step("victim-talk").applies_to()


def write(tmp_path, data, name="broken.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data)
    return path


def valid():
    with open(protocols.PROTOCOL_DIR + "/online-pesten.yaml") as handle:
        data = yaml.safe_load(handle)
    data["key"] = "broken"
    return data


def series_talk(data):
    """The key of a talk of the file's follow-up step."""
    step = next(step for step in data["steps"] if step["key"] == data["follow_up_step"])
    return step["templates"][0]["key"]


def test_a_valid_copy_loads(tmp_path):
    assert load_protocol(write(tmp_path, valid())).key == "broken"


@pytest.mark.parametrize("breakage,message", [
    (lambda d: d.pop("steps"), "ontbreekt: steps"),
    (lambda d: d.update(region="be"), "region: 'be' is geen geldige keuze"),
    (lambda d: d["steps"][1].update(owner="headmaster"), "stap 2 (support-victim): owner"),
    (lambda d: d["steps"][1]["deadline"].update(after="nowhere"), "'nowhere' is geen eerdere stap"),
    (lambda d: d["steps"][0]["deadline"].update(days=-1), "deadline.days"),
    (lambda d: d["steps"][1].update(dealine={"days": 1}), "onbekende sleutel: dealine"),
    (lambda d: d["steps"][1]["templates"][0]["phases"][0]["items"][0].update(text=""), "punt 1: text: mag niet leeg zijn"),
    (lambda d: d["steps"][1]["templates"][0].update(phases=[]), "phases: de lijst mag niet leeg zijn"),
    (lambda d: d.update(approach_switch={"from": "confrontational", "to": "confrontational"}),
     "approach_switch: to: hier hoort een andere aanpak"),
    (lambda d: d.update(approach_switch={"from": "steungroep", "to": "confrontational"}),
     "approach_switch: from: 'steungroep' is geen geldige keuze"),
    (lambda d: d["steps"][1]["templates"][0].update(parents_of=["victim"]),
     "parents_of: alleen bij een gesprek met de ouders"),
    (lambda d: d["steps"][1]["templates"][0].update(participants=["parents"], parents_of=["uncle"]),
     "parents_of: 'uncle' is geen geldige keuze"),
    (lambda d: d["steps"][2].update(key=d["steps"][1]["key"]), "deze sleutel komt al eerder voor"),
    (lambda d: d["steps"][1].update(condition={"weather": "rain"}), "onbekende sleutel: weather"),
    (lambda d: d.update(follow_up_schedule=[{"days": 2, "weeks": 1}]), "follow_up_schedule 1"),
    (lambda d: d.update(follow_up_step="follow-up"), "follow_up_step: 'follow-up' is geen stap"),
    (lambda d: d.update(follow_up_with=["victim", "parents"]), "follow_up_with: 'parents' is geen geldige keuze"),
    (lambda d: d.update(follow_up_with=[]), "follow_up_with: de lijst mag niet leeg zijn"),
    (lambda d: d.pop("follow_up_step"), "follow_up_with: hoort bij follow_up_step"),
    (lambda d: d.pop("follow_up_schedule"), "follow_up_step: zonder follow_up_schedule"),
    (lambda d: d.update(follow_up_after_broken={"months": 1}), "follow_up_after_broken: gebruik days of weeks"),
    (lambda d: [d.pop("follow_up_step"), d.pop("follow_up_with")],
     "follow_up_after_broken: hoort bij follow_up_step"),
    (lambda d: d.update(parents_after_measure={"days": 7}), "parents_after_measure: ontbreekt: of"),
    (lambda d: d.update(parents_after_measure={"days": 7, "of": ["pupil", "mentor"]}),
     "parents_after_measure: of: 'mentor' is geen geldige keuze"),
    (lambda d: d.update(parents_after_measure={"days": 7, "of": ["victim", "victim"]}),
     "parents_after_measure: of: een keuze staat er twee keer in"),
    (lambda d: d.update(follow_up_step="agreement"),
     "stap 11 (evaluation): shared: 'follow-up' hoort bij de stap van de vervolggesprekken"),
    (lambda d: d.update(key="other"), "moet gelijk zijn aan de bestandsnaam"),
    (lambda d: d["steps"][0].update(description="De {leraar} belt."), "stap 1 (signal): description: {leraar} is geen rol"),
    (lambda d: d["steps"][1].update(owner="counsellor"), "stap 2 (support-victim): owner: 'counsellor'"),
    (lambda d: d["escalation_phases"][3].update(decided_by=["teamleader", "headmaster"]),
     "escalation_phases 4: decided_by: 'headmaster' is geen geldige keuze"),
    (lambda d: d["escalation_phases"][0].update(decided_by="support"),
     "escalation_phases 1: decided_by: 'support' is geen geldige keuze"),
    (lambda d: d["escalation_phases"][2].update(decided_by=[]), "escalation_phases 3: decided_by: de lijst mag niet leeg"),
    (lambda d: d["escalation_phases"][2].update(decided_by=["mentor", "mentor"]), "een rol staat er twee keer in"),
    (lambda d: d["escalation_phases"].pop(), "escalation_phases: hier horen precies 5 fasen"),
    (lambda d: d.pop("escalation_phases"), "ontbreekt: escalation_phases"),
    (lambda d: d["escalation_phases"][1].update(phase=3), "escalation_phases 2: phase: hier hoort fase 2"),
    (lambda d: d["escalation_phases"][1].update(title=""), "escalation_phases 2: title: mag niet leeg zijn"),
    (lambda d: d["steps"][4]["deadline"].update(if_serious={"days": 1, "after": "nowhere"}),
     "stap 5 (inform-parents): deadline.if_serious.after: 'nowhere' is geen eerdere stap"),
    (lambda d: d.update(after_broken_again={"hand_to": "coordinator", "talk": "victim-support-conversation"}),
     "after_broken_again: talk: 'victim-support-conversation' is geen gesprek van de stap 'evaluation'"),
    (lambda d: d.update(after_broken_again={"hand_to": "mentor", "talk": series_talk(d)}),
     "after_broken_again: hand_to: 'mentor' is geen geldige keuze"),
    (lambda d: d.update(after_broken_again={"hand_to": "coordinator"}), "after_broken_again: ontbreekt: talk"),
    (lambda d: [d.update(after_broken_again={"hand_to": "coordinator", "talk": series_talk(d)}),
                d.pop("follow_up_step"), d.pop("follow_up_with"), d.pop("follow_up_after_broken"),
                [step.pop("shared", None) for step in d["steps"] if step.get("shared") == "follow-up"]],
     "after_broken_again: hoort bij follow_up_step"),
    (lambda d: d["steps"][0].update(done_with_report="ja"), "stap 1 (signal): done_with_report: hier hoort true of false"),
    (lambda d: d["steps"][1].update(done_with_report=True),
     "stap 2 (support-victim): done_with_report: staat al bij een eerdere stap"),
])
def test_malformed_protocol_is_refused_with_file_and_place(tmp_path, breakage, message):
    data = valid()
    breakage(data)
    with pytest.raises(ProtocolError) as error:
        load_protocol(write(tmp_path, data))
    assert str(error.value).startswith("broken.yaml: ")
    assert message in str(error.value)


def test_broken_yaml_is_refused(tmp_path):
    with pytest.raises(ProtocolError, match="broken.yaml: geen geldige YAML"):
        load_protocol(write(tmp_path, "key: [unclosed\n"))


def test_app_refuses_to_start_with_a_phase_decided_by_an_unknown_role(tmp_path):
    folder = tmp_path / "protocols"
    shutil.copytree(protocols.PROTOCOL_DIR, folder)
    data = valid()
    data["escalation_phases"][3]["decided_by"] = ["teamleader", "rector"]
    write(folder, data)
    with pytest.raises(ProtocolError, match=r"broken.yaml: escalation_phases 4: decided_by: 'rector'"):
        create_app({"TESTING": True, "DATABASE": str(tmp_path / "x.db"), "PROTOCOL_DIR": str(folder)})


def test_app_refuses_to_start_with_a_malformed_protocol(tmp_path):
    folder = tmp_path / "protocols"
    shutil.copytree(protocols.PROTOCOL_DIR, folder)
    data = valid()
    data["steps"][0]["owner"] = "nobody"
    write(folder, data)
    with pytest.raises(ProtocolError, match="broken.yaml: stap 1 .*owner"):
        create_app({"TESTING": True, "DATABASE": str(tmp_path / "x.db"), "PROTOCOL_DIR": str(folder)})


def test_a_protocol_is_parsed_once_and_an_edited_file_is_read_again(tmp_path):
    data = valid()
    path = write(tmp_path, data)
    first = load_protocol(path)
    assert load_protocol(path) is first  # parsed once per process: every app after the first gets it as is
    stat = os.stat(path)
    text = path.read_text(encoding="utf-8")
    renamed = "X" * len(first.name)  # the same size and, set back below, the same modification time
    path.write_text(text.replace("name: %s\n" % first.name, "name: %s\n" % renamed, 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert load_protocol(path).name == renamed
    data["steps"][0]["owner"] = "nobody"  # an edit that breaks it is refused, even after a good read
    write(tmp_path, data)
    for _attempt in range(2):  # and again: a refusal is not kept as if it were a protocol
        with pytest.raises(ProtocolError, match="broken.yaml: stap 1 .*owner"):
            load_protocol(path)


def test_a_loaded_protocol_cannot_be_changed_by_whoever_reads_it():
    protocol = load_all()["vo-nl"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol.name = "anders"
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol.steps[0].title = "anders"
    assert isinstance(protocol.steps, tuple) and isinstance(protocol.steps[0].tasks, tuple)
    assert load_all()["vo-nl"] is protocol  # the same frozen object, shared
    assert load_all() is not load_all()  # each app gets its own dict of them


def test_agreements_broken_again_hand_the_vo_case_to_the_coordinator_for_their_talk(tmp_path):
    rule = BUILT_IN["vo-nl"].after_broken_again
    assert rule == protocols.HandOver(hand_to="coordinator", talk="coordinator-conversation")
    assert BUILT_IN["vo-nl"].step("follow-up").templates[1].key == rule.talk
    data = valid()
    data["after_broken_again"] = {"hand_to": "coordinator", "talk": series_talk(data)}
    assert load_protocol(write(tmp_path, data)).after_broken_again.talk == "online-evaluation-conversation"
