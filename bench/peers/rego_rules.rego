# confide's access rules in Rego: which requested categories are permitted.
#
# input: {actor: {id, role, org?}, client, categories: [code], purpose, action,
#         at (epoch seconds), author?}
# data:  the code tables and settings, and under clients.<id> each client's document: the
#        client and their facts, keyed by the actor or organisation each fact names
#        (see bench/peers/rego.py).
package confide

import rego.v1

actor := input.actor

client := data.clients[input.client]

settings := data.settings

clinical := {"clinician", "supervisor"}

# A consent or disclosure may name the person or their organisation.
keys contains actor.id

keys contains actor.org

permitted contains cat if {
	some cat in input.categories
	client.id == input.client
	actor.role != "administrator"
	granted(cat)
}

# A refusal overrides any permission but the client's own access and the legal duties.
granted(cat) if not_overridable(cat)

granted(cat) if {
	overridable(cat)
	not forbidden(cat)
}

not_overridable(cat) if own_record(cat)

not_overridable(cat) if exception_disclosure(cat)

not_overridable(cat) if break_glass(cat)

overridable(cat) if representative(cat)

overridable(cat) if treating_clinician(cat)

overridable(cat) if staff_operations(cat)

overridable(cat) if consent(cat)

# HIPAA 164.524(a)(1)(i): psychotherapy notes are outside the right of access.
notes_closed(cat) if {
	cat == "psychotherapy_note"
	not settings.client_may_read_psychotherapy_notes
}

own_record(cat) if {
	actor.role == "client"
	actor.id == input.client
	input.purpose == "PATRQT"
	input.action == "read"
	not notes_closed(cat)
}

representative(cat) if {
	actor.role == "representative"
	input.purpose in {"PATRQT", "PWATRNY"}
	input.action == "read"
	not notes_closed(cat)
	some rep in client.representations[actor.id]
	during(rep)
	not shielded(rep, cat)
}

# HIPAA 164.502(g)(3): care a minor consented to themself is kept from the parent.
shielded(rep, cat) if {
	rep.kind == "minor"
	not settings.representative_sees_self_consented_care
	cat in client.self_consented
}

treating_clinician(cat) if {
	actor.role in clinical
	input.purpose == "TREAT"
	some rel in client.relationships[actor.id]
	during(rel)
	author_may(cat)
}

# HIPAA 164.508(a)(2)(i)(A): only its author may use a psychotherapy note for treatment.
author_may(cat) if cat != "psychotherapy_note"

author_may("psychotherapy_note") if input.author == actor.id

staff_operations(cat) if {
	actor.role == "staff"
	actor.org == client.org
	cat in data.staff_categories
	input.purpose in data.staff_purposes
}

exception_disclosure(cat) if {
	input.action == "read"
	some key in keys
	some d in client.disclosures[key]
	d.approved
	data.ground_purpose[d.ground] == input.purpose
	during(d)
	cat in d.categories
	cat in data.minimum_necessary[d.ground]
	not part2_findings_missing(d, cat)
}

# 42 CFR 2.64: substance-use records under a court order need the court's findings.
part2_findings_missing(d, cat) if {
	cat == "substance_use"
	d.ground == "court_order"
	not d.part2_court_findings
}

break_glass(cat) if {
	actor.role in clinical
	input.purpose == "BTG"
	input.action == "read"
	some g in client.break_glass[actor.id]
	g.opened_at <= input.at
	input.at < g.expires_at
	input.at < g.opened_at + settings.break_glass_max_window
	cat in data.minimum_necessary[g.ground]
}

consent(cat) if {
	input.action == "read"
	actor.role != "client"
	some key in keys
	some c in client.consents[key]
	c.effect == "permit"
	in_force(c, cat)
}

forbidden(cat) if {
	some key in keys
	some c in client.consents[key]
	c.effect == "deny"
	in_force(c, cat)
}

in_force(c, cat) if {
	cat in c.categories
	input.purpose in c.purposes
	during(c)
	not revoked(c)
}

# An absent revoked_at or end leaves these undefined: never revoked, never ended.
revoked(c) if input.at >= c.revoked_at

during(x) if {
	x.start <= input.at
	not ended(x)
}

ended(x) if input.at >= x.end
