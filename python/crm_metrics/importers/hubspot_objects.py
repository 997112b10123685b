"""Contacts, deal-contact associations and tickets of a HubSpot export: the same optional files
in both layouts (hubspot.py's API property names, hubspot_ui.py's UI labels), each column found
by its internal name or its label.

- contacts.csv: hs_object_id ("Record ID"); optional firstname, lastname, jobtitle ("Job
  Title"), associatedcompanyid ("Associated Company IDs", the first of a `;` list: the
  contact's primary company), createdate.
- deal_contact_associations.csv: the deal-to-contact associations flattened (the associations
  API's from/to ids), deal_id, contact_id; optional label (the association label, e.g.
  "Decision maker"; empty for HubSpot's unlabelled association). A UI deals.csv exported with
  associations has "Associated Contact IDs" instead (hubspot_ui.py): no labels there.
- tickets.csv: hs_object_id ("Ticket ID", "Record ID"), createdate; optional closed_date,
  hs_ticket_priority ("Priority"), hs_pipeline_stage ("Ticket status": the UI writes the stage's
  label, the API its id), company_id (or associatedcompanyid; "Associated Company IDs", the
  first of a `;` list) and contact_id ("Associated Contact IDs", likewise).

Rules: a contact's title is its jobtitle. HubSpot has no contact role and no primary contact
on a deal: role is the association label (empty without one), is_primary is empty, so
mart_conversions_by_title takes a deal's lowest contact id. A deal and contact associated twice
with one label are one row; associations of deals the import leaves out (other pipelines) are
left out and counted. Ticket priority LOW, MEDIUM, HIGH, URGENT becomes low, normal, high,
urgent (common.ticket_priority_sql); the product user of a ticket is unknown (empty).
"""

from __future__ import annotations

from pathlib import Path

from crm_metrics.importers.common import Importer, ticket_priority_sql, timestamp_text

CONTACTS = (
    ["hs_object_id"],
    ["firstname", "lastname", "jobtitle", "associatedcompanyid", "createdate"],
)
DEAL_CONTACTS = (["deal_id", "contact_id"], ["label"])
TICKETS = (
    ["hs_object_id", "createdate"],
    ["closed_date", "hs_ticket_priority", "hs_pipeline_stage", "company_id", "contact_id"],
)
COMPANY_LABELS = ["Associated Company IDs", "Associated Company IDs (Primary)"]
LABELS: dict[str, dict[str, list[str]]] = {
    "contacts": {
        "hs_object_id": ["Record ID", "Contact ID"],
        "firstname": ["First Name"],
        "lastname": ["Last Name"],
        "jobtitle": ["Job Title"],
        "associatedcompanyid": [*COMPANY_LABELS, "Primary Associated Company ID"],
        "createdate": ["Create Date"],
    },
    "deal_contacts": {
        "deal_id": ["Deal ID", "fromObjectId"],
        "contact_id": ["Contact ID", "toObjectId"],
        "label": ["Association label", "associationLabel"],
    },
    "tickets": {
        "hs_object_id": ["Ticket ID", "Record ID"],
        "createdate": ["Create date"],
        "closed_date": ["Close date"],
        "hs_ticket_priority": ["Priority"],
        "hs_pipeline_stage": ["Ticket status", "Pipeline stage"],
        "company_id": ["associatedcompanyid", *COMPANY_LABELS],
        "contact_id": ["Associated Contact IDs", "Associated Contact IDs (Primary)"],
    },
}
FILES = {
    "contacts": ("contacts", CONTACTS),
    "deal_contacts": ("deal_contact_associations", DEAL_CONTACTS),
    "tickets": ("tickets", TICKETS),
}
# merged into the importer's one convert_dates call
DATE_COLUMNS = {
    "contacts": {"createdate": "timestamp"},
    "tickets": {"createdate": "timestamp", "closed_date": "timestamp"},
}


def first_id(expr: str) -> str:
    """SQL: the first id of a `;`-separated list (a UI export's associations), empty as null."""
    return f"nullif(trim(split_part({expr}, ';', 1)), '')"


def read_objects(imp: Importer, source: Path) -> dict[str, bool]:
    """Read each optional file as `src_<name>`; which ones the export has."""
    present = {}
    for name, (file, (required, optional)) in FILES.items():
        path = imp.find(source, file)
        present[name] = imp.read_optional(name, path, required, optional, LABELS[name])
    return present


def contacts_sql(imp: Importer, present: dict[str, bool]) -> str | None:
    """The contacts table (None without contacts.csv)."""
    if not present["contacts"]:
        return None
    imp.note("Contacts from contacts.csv: title = jobtitle, account = associatedcompanyid.")
    return f"""
        select
            trim(hs_object_id) as contact_id,
            {first_id("associatedcompanyid")} as account_id,
            nullif(trim(concat_ws(' ', trim(firstname), trim(lastname))), '') as full_name,
            nullif(trim(jobtitle), '') as title,
            {timestamp_text("createdate")} as created_at
        from src_contacts
        order by 1
    """


def contact_roles_sql(
    imp: Importer, present: dict[str, bool], deal_ids_sql: str, ui_pairs_sql: str | None = None
) -> str | None:
    """The opportunity_contact_roles table: deal_contact_associations.csv, else `ui_pairs_sql`
    (deal_id, contact_id pairs of a UI deals export); only deals of `deal_ids_sql` (the deals
    imported). None when the export has neither."""
    if present["deal_contacts"]:
        pairs = """
            select trim(deal_id) as deal_id, trim(contact_id) as contact_id,
                nullif(trim(label), '') as role
            from src_deal_contacts
        """
        source = "deal_contact_associations.csv (role = the association label)"
    elif ui_pairs_sql is not None:
        pairs = f"select deal_id, contact_id, null as role from ({ui_pairs_sql}) as ui_pairs"
        source = "the deals' Associated Contact IDs (no association labels: role empty)"
    else:
        return None
    imported = f"deal_id in (select opportunity_id from ({deal_ids_sql}) as imported)"
    imp.unmapped(
        "deal-contact associations of deals not imported (left out)",
        f"select 1 from ({pairs}) as pairs where nullif(deal_id, '') is not null "
        f"and not {imported}",
    )
    imp.note(
        f"Contact roles from {source}; HubSpot has no primary contact on a deal: is_primary "
        "is empty, so a deal's title is read from its lowest contact id."
    )
    return f"""
        select distinct
            deal_id as opportunity_id,
            contact_id,
            role,
            null as is_primary
        from ({pairs}) as pairs
        where {imported} or nullif(deal_id, '') is null
        order by 1, 2, 3
    """


def tickets_sql(imp: Importer, present: dict[str, bool]) -> str | None:
    """The support_tickets table (None without tickets.csv)."""
    if not present["tickets"]:
        return None
    imp.note(
        "Tickets from tickets.csv: hs_ticket_priority LOW/MEDIUM/HIGH/URGENT as "
        "low/normal/high/urgent; status = hs_pipeline_stage as exported; account and contact = "
        "the first associated id; the product user is unknown (empty)."
    )
    return f"""
        select
            trim(hs_object_id) as ticket_id,
            {first_id("company_id")} as account_id,
            {first_id("contact_id")} as contact_id,
            null as product_user_id,
            {timestamp_text("createdate")} as created_at,
            {timestamp_text("closed_date")} as closed_at,
            {ticket_priority_sql("hs_ticket_priority")} as priority,
            nullif(trim(hs_pipeline_stage), '') as status
        from src_tickets
        order by 1
    """
