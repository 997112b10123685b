"""Importers: map a CRM's own export into the raw contract's `<table>.csv` files.

- `import_salesforce` (salesforce.py): Salesforce object exports (Opportunity, OpportunityHistory,
  Account, User, ... with Salesforce's column names).
- `import_hubspot` (hubspot.py): HubSpot deals, dealstage property history, companies, owners,
  engagements and the pipelines API response.
- `import_pipeline_csv` (pipeline_csv.py): one flat file of deals (Maven's sample by default).

Each writes RAW_DIR/<table>.csv plus import_notes.md / import_notes.json (inferences, rows that
could not be mapped); build the result with `crm-metrics build --raw-dir RAW_DIR`.
"""

from crm_metrics.importers.common import ImportResult
from crm_metrics.importers.hubspot import import_hubspot
from crm_metrics.importers.pipeline_csv import import_pipeline_csv, load_mapping
from crm_metrics.importers.salesforce import import_salesforce

__all__ = [
    "ImportResult",
    "import_hubspot",
    "import_pipeline_csv",
    "import_salesforce",
    "load_mapping",
]
