"""Sizes, the data window and the vocabularies the generated tables draw from."""

from __future__ import annotations

import numpy as np

DEALS_PER_SCALE = 100_000
DEFAULT_OPPORTUNITIES = 3000
CHUNK_ROWS = 500_000  # rows per write batch (and per activity generation chunk)
DAY = 86_400
CONTACTS_PER_ACCOUNT = 4


def epoch_secs(value: str) -> int:
    """Seconds since 1970 of an ISO timestamp."""
    return int(np.datetime64(value, "s").astype(np.int64))


def epoch_days(value: str) -> int:
    """Days since 1970 of an ISO date."""
    return int(np.datetime64(value, "D").astype(np.int64))


T0 = epoch_secs("2023-01-01T00:00:00")
T_END = epoch_secs("2025-12-31T23:59:59")
D_END = epoch_days("2025-12-31")
MONTH_DAYS = (
    np.arange(np.datetime64("2023-01"), np.datetime64("2026-01"))
    .astype("datetime64[D]")
    .astype(np.int64)
)  # first day of each data month, 36 entries
MONTH_SECS = MONTH_DAYS * DAY
N_MONTHS = len(MONTH_DAYS)

# (stage_name, stage_order, default_probability, is_closed, is_won); codes are stage_order.
STAGES = [
    ("Qualification", 1, 0.10, False, False),
    ("Discovery", 2, 0.20, False, False),
    ("Solution Demo", 3, 0.40, False, False),
    ("Proposal", 4, 0.60, False, False),
    ("Negotiation", 5, 0.80, False, False),
    ("Closed Won", 6, 1.0, True, True),
    ("Closed Lost", 7, 0.0, True, False),
]
STAGE_NAMES = [s[0] for s in STAGES]
WON, LOST, LAST_OPEN = 6, 7, 5

SEGMENTS = ["SMB", "MID", "ENT"]
SEGMENT_P = [0.5, 0.33, 0.17]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "ES", "IE", "AU"]
COUNTRY_P = [0.45, 0.05, 0.15, 0.10, 0.08, 0.05, 0.04, 0.03, 0.05]
CURRENCIES = ["USD", "EUR", "GBP"]
COUNTRY_CURRENCY = np.array([0, 0, 2, 1, 1, 1, 1, 1, 0])
RATE_START = [1.0, 1.07, 1.24]  # USD per unit, first month
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Logistics",
    "Media",
]
NAME_A = ["Blue", "North", "Bright", "Silver", "Green", "Rapid", "Prime", "Summit", "Oak", "Nova"]
NAME_B = ["River", "Peak", "Harbor", "Field", "Stone", "Bridge", "Wave", "Forge", "Pine", "Star"]
NAME_C = ["Systems", "Labs", "Group", "Industries", "Partners", "Health", "Logistics", "Media"]
FIRST_NAMES = [
    "Alex", "Maria", "Sam", "Priya", "John", "Chen", "Laura", "Omar", "Emma", "Lucas",
    "Sofia", "David", "Aisha", "Tom", "Hannah", "Ivan", "Julia", "Kenji", "Nora", "Pablo",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Garcia", "Miller", "Patel", "Johnson", "Wang", "Brown", "Khan", "Schmidt",
    "Rossi", "Dubois", "Novak", "Silva", "Kim", "Murphy", "Jensen", "Lopez", "Weber",
]  # fmt: skip

LEAD_SOURCES = ["Inbound Web", "Paid Search", "Event", "Outbound SDR", "Partner", "Referral"]
LEAD_SOURCE_SHARE = np.array([0.35, 0.20, 0.15, 0.15, 0.08, 0.07])
LEAD_CONVERSION = np.array([0.12, 0.05, 0.10, 0.14, 0.25, 0.32])  # lead -> deal, per source
DEAL_SOURCES = [*LEAD_SOURCES, "AE Sourced", "Existing Customer"]
NEW_BUSINESS_SOURCE_P = [0.30, 0.10, 0.10, 0.20, 0.10, 0.10, 0.10, 0.0]
EXISTING_SOURCE_P = [0.0, 0.0, 0.0, 0.0, 0.10, 0.0, 0.10, 0.80]
OPP_TYPES = ["new_business", "expansion", "renewal"]
OPP_TYPE_LABEL = ["New Business", "Expansion", "Renewal"]
LOSS_REASONS = ["Price", "Competitor", "No Decision", "Timing", "Budget", "Product Fit"]
LOSS_REASON_P = [0.25, 0.22, 0.20, 0.13, 0.12, 0.08]
DISQUALIFY_REASONS = ["No Budget", "Not a Fit", "Unresponsive", "Competitor Chosen", "Duplicate"]
DISQUALIFY_P = [0.25, 0.30, 0.25, 0.12, 0.08]
LEAD_STATUSES = ["new", "nurture", "mql", "sql", "converted", "disqualified"]
ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "poc", "rfp", "other"]
OUTCOMES = ["connected", "no_answer", "left_voicemail", "meeting_booked", "completed", "other"]
CHANNELS = ["Paid Search", "Events", "Content", "Social", "Partner Marketing"]
CHANNEL_BASE = np.array([12_000.0, 8_000.0, 4_000.0, 5_000.0, 3_000.0])  # per month at 3000 deals

