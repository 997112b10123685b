{#
    Findings on accepted deals whose `opportunities` row disagrees with the stage definition or
    with the deal's history (which wins, per the raw contract). One row per deal × column:
      flag_disagrees_with_stage  raw is_closed / is_won differ from the flags of the row's stage
      disagrees_with_history     stage_name, amount or close_date differ from the last history
                                 row (amount compared in the deal's currency), or raw closed_at
                                 differs from the changed_at of the last transition into a
                                 closed stage (or is set on an open deal)
    Deals without history rows (their synthetic row is the opportunities row) cannot disagree.
#}
with

opportunities as (
    select
        opportunity_id,
        stage_name,
        amount,
        close_date,
        is_closed,
        is_won,
        closed_at,
        raw_stage_name,
        raw_amount,
        raw_close_date,
        raw_is_closed,
        raw_is_won,
        raw_closed_at
    from {{ ref('int_opportunities_accepted') }}
),

stages as (
    select stage_name, is_closed, is_won
    from {{ ref('int_stages_accepted') }}
),

outcomes as (
    select opportunity_id, current_stage, amount_local, close_date, closed_at
    from {{ ref('int_opportunity_outcomes') }}
),

with_history as (
    select distinct opportunity_id
    from {{ ref('int_opportunity_states') }}
    where not is_synthetic
),

compared as (
    select
        opportunities.*,
        stages.is_closed as stage_is_closed,
        stages.is_won as stage_is_won,
        outcomes.current_stage as history_stage_name,
        outcomes.amount_local as history_amount,
        outcomes.close_date as history_close_date,
        outcomes.closed_at as history_closed_at,
        with_history.opportunity_id is not null as has_history
    from opportunities
    inner join stages
        on opportunities.stage_name = stages.stage_name
    left join outcomes
        on opportunities.opportunity_id = outcomes.opportunity_id
    left join with_history
        on opportunities.opportunity_id = with_history.opportunity_id
),

findings as (
    select
        opportunity_id,
        'is_closed' as column_name,
        'flag_disagrees_with_stage' as finding,
        raw_is_closed as raw_value
    from compared
    where
        is_closed is not null and is_closed <> stage_is_closed
    union all
    select
        opportunity_id,
        'is_won' as column_name,
        'flag_disagrees_with_stage' as finding,
        raw_is_won as raw_value
    from compared
    where
        is_won is not null and is_won <> stage_is_won
    union all
    select
        opportunity_id,
        'stage_name' as column_name,
        'disagrees_with_history' as finding,
        raw_stage_name as raw_value
    from compared
    where
        has_history and stage_name <> history_stage_name
    union all
    select
        opportunity_id,
        'amount' as column_name,
        'disagrees_with_history' as finding,
        raw_amount as raw_value
    from compared
    where
        has_history
        and (
            {{ crm_money(crm_amount_decimal("amount")) }}
            <> {{ crm_money(crm_amount_decimal("history_amount")) }}
            or (amount is null and history_amount is not null)
            or (amount is not null and history_amount is null)
        )
    union all
    select
        opportunity_id,
        'close_date' as column_name,
        'disagrees_with_history' as finding,
        raw_close_date as raw_value
    from compared
    where
        has_history and close_date <> history_close_date
    union all
    select
        opportunity_id,
        'closed_at' as column_name,
        'disagrees_with_history' as finding,
        raw_closed_at as raw_value
    from compared
    where
        has_history
        and closed_at is not null
        and (history_closed_at is null or closed_at <> history_closed_at)
),

final as (
    select
        'opportunities' as table_name,
        opportunity_id as row_key,
        column_name,
        finding,
        raw_value
    from findings
)

select * from final
