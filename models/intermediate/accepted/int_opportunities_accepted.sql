{#- Accepted opportunities rows: the only place a model filters out rejected rows. -#}
select
    opportunity_id,
    account_id,
    owner_id,
    presales_owner_id,
    opportunity_name,
    opportunity_type,
    lead_source,
    created_at,
    close_date,
    amount,
    currency_code,
    stage_name,
    is_closed,
    is_won,
    loss_reason,
    closed_at,
    -- raw text of the values int_opportunity_findings compares with the stage and history
    raw_stage_name,
    raw_amount,
    raw_close_date,
    raw_is_closed,
    raw_is_won,
    raw_closed_at
from {{ ref('int_opportunities_validated') }}
where reject_reason is null
