{{ config(materialized="table") }}

{#
    One row per account × month from the account's first paying month to the month after its
    last paying month (or to the as-of month), with its MRR and change category: the rules of
    the public dbt mrr-playbook, as written in marts/core/_core__mrr__models.yml (fct_mrr).

    A subscription is active in a month when start_date <= the month's first day < end_date
    (end exclusive, null = still active), i.e. from the first month starting on or after
    start_date until the first month starting on or after end_date. Built from events, not
    from an account × month explosion over all time: each subscription adds its MRR in its
    first active month and removes it in its first inactive month; a running sum of those
    deltas gives the account's MRR from each change month until the next one (overlapping
    subscriptions add up). Only the paying periods are spread over their months; a period at 0
    after a paying one gives one churn row (its first month) and the 0 months that follow it,
    before a reactivation, are omitted. Months after the as-of month are not reported.

    A table, not a view: fct_mrr and two data tests read it, and as a view each re-ran the month
    spread (on Spark about 10 s each on a 150-deal folder).
#}
with

as_of as (
    select
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
    where as_of_date is not null
),

subscriptions as (
    select account_id, start_date, end_date, mrr_amount
    from {{ ref('int_subscriptions_converted') }}
),

{# The first month whose first day is on or after a date (the date's month when a 1st). #}
{%- set first_month_from = "cast(" ~ dbt.dateadd(
    'month', 1, dbt.date_trunc('month', dbt.dateadd('day', -1, '{date}'))
) ~ " as date)" %}

active_ranges as (
    select
        account_id,
        {{ first_month_from | replace('{date}', 'start_date') }} as active_from_month,
        case
            when end_date is not null then {{ first_month_from | replace('{date}', 'end_date') }}
        end as active_until_month,
        mrr_amount
    from subscriptions
),

non_empty_ranges as (
    select *
    from active_ranges
    where active_until_month is null or active_until_month > active_from_month
),

mrr_events as (
    select
        account_id,
        active_from_month as period_month,
        mrr_amount as mrr_delta
    from non_empty_ranges
    union all
    select
        account_id,
        active_until_month as period_month,
        -mrr_amount as mrr_delta
    from non_empty_ranges
    where active_until_month is not null
),

deltas_by_month as (
    select
        account_id,
        period_month,
        sum(mrr_delta) as mrr_delta
    from mrr_events
    group by 1, 2
),

levels as (
    select
        account_id,
        period_month,
        sum(mrr_delta) over (
            partition by account_id
            order by period_month
            rows between unbounded preceding and current row
        ) as mrr
    from deltas_by_month
),

levels_with_previous as (
    select
        account_id,
        period_month,
        mrr,
        lag(mrr) over (partition by account_id order by period_month) as previous_level
    from levels
),

{# Keep the months where the level really changes (drops leading zero levels too). #}
mrr_periods as (
    select
        account_id,
        period_month as valid_from_month,
        lead(period_month) over (
            partition by account_id order by period_month
        ) as valid_until_month,
        mrr
    from levels_with_previous
    where mrr <> coalesce(previous_level, 0)
),

month_bounds as (
    select
        min(mrr_periods.valid_from_month) as first_month,
        min(as_of.as_of_month) as as_of_month
    from mrr_periods
    cross join as_of
),

months as (
    {{ crm_spine_months('month_bounds', 'month_bounds.first_month', 'month_bounds.as_of_month') }}
),

paying_months as (
    select
        mrr_periods.account_id,
        months.period_month,
        mrr_periods.mrr
    from mrr_periods
    inner join months
        on
            mrr_periods.valid_from_month <= months.period_month
            and (
                mrr_periods.valid_until_month > months.period_month
                or mrr_periods.valid_until_month is null
            )
    where mrr_periods.mrr > 0
),

churn_months as (
    select
        mrr_periods.account_id,
        mrr_periods.valid_from_month as period_month,
        mrr_periods.mrr
    from mrr_periods
    cross join as_of
    where
        mrr_periods.mrr = 0
        and mrr_periods.valid_from_month <= as_of.as_of_month
),

account_months as (
    select account_id, period_month, mrr from paying_months
    union all
    select account_id, period_month, mrr from churn_months
),

with_previous as (
    select
        account_id,
        period_month,
        mrr,
        coalesce(
            lag(mrr) over (partition by account_id order by period_month), 0
        ) as previous_mrr,
        row_number() over (
            partition by account_id order by period_month
        ) as account_month_number
    from account_months
),

categorised as (
    select
        account_id,
        period_month,
        {{ crm_money('mrr') }} as mrr,
        {{ crm_money('previous_mrr') }} as previous_mrr,
        {{ crm_money('mrr - previous_mrr') }} as mrr_change,
        case
            when previous_mrr = 0 and account_month_number = 1 then 'new'
            when previous_mrr = 0 then 'reactivation'
            when mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'retained'
        end as change_category
    from with_previous
)

select * from categorised
