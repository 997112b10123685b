{#- Accepted leads rows: the only place a model filters out rejected rows. -#}
select
    lead_id,
    created_at,
    lead_source,
    owner_id,
    status,
    mql_at,
    sql_at,
    converted_at,
    converted_opportunity_id,
    converted_account_id,
    disqualified_at,
    disqualify_reason
from {{ ref('int_leads_validated') }}
where reject_reason is null
