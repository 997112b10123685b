{#
    One row per deal: its current state (as of the as-of date) from its history, with the
    owner's team and the account's segment. See _core__opportunities__models.yml for each column.
#}
with

opportunities as (
    select
        opportunity_id,
        account_id,
        owner_id,
        presales_owner_id,
        opportunity_name,
        opportunity_type,
        lead_source,
        created_at,
        loss_reason
    from {{ ref('int_opportunities_accepted') }}
),

outcomes as (
    select * from {{ ref('int_opportunity_outcomes') }}
),

users as (
    select user_id, team
    from {{ ref('int_users_accepted') }}
),

accounts as (
    select account_id, segment
    from {{ ref('int_accounts_accepted') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.presales_owner_id,
        opportunities.opportunity_name,
        coalesce(users.team, 'unknown') as team,
        coalesce(accounts.segment, 'unknown') as segment,
        opportunities.opportunity_type,
        coalesce(opportunities.lead_source, 'unknown') as lead_source,
        opportunities.created_at,
        outcomes.closed_at,
        outcomes.outcome,
        outcomes.current_stage,
        outcomes.current_stage_order,
        outcomes.amount,
        outcomes.last_open_amount,
        outcomes.currency_code,
        outcomes.close_date,
        outcomes.close_date_push_count,
        outcomes.amount_change_count,
        outcomes.stage_visit_count,
        outcomes.reopen_count,
        case when outcomes.outcome = 'lost' then opportunities.loss_reason end as loss_reason,
        {{ crm_days_between('opportunities.created_at', 'outcomes.closed_at') }} as days_to_close,
        {{ crm_days_between(
            'opportunities.created_at',
            'coalesce(outcomes.closed_at, ' ~ dbt.dateadd('day', 1, 'cast(as_of.as_of_date as timestamp)') ~ ')'
        ) }} as age_days
    from opportunities
    inner join outcomes
        on opportunities.opportunity_id = outcomes.opportunity_id
    left join users
        on opportunities.owner_id = users.user_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    cross join as_of
),

final as (
    select
        opportunity_id,
        account_id,
        owner_id,
        presales_owner_id,
        opportunity_name,
        team,
        segment,
        opportunity_type,
        lead_source,
        created_at,
        closed_at,
        outcome,
        current_stage,
        current_stage_order,
        amount,
        {{ crm_amount_band('amount') }} as amount_band,
        last_open_amount,
        currency_code,
        days_to_close,
        age_days,
        {{ crm_age_band('age_days') }} as age_band,
        close_date,
        close_date_push_count,
        amount_change_count,
        stage_visit_count,
        reopen_count,
        loss_reason
    from joined
)

select * from final
