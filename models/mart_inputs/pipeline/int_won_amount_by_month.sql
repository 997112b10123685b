{#
    One row per month in which a deal was won (by its final closed_at): the won amount in the
    reporting currency. What the forecast marts compare the forecast with.
    See _pipeline__models.yml.
#}
with

won_opportunities as (
    select closed_at, amount
    from {{ ref('fct_opportunities') }}
    where outcome = 'won'
),

won_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        cast(sum(amount) as decimal(18, 2)) as won_amount
    from won_opportunities
    group by 1
)

select * from won_by_month
