{#
    One row per owner_id × period_month where the owner has a bookings quota (a targets row with
    metric bookings_amount) or bookings (a won deal by final closed_at). Quotas after the as-of
    month are kept, so next months' coverage shows; bookings there are 0.

    pipeline_coverage = open_pipeline_amount / coverage_remaining_amount, both measured at
    coverage_measured_at:
      - a past month at its start (state after history rows before the first day): the
        coverage the rep went into the month with; nothing was booked yet, so the remaining
        amount is the whole quota;
      - the as-of month and later months at the end of the as-of date (now), against
        remaining_to_quota.
    Open pipeline = the owner's deals open at that instant whose close_date (at that instant)
    falls in the month; deals already overdue then roll into the month being measured (past
    months and the as-of month, as in mart_forecast), never into later months.
#}
with

targets as (
    select user_id, period_month, target_value
    from {{ ref('int_targets_accepted') }}
    where
        metric = 'bookings_amount'
        and user_id is not null
),

opportunities as (
    select opportunity_id, owner_id, outcome, closed_at, amount
    from {{ ref('fct_opportunities') }}
),

opportunity_states as (
    select opportunity_id, changed_at, valid_to, amount, close_date
    from {{ ref('int_opportunity_states') }}
    where is_open
),

dim_users as (
    select user_id, team
    from {{ ref('dim_users') }}
),

as_of as (
    select
        as_of_date,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as end_of_as_of_date
    from {{ ref('int_as_of_date') }}
),

quotas as (
    select
        user_id as owner_id,
        cast({{ dbt.date_trunc('month', 'period_month') }} as date) as period_month,
        sum({{ crm_money(crm_amount_decimal('target_value')) }}) as quota
    from targets
    group by 1, 2
),

bookings as (
    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        count(*) as won_count,
        sum(amount) as bookings_amount
    from opportunities
    where outcome = 'won'
    group by 1, 2
),

owner_month_keys as (
    select owner_id, period_month from quotas
    union all
    select owner_id, period_month from bookings
),

owner_months as (
    select
        owner_month_keys.owner_id,
        owner_month_keys.period_month,
        case
            when owner_month_keys.period_month < as_of.as_of_month
                then cast(owner_month_keys.period_month as timestamp)
            else as_of.end_of_as_of_date
        end as coverage_measured_at
    from owner_month_keys
    cross join as_of
    group by 1, 2, 3
),

open_intervals as (
    {#-
        Each open state row's validity interval with its end spelled out: the current row of a
        deal is valid up to the end of the as-of date, the last instant. Two plain inequalities
        on stored columns let the join below run as a range join (IEJoin) instead of pairing
        every instant with every earlier row and filtering afterwards.
    #}
    select
        opportunity_states.opportunity_id,
        opportunity_states.changed_at,
        coalesce(opportunity_states.valid_to, as_of.end_of_as_of_date) as valid_until,
        opportunity_states.amount,
        opportunity_states.close_date
    from opportunity_states
    cross join as_of
    where opportunity_states.close_date is not null
),

measurement_instants as (
    select
        owner_months.coverage_measured_at,
        owner_months.coverage_measured_at = as_of.end_of_as_of_date as is_now,
        as_of.as_of_month
    from owner_months
    cross join as_of
    group by 1, 2, 3
),

open_at_instants as (
    {#-
        Each open state row at each measurement instant inside its validity interval, so a
        deal meets only the few instants of its open life (no owner-month x deal product).
    #}
    select
        measurement_instants.coverage_measured_at,
        measurement_instants.is_now,
        measurement_instants.as_of_month,
        opportunities.owner_id,
        open_intervals.amount,
        cast({{ dbt.date_trunc('month', 'open_intervals.close_date') }} as date) as close_month
    from measurement_instants
    inner join open_intervals
        on
            measurement_instants.coverage_measured_at > open_intervals.changed_at
            and measurement_instants.coverage_measured_at <= open_intervals.valid_until
    inner join opportunities
        on open_intervals.opportunity_id = opportunities.opportunity_id
),

open_pipeline_by_month as (
    {#-
        The month each deal's amount counts in at the instant: now, its close month, overdue
        deals rolled into the as-of month; at a past month's start, that month, for deals
        closing in it or already overdue (deals closing later count in no month then).
    #}
    select
        owner_id,
        coverage_measured_at,
        case
            when is_now and close_month < as_of_month then as_of_month
            when is_now then close_month
            when close_month <= cast(coverage_measured_at as date)
                then cast(coverage_measured_at as date)
        end as period_month,
        amount
    from open_at_instants
),

open_pipeline as (
    select
        owner_id,
        coverage_measured_at,
        period_month,
        sum(amount) as open_pipeline_amount
    from open_pipeline_by_month
    where period_month is not null
    group by 1, 2, 3
),

joined as (
    select
        owner_months.owner_id,
        owner_months.period_month,
        coalesce(dim_users.team, 'unknown') as team,
        coalesce(bookings.won_count, 0) as won_count,
        {{ crm_money('coalesce(bookings.bookings_amount, 0)') }} as bookings_amount,
        {{ crm_money('quotas.quota') }} as quota,
        owner_months.coverage_measured_at,
        {{ crm_money('coalesce(open_pipeline.open_pipeline_amount, 0)') }}
            as open_pipeline_amount,
        owner_months.coverage_measured_at = cast(owner_months.period_month as timestamp)
            as is_measured_at_month_start
    from owner_months
    left join quotas
        on
            owner_months.owner_id = quotas.owner_id
            and owner_months.period_month = quotas.period_month
    left join bookings
        on
            owner_months.owner_id = bookings.owner_id
            and owner_months.period_month = bookings.period_month
    left join open_pipeline
        on
            owner_months.owner_id = open_pipeline.owner_id
            and owner_months.coverage_measured_at = open_pipeline.coverage_measured_at
            and owner_months.period_month = open_pipeline.period_month
    left join dim_users
        on owner_months.owner_id = dim_users.user_id
),

with_remaining as (
    select
        *,
        case
            when quota is not null then greatest(quota - bookings_amount, 0)
        end as remaining_to_quota,
        case
            when quota is not null and is_measured_at_month_start then quota
            when quota is not null then greatest(quota - bookings_amount, 0)
        end as coverage_remaining_amount
    from joined
),

final as (
    select
        owner_id,
        period_month,
        team,
        cast(won_count as bigint) as won_count,
        bookings_amount,
        quota,
        cast(bookings_amount as {{ crm_double_type() }}) / nullif(quota, 0) as attainment,
        {{ crm_money('remaining_to_quota') }} as remaining_to_quota,
        coverage_measured_at,
        open_pipeline_amount,
        {{ crm_money('coverage_remaining_amount') }} as coverage_remaining_amount,
        cast(open_pipeline_amount as {{ crm_double_type() }}) / nullif(coverage_remaining_amount, 0)
            as pipeline_coverage
    from with_remaining
)

select * from final
