"""HubSpot sandbox: a deterministic, realistic portal for the demo, benchmarks and tests.

`portal_seed(fake, contacts=200, companies=40, owners=5, ...)` adds (it does not reset, so tokens
issued before stay valid; on a fresh fake the same arguments always give the same data):
owners and users whose emails match the Zoom sandbox hosts (alice@acme.example, ...), companies,
contacts associated with them (some with secondary emails, some archived), a few meetings,
tasks and notes, forms with submissions by contacts, and marketing emails with SENT/OPEN/CLICK
events per recipient (a batch send stamps every SENT with the same millisecond). Modification
dates fall on whole minutes so that several records share one timestamp, as they do after a
HubSpot import; that is what trips naive incremental syncs.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from connectors.hubspot.sandbox_schema import iso_ms

if TYPE_CHECKING:
    from connectors.hubspot.sandbox import HubSpotSandbox

OWNER_NAMES = [
    ("alice", "Alice", "Anderson"),
    ("bob", "Bob", "Brown"),
    ("carol", "Carol", "Chen"),
    ("dave", "Dave", "Dubois"),
    ("erin", "Erin", "Eriksen"),
    ("frank", "Frank", "Fischer"),
    ("grace", "Grace", "Garcia"),
    ("heidi", "Heidi", "Hoffmann"),
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Hana",
    "Ivan",
    "Julia",
    "Kenji",
    "Lea",
    "Marco",
    "Nina",
    "Omar",
    "Paula",
    "Ravi",
    "Sara",
    "Tom",
    "Yuki",
    "Zoe",
]
LAST_NAMES = [
    "Weber",
    "Sato",
    "Martin",
    "Novak",
    "Rossi",
    "Silva",
    "Kowalski",
    "Jensen",
    "Tanaka",
    "Meyer",
    "Dubois",
    "Larsen",
    "Moreau",
    "Schmidt",
    "Virtanen",
    "Ito",
]
COMPANY_WORDS = [
    "Nordic",
    "Blue",
    "Bright",
    "Apex",
    "River",
    "Summit",
    "Pixel",
    "Harbor",
    "Cedar",
    "Quantum",
    "Atlas",
    "Lumen",
    "Vertex",
    "Orbit",
    "Falcon",
    "Maple",
]
COMPANY_KINDS = ["Labs", "Systems", "Logistics", "Health", "Media", "Partners", "Robotics", "Foods"]
INDUSTRIES = ["COMPUTER_SOFTWARE", "LOGISTICS", "HOSPITAL_HEALTH_CARE", "MARKETING", "RETAIL"]
MINUTE = 60_000
DAY = 86_400_000


def portal_seed(
    fake: HubSpotSandbox,
    *,
    contacts: int = 200,
    companies: int = 40,
    owners: int = 5,
    meetings: int = 15,
    tasks: int = 15,
    notes: int = 10,
    forms: int = 2,
    submissions: int = 12,
    marketing_emails: int = 2,
    recipients: int = 20,
    archived: int | None = None,
    secondary: int | None = None,
    seed: int = 1,
) -> dict:
    """Fill the portal; `archived`/`secondary` default to 5% / 10% of `contacts`."""
    rng = random.Random(seed)
    now = fake.now_ms() // MINUTE * MINUTE
    archived = contacts // 20 if archived is None else archived
    secondary = contacts // 10 if secondary is None else secondary

    owner_ids = []
    for index in range(owners):
        handle, first, last = OWNER_NAMES[index % len(OWNER_NAMES)]
        suffix = "" if index < len(OWNER_NAMES) else str(index // len(OWNER_NAMES))
        owner = fake.user_add(email=f"{handle}{suffix}@acme.example", first=first, last=last)
        owner_ids.append(owner["id"])

    def stamped(object_type: str, properties: dict) -> str:
        created = now - rng.randrange(2 * DAY, 120 * DAY) // MINUTE * MINUTE
        record = fake.record_create(object_type, properties, at_ms=created)
        record.updated_ms = min(now, created + rng.randrange(0, 30) * 3 * DAY // MINUTE * MINUTE)
        return record.id

    company_rows = []
    used_domains: set[str] = set()
    for index in range(companies):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
        domain = name.lower().replace(" ", "") + ".example"
        if domain in used_domains:
            name, domain = f"{name} {index}", domain.replace(".example", f"{index}.example")
        used_domains.add(domain)
        properties = {
            "name": name,
            "domain": domain,
            "industry": rng.choice(INDUSTRIES),
            "numberofemployees": str(rng.choice([5, 20, 80, 250, 1200])),
            "hubspot_owner_id": rng.choice(owner_ids) if owner_ids else "",
        }
        company_rows.append((stamped("companies", properties), name, domain))

    contact_ids = []
    for index in range(contacts):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(company_rows) if company_rows else None
        domain = company[2] if company else "example.com"
        properties = {
            "email": f"{first}.{last}.{index}@{domain}".lower(),
            "firstname": first,
            "lastname": last,
            "company": company[1] if company else "",
            "hubspot_owner_id": rng.choice(owner_ids) if owner_ids and rng.random() < 0.8 else "",
            "lifecyclestage": rng.choice(["lead", "marketingqualifiedlead", "customer"]),
        }
        if index < secondary:
            old = f"{first}.{last}.{index}@previous-employer.example".lower()
            properties["hs_additional_emails"] = ";".join(
                [old, f"{first}{index}@mail.example".lower()]
            )
        contact_id = stamped("contacts", properties)
        if company:
            fake.associate("contacts", contact_id, "companies", company[0])
        contact_ids.append(contact_id)
    archived_ids = contact_ids[len(contact_ids) - archived :] if archived else []
    for contact_id in archived_ids:
        fake.record_archive("contacts", contact_id)
    live = [c for c in contact_ids if c not in set(archived_ids)]

    def engagement(object_type: str, properties: dict) -> None:
        engagement_id = stamped(object_type, properties)
        if live:
            fake.associate(object_type, engagement_id, "contacts", rng.choice(live))

    for index in range(meetings):
        start = now + rng.randrange(-30, 30) * DAY // 2
        engagement(
            "meetings",
            {
                "hs_timestamp": iso_ms(start),
                "hs_meeting_title": f"Discovery call {index + 1}",
                "hs_meeting_start_time": iso_ms(start),
                "hs_meeting_end_time": iso_ms(start + 30 * MINUTE),
                "hs_meeting_outcome": "COMPLETED" if start < now else "SCHEDULED",
                "hubspot_owner_id": rng.choice(owner_ids) if owner_ids else "",
            },
        )
    for index in range(tasks):
        engagement(
            "tasks",
            {
                "hs_timestamp": iso_ms(now + rng.randrange(1, 14) * DAY),
                "hs_task_subject": f"Follow up {index + 1}",
                "hs_task_type": "TODO",
                "hs_task_status": rng.choice(["NOT_STARTED", "COMPLETED"]),
                "hs_task_priority": "MEDIUM",
                "hubspot_owner_id": rng.choice(owner_ids) if owner_ids else "",
            },
        )
    for index in range(notes):
        engagement(
            "notes",
            {
                "hs_timestamp": iso_ms(now - rng.randrange(1, 60) * DAY),
                "hs_note_body": f"<p>Call notes #{index + 1}: interested in webinars.</p>",
            },
        )

    live_emails = [fake.objects["contacts"][c].properties["email"] for c in live]
    events = _marketing_seed(
        fake, rng, now, live_emails, forms, submissions, marketing_emails, recipients
    )
    return {
        **events,
        "owners": len(owner_ids),
        "companies": len(company_rows),
        "contacts": len(live),
        "archived_contacts": len(archived_ids),
        "contacts_with_secondary_emails": min(secondary, contacts),
        "meetings": meetings,
        "tasks": tasks,
        "notes": notes,
    }


FORM_NAMES = ["Contact us", "Demo request", "Newsletter signup", "Webinar registration"]
EMAIL_NAMES = ["May newsletter", "Webinar invitation", "Product update", "Customer survey"]


def _marketing_seed(fake, rng, now, emails, forms, submissions, marketing_emails, recipients):
    """Forms with submissions and marketing emails with their recipient events."""
    form_ids = [fake.form_add(FORM_NAMES[i % len(FORM_NAMES)]) for i in range(forms)]
    for index in range(submissions if form_ids and emails else 0):
        at = now - rng.randrange(1, 30 * 24 * 60) * MINUTE
        fake.form_submission_add(
            form_ids[index % len(form_ids)],
            {"email": rng.choice(emails), "firstname": rng.choice(FIRST_NAMES)},
            at_ms=at,
        )
    counts = {"SENT": 0, "OPEN": 0, "CLICK": 0}
    for index in range(marketing_emails):
        campaign = fake.marketing_email_add(EMAIL_NAMES[index % len(EMAIL_NAMES)])
        sent_at = now - rng.randrange(1, 20) * DAY
        for email in rng.sample(emails, min(recipients, len(emails))):
            fake.email_event_add(campaign, "SENT", email, at_ms=sent_at)
            counts["SENT"] += 1
            if rng.random() < 0.5:
                opened = sent_at + rng.randrange(1, 600) * MINUTE
                fake.email_event_add(campaign, "OPEN", email, at_ms=opened)
                counts["OPEN"] += 1
                if rng.random() < 0.4:
                    fake.email_event_add(campaign, "CLICK", email, at_ms=opened + MINUTE)
                    counts["CLICK"] += 1
    return {
        "forms": len(form_ids),
        "form_submissions": sum(len(rows) for rows in fake.form_submissions.values()),
        "marketing_emails": marketing_emails,
        "email_events": counts,
    }
