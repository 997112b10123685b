{#
    One row per period_month × segment × owner_id × lead_source × opportunity_type with at
    least one deal created: where the pipeline comes from. The month and amount are those of
    the deal's creation row (its first history row, change_kind `created`); won_*_to_date are
    the deals of the row that are won as of the as-of date, at their final amount.
#}
with

opportunities as (
    select opportunity_id, segment, owner_id, lead_source, opportunity_type, outcome, amount
    from {{ ref('fct_opportunities') }}
),

opportunity_changes as (
    select opportunity_id, changed_at, new_amount
    from {{ ref('fct_opportunity_changes') }}
    where change_kind = 'created'
),

created_deals as (
    select
        cast({{ dbt.date_trunc('month', 'opportunity_changes.changed_at') }} as date)
            as period_month,
        coalesce(opportunities.segment, 'unknown') as segment,
        opportunities.owner_id,
        coalesce(opportunities.lead_source, 'unknown') as lead_source,
        coalesce(opportunities.opportunity_type, 'unknown') as opportunity_type,
        opportunity_changes.new_amount as created_amount,
        opportunities.outcome,
        opportunities.amount
    from opportunity_changes
    inner join opportunities
        on opportunity_changes.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        period_month,
        segment,
        owner_id,
        lead_source,
        opportunity_type,
        cast(count(*) as bigint) as created_count,
        {{ crm_money('coalesce(sum(created_amount), 0)') }} as created_amount,
        cast(count(case when outcome = 'won' then 1 end) as bigint) as won_count_to_date,
        {{ crm_money(
            "coalesce(sum(case when outcome = 'won' then amount end), 0)"
        ) }} as won_amount_to_date
    from created_deals
    group by 1, 2, 3, 4, 5
)

select * from final