# product_id order: platform per segment first, then add-ons, then services
PRODUCTS = [
    ("Platform Starter", "Platform", 25.0),
    ("Platform Professional", "Platform", 60.0),
    ("Platform Enterprise", "Platform", 110.0),
    ("Analytics Add-on", "Add-on", 15.0),
    ("Automation Add-on", "Add-on", 20.0),
    ("Security Add-on", "Add-on", 18.0),
    ("Integrations Pack", "Add-on", 12.0),
    ("Onboarding Package", "Services", 5_000.0),
    ("Premium Support", "Services", 8_000.0),
    ("Training Workshop", "Services", 3_000.0),
]
N_PLATFORM, N_ADDON = 3, 4

# --- v5 ---------------------------------------------------------------------------------------
# The tables and the columns of v4 tables that the spec added in v5: `generate(..., v5=False)`
# writes neither (the files of a v4 export, byte for byte what the generator wrote before v5).
V5_TABLES = (
    "contacts",
    "opportunity_contact_roles",
    "sales_costs",
    "product_users",
    "usage_events",
    "support_tickets",
)
V5_COLUMNS = {"leads": ("title", "accepted_at"), "subscriptions": ("quantity",)}
OUTCOMES_V5 = [*OUTCOMES, "replied"]  # v5: an email that got an answer
REPLIED = len(OUTCOMES)

# Job titles of contacts and leads, with their weight. The first ones cover every default
# persona of mart_conversions_by_title (var persona_rules) and its edge cases: "Vice President"
# is vp (not president), "Head-of-Growth" is director (words are runs of letters or digits),
# "Team Leader" and "Leadership Coach" match no keyword (lead is a whole word), and a title
# matching two personas takes the first in the list ("Sales Manager and Director": director).
TITLES = [
    ("CEO", 3),
    ("Chief Financial Officer", 2),
    ("CTO", 2),
    ("CIO", 1),
    ("COO", 1),
    ("Chief Revenue Officer", 1),
    ("Co-Founder", 1),
    ("Owner", 1),
    ("President", 1),
    ("VP Sales", 3),
    ("Vice President of Engineering", 2),
    ("Senior Vice President / Operations", 1),
    ("vp of marketing", 1),
    ("Director of IT", 4),
    ("Head of Procurement", 3),
    ("Head-of-Growth", 1),
    ("Sales Director", 2),
    ("IT Manager", 5),
    ("Marketing Manager", 4),
    ("Team Lead - Support", 2),
    ("Sales Manager and Director", 1),
    ("Software Engineer", 6),
    ("Financial Analyst", 4),
    ("Account Executive", 3),
    ("Team Leader", 1),
    ("Leadership Coach", 1),
    ("Office Administrator", 3),
    ("Procurement Specialist", 3),
]
CONTACT_ROLES = [
    "Decision Maker",
    "Economic Buyer",
    "Technical Buyer",
    "Evaluator",
    "Influencer",
    "Executive Sponsor",
]
SALES_COST_CATEGORIES = ["salaries", "commissions", "tools", "overhead", "other"]
# accounts.country in v5 data: some accounts of the v4 countries move to other regions (the
# currency stays), a few are lower-case, unmapped (`ZZ`) or empty
EXTRA_COUNTRIES = ["BR", "MX", "JP", "SG", "IN", "NZ", "ZA", "AE", "SE", "PL"]
# marketing_spend.channel in v5 data: spelled as the lead sources (Social is a channel no lead
# or deal has as its source)
CHANNELS_V5 = ["Paid Search", "Event", "Inbound Web", "Social", "Partner"]
EVENT_TYPES = ["login", "session", "feature", "other"]
EVENT_RATE = np.array([0.05, 0.05, 0.045, 0.01])  # events per active user-day, by type
PRIORITIES = ["low", "normal", "high", "urgent"]
PRIORITY_P = [0.3, 0.45, 0.18, 0.07]
HOURS_TO_CLOSE = np.array([96.0, 48.0, 20.0, 6.0])  # median, by priority
