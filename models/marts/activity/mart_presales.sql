{#
    One row per SE × period_month (sparse) in which the SE logged activity, supported an open
    deal or had a deal won. SEs are users with role SE and anyone named presales owner on a
    deal (int_presales_users). Deal states at an instant come from int_opportunity_states: a state row holds on
    [changed_at, valid_to). Deal × month pairs are only formed for open spans of deals with a
    presales owner, never deal × day. See _activity__presales__models.yml.
#}
with

as_of as (
    select as_of_date, first_data_month
    from {{ ref('int_as_of_date') }}
),

presales_users as (
    select se_user_id from {{ ref('int_presales_users') }}
),

opportunities as (
    select opportunity_id, owner_id, presales_owner_id, outcome, closed_at, amount
    from {{ ref('fct_opportunities') }}
    where presales_owner_id is not null
),

states as (
    select opportunity_id, changed_at, valid_to, is_open, amount
    from {{ ref('int_opportunity_states') }}
),

activities as (
    select user_id, activity_at, duration_minutes
    from {{ ref('fct_activities') }}
),

line_items as (
    select opportunity_id, product_id
    from {{ ref('int_opportunity_line_items_accepted') }}
),

months as (
    {{ crm_spine_months('as_of', 'as_of.first_data_month', 'as_of.as_of_date') }}
),

open_spans as (
    select
        opportunities.presales_owner_id as se_user_id,
        opportunities.opportunity_id,
        opportunities.owner_id,
        states.changed_at,
        states.valid_to,
        states.amount
    from states
    inner join opportunities
        on states.opportunity_id = opportunities.opportunity_id
    where states.is_open
),

open_span_months as (
    {#- a span is active in a month when it overlaps [month start, next month start) -#}
    select
        open_spans.se_user_id,
        open_spans.opportunity_id,
        open_spans.owner_id,
        open_spans.amount,
        months.period_month,
        open_spans.valid_to is null
        or open_spans.valid_to >= months.next_month_start as is_open_at_month_end
    from open_spans
    inner join months
        on
            open_spans.changed_at < months.next_month_start
            and (open_spans.valid_to > months.period_month or open_spans.valid_to is null)
),

support_months as (
    select
        se_user_id,
        period_month,
        count(distinct owner_id) as supported_ae_count,
        count(distinct case when is_open_at_month_end then opportunity_id end) as open_count,
        sum(case when is_open_at_month_end then amount end) as open_amount
    from open_span_months
    group by 1, 2
),

hours_months as (
    select
        activities.user_id as se_user_id,
        cast({{ dbt.date_trunc('month', 'activities.activity_at') }} as date) as period_month,
        coalesce(sum(activities.duration_minutes), 0) / 60.0 as hours_logged
    from activities
    inner join presales_users
        on activities.user_id = presales_users.se_user_id
    cross join as_of
    where activities.activity_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
    group by 1, 2
),

won_deal_products as (
    select
        opportunities.opportunity_id,
        count(distinct line_items.product_id) as product_count
    from opportunities
    left join line_items
        on opportunities.opportunity_id = line_items.opportunity_id
    where opportunities.outcome = 'won'
    group by 1
),

won_months as (
    select
        opportunities.presales_owner_id as se_user_id,
        cast({{ dbt.date_trunc('month', 'opportunities.closed_at') }} as date) as period_month,
        count(*) as won_deal_count,
        sum(opportunities.amount) as won_amount,
        sum(won_deal_products.product_count) as won_product_count
    from opportunities
    inner join won_deal_products
        on opportunities.opportunity_id = won_deal_products.opportunity_id
    group by 1, 2
),

se_months as (
    select se_user_id, period_month from support_months
    union
    select se_user_id, period_month from hours_months
    union
    select se_user_id, period_month from won_months
),

joined as (
    select
        se_months.se_user_id,
        se_months.period_month,
        coalesce(support_months.supported_ae_count, 0) as supported_ae_count,
        coalesce(support_months.open_count, 0) as open_count,
        coalesce(support_months.open_amount, 0) as open_amount,
        coalesce(hours_months.hours_logged, 0) as hours_logged,
        coalesce(won_months.won_deal_count, 0) as won_deal_count,
        coalesce(won_months.won_amount, 0) as won_amount,
        coalesce(won_months.won_product_count, 0) as won_product_count
    from se_months
    left join support_months
        on
            se_months.se_user_id = support_months.se_user_id
            and se_months.period_month = support_months.period_month
    left join hours_months
        on
            se_months.se_user_id = hours_months.se_user_id
            and se_months.period_month = hours_months.period_month
    left join won_months
        on
            se_months.se_user_id = won_months.se_user_id
            and se_months.period_month = won_months.period_month
),

final as (
    select
        se_user_id,
        period_month,
        cast(supported_ae_count as bigint) as supported_ae_count,
        cast(open_count as bigint) as open_count,
        {{ crm_money('open_amount') }} as open_amount,
        cast(hours_logged as {{ crm_double_type() }}) as hours_logged,
        cast(hours_logged as {{ crm_double_type() }})
        / nullif({{ var('standard_monthly_hours') }}, 0) as utilization,
        cast(won_deal_count as bigint) as won_deal_count,
        cast(hours_logged as {{ crm_double_type() }})
        / nullif(won_deal_count, 0) as hours_per_won_deal,
        cast(won_amount as {{ crm_double_type() }}) / nullif(hours_logged, 0) as bookings_per_hour,
        cast(won_product_count as {{ crm_double_type() }})
        / nullif(won_deal_count, 0) as products_per_won_deal,
        {{ crm_money('won_amount') }} as won_amount
    from joined
)

select * from final
