{#
    One row per user × period_month × metric that has a user-level target (company-level
    target rows, user_id empty, are left out), up to the as-of month: the actual of the metric,
    the target and attainment = actual / target (null when the target is zero).
    See _activity__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

targets as (
    select user_id, period_month, metric, target_value
    from {{ ref('int_targets_accepted') }}
    where
        user_id is not null
        and metric in (
            'bookings_amount',
            'deals_won',
            'dials',
            'connects',
            'meetings',
            'opportunities_sourced'
        )
),

-- the actual of each target metric, in the order of the metric list above
user_months as (
    select
        user_id,
        period_month,
        owned_bookings_amount,
        owned_deals_won,
        dials,
        connects,
        meetings,
        opportunities_sourced
    from {{ ref('int_user_month_activity') }}
),

targets_to_date as (
    select targets.*
    from targets
    cross join as_of
    where targets.period_month <= as_of.as_of_date
),

joined as (
    select
        targets_to_date.user_id,
        targets_to_date.period_month,
        targets_to_date.metric,
        case targets_to_date.metric
            when 'bookings_amount'
                then cast(user_months.owned_bookings_amount as {{ crm_double_type() }})
            when 'deals_won' then cast(user_months.owned_deals_won as {{ crm_double_type() }})
            when 'dials' then cast(user_months.dials as {{ crm_double_type() }})
            when 'connects' then cast(user_months.connects as {{ crm_double_type() }})
            when 'meetings' then cast(user_months.meetings as {{ crm_double_type() }})
            when 'opportunities_sourced'
                then cast(user_months.opportunities_sourced as {{ crm_double_type() }})
        end as actual,
        cast(targets_to_date.target_value as {{ crm_double_type() }}) as target  -- noqa: RF04
    from targets_to_date
    left join user_months
        on
            targets_to_date.user_id = user_months.user_id
            and targets_to_date.period_month = user_months.period_month
),

final as (
    select
        user_id,
        period_month,
        metric,
        coalesce(actual, 0) as actual,
        target,
        coalesce(actual, 0) / nullif(target, 0) as attainment
    from joined
)

select * from final
