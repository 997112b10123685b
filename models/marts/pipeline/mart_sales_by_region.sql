{#
    One row per country × period_month with at least one deal created or closed (sparse):
    pipeline created and results by the deal's account's current country and its region
    (macro crm_region, var region_by_country). Created columns count deals by created_at month
    with the creation row's amount (as mart_pipeline_created); won, lost and bookings count
    deals by their final outcome and closed_at month. See _pipeline__region__models.yml.
#}
with

as_of as (
    select
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as end_of_as_of_date
    from {{ ref('int_as_of_date') }}
),

opportunities as (
    select opportunity_id, account_id, created_at, closed_at, outcome, amount
    from {{ ref('fct_opportunities') }}
),

creation_rows as (
    select opportunity_id, new_amount as created_amount
    from {{ ref('fct_opportunity_changes') }}
    where change_kind = 'created'
),

accounts as (
    select account_id, country
    from {{ ref('dim_accounts') }}
),

deals as (
    select
        opportunities.opportunity_id,
        coalesce(
            upper(nullif(trim(accounts.country), '')), 'unknown'
        ) as country,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.outcome,
        opportunities.amount,
        creation_rows.created_amount
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join creation_rows
        on opportunities.opportunity_id = creation_rows.opportunity_id
),

{# Events after the as-of date have not happened yet. #}
created_by_month as (
    select
        deals.country,
        cast({{ dbt.date_trunc('month', 'deals.created_at') }} as date) as period_month,
        count(*) as created_count,
        sum(deals.created_amount) as created_amount
    from deals
    cross join as_of
    where deals.created_at < as_of.end_of_as_of_date
    group by 1, 2
),

closed_by_month as (
    select
        deals.country,
        cast({{ dbt.date_trunc('month', 'deals.closed_at') }} as date) as period_month,
        count(case when deals.outcome = 'won' then 1 end) as won_count,
        count(case when deals.outcome = 'lost' then 1 end) as lost_count,
        sum(case when deals.outcome = 'won' then deals.amount end) as bookings_amount
    from deals
    cross join as_of
    where
        deals.outcome in ('won', 'lost')
        and deals.closed_at < as_of.end_of_as_of_date
    group by 1, 2
),

country_months as (
    select country, period_month from created_by_month
    union
    select country, period_month from closed_by_month
),

final as (
    select
        country_months.country,
        country_months.period_month,
        {{ crm_region('country_months.country') }} as region,
        cast(coalesce(created_by_month.created_count, 0) as bigint) as created_count,
        {{ crm_money('coalesce(created_by_month.created_amount, 0)') }} as created_amount,
        cast(coalesce(closed_by_month.won_count, 0) as bigint) as won_count,
        cast(coalesce(closed_by_month.lost_count, 0) as bigint) as lost_count,
        cast(closed_by_month.won_count as {{ crm_double_type() }})
        / nullif(closed_by_month.won_count + closed_by_month.lost_count, 0) as win_rate,
        {{ crm_money('coalesce(closed_by_month.bookings_amount, 0)') }} as bookings_amount
    from country_months
    left join created_by_month
        on
            country_months.country = created_by_month.country
            and country_months.period_month = created_by_month.period_month
    left join closed_by_month
        on
            country_months.country = closed_by_month.country
            and country_months.period_month = closed_by_month.period_month
)

select * from final
