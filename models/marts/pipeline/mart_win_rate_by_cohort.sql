{#
    One row per created_month × segment with at least one deal created: what became of the
    deals created in the month, as of the as-of date (each deal once, by its final outcome).
#}
with

opportunities as (
    select opportunity_id, segment, outcome, created_at, amount
    from {{ ref('fct_opportunities') }}
),

cohorts as (
    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        coalesce(segment, 'unknown') as segment,
        count(*) as created_count,
        count(case when outcome = 'won' then 1 end) as won_count,
        count(case when outcome = 'lost' then 1 end) as lost_count,
        count(case when outcome = 'open' then 1 end) as open_count,
        coalesce(sum(case when outcome = 'won' then amount end), 0) as won_amount
    from opportunities
    group by 1, 2
),

final as (
    select
        created_month,
        segment,
        cast(created_count as bigint) as created_count,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(open_count as bigint) as open_count,
        cast(won_count as {{ crm_double_type() }}) / nullif(won_count + lost_count, 0) as win_rate,
        {{ crm_money('won_amount') }} as won_amount
    from cohorts
)

select * from final
