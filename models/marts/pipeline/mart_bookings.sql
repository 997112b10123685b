{#
    One row per owner_id × period_month (of the final closed_at) × opportunity_type with at
    least one won deal. bookings_amount is the won deals' final amount in the reporting
    currency. months_since_hire is the owner's tenure at period_month (calendar-month boundaries
    from hired_on; 0 in the hire month), null when hired_on is unknown or later.
#}
with

opportunities as (
    select opportunity_id, owner_id, team, opportunity_type, closed_at, amount
    from {{ ref('fct_opportunities') }}
    where outcome = 'won'
),

dim_users as (
    select user_id, hired_on
    from {{ ref('dim_users') }}
),

aggregated as (
    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        coalesce(opportunity_type, 'unknown') as opportunity_type,
        coalesce(team, 'unknown') as team,
        count(*) as won_count,
        coalesce(sum(amount), 0) as bookings_amount
    from opportunities
    group by 1, 2, 3, 4
),

final as (
    select
        aggregated.owner_id,
        aggregated.period_month,
        aggregated.opportunity_type,
        aggregated.team,
        cast(aggregated.won_count as bigint) as won_count,
        {{ crm_money('aggregated.bookings_amount') }} as bookings_amount,
        {{ crm_money_divide('aggregated.bookings_amount', 'aggregated.won_count') }}
            as avg_deal_size,
        case
            when dim_users.hired_on < {{ dbt.dateadd('month', 1, 'aggregated.period_month') }}
                then {{ crm_months_between('dim_users.hired_on', 'aggregated.period_month') }}
        end as months_since_hire
    from aggregated
    left join dim_users
        on aggregated.owner_id = dim_users.user_id
)

select * from final
