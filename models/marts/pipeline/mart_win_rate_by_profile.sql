{#
    One row per industry × employee band × segment with at least one closed deal (sparse,
    all-time): win rates by ideal customer profile, with each account's current attributes.
    Deals count once by their final outcome; qualified-out deals are counted apart from lost
    ones and stay in the win rate's denominator. See _pipeline__customers__models.yml.
#}
with

opportunities as (
    select opportunity_id, account_id, segment, amount, days_to_close
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

outcome_details as (
    select opportunity_id, outcome_detail
    from {{ ref('int_opportunity_outcome_details') }}
),

accounts as (
    select account_id, industry, employee_count from {{ ref('dim_accounts') }}
),

profiled as (
    select
        coalesce(accounts.industry, 'unknown') as industry,
        {{ crm_employee_band('accounts.employee_count') }} as employee_band,
        opportunities.segment,
        outcome_details.outcome_detail,
        opportunities.amount,
        opportunities.days_to_close
    from opportunities
    inner join outcome_details
        on opportunities.opportunity_id = outcome_details.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
),

aggregated as (
    select
        industry,
        employee_band,
        segment,
        count(case when outcome_detail = 'won' then 1 end) as won_count,
        count(case when outcome_detail = 'lost' then 1 end) as lost_count,
        count(case when outcome_detail = 'qualified_out' then 1 end) as qualified_out_count,
        {{ crm_money_divide(
            'sum(case when outcome_detail = \'won\' then amount end)',
            'count(case when outcome_detail = \'won\' then amount end)'
        ) }} as avg_won_amount,
        avg(case when outcome_detail = 'won' then days_to_close end) as avg_days_to_close
    from profiled
    group by 1, 2, 3
),

final as (
    select
        industry,
        employee_band,
        segment,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(qualified_out_count as bigint) as qualified_out_count,
        cast(won_count as {{ crm_double_type() }})
        / nullif(won_count + lost_count + qualified_out_count, 0) as win_rate,
        avg_won_amount,
        cast(avg_days_to_close as {{ crm_double_type() }}) as avg_days_to_close
    from aggregated
)

select * from final
