{#
    One row per user × period_month in which the user logged any activity or sourced a deal
    (sparse). Ratios are activity per outcome; null when the divisor is zero. deals_won counts
    the month's sourced deals that are won (by sourcing month, a cohort), so every ratio in a
    row describes the same deals. See _activity__models.yml.
#}
with

user_months as (
    select
        user_id,
        period_month,
        activity_count,
        dials,
        connects,
        meetings,
        opportunities_sourced,
        sourced_deals_won,
        emails,
        responses,
        meetings_booked
    from {{ ref('int_user_month_activity') }}
),

final as (
    select
        user_id,
        period_month,
        dials,
        connects,
        meetings,
        opportunities_sourced,
        sourced_deals_won as deals_won,
        cast(dials as {{ crm_double_type() }}) / nullif(connects, 0) as dials_per_connect,
        cast(dials as {{ crm_double_type() }})
        / nullif(opportunities_sourced, 0) as dials_per_opportunity,
        cast(opportunities_sourced as {{ crm_double_type() }}) / nullif(sourced_deals_won, 0)
            as opportunities_per_deal,
        cast(dials as {{ crm_double_type() }}) / nullif(sourced_deals_won, 0) as dials_per_deal,
        activity_count,
        emails,
        responses,
        cast(responses as {{ crm_double_type() }}) / nullif(emails, 0) as response_rate,
        meetings_booked,
        cast(connects as {{ crm_double_type() }}) / nullif(meetings, 0) as connects_per_meeting,
        cast(meetings as {{ crm_double_type() }})
        / nullif(opportunities_sourced, 0) as meetings_per_opportunity
    from user_months
    where activity_count > 0 or opportunities_sourced > 0
)

select * from final
