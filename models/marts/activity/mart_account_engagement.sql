{#
    One row per account × period_month from the account's first activity, deal or subscription
    to the as-of month, leaving out months with no activity, no deal open at month end and no
    MRR: "monthly conversations per client". Deal states come from int_opportunity_states
    (open spans joined to the months they overlap, never deal × day). See
    _activity__engagement__models.yml.
#}
with

as_of as (
    select as_of_date, first_data_month
    from {{ ref('int_as_of_date') }}
),

activities as (
    select account_id, user_id, activity_at, is_conversation
    from {{ ref('int_activities_enriched') }}
    where account_id is not null
),

opportunities as (
    select opportunity_id, account_id from {{ ref('fct_opportunities') }}
),

states as (
    select opportunity_id, changed_at, valid_to
    from {{ ref('int_opportunity_states') }}
    where is_open
),

mrr as (
    select account_id, period_month, mrr
    from {{ ref('fct_mrr') }}
    where mrr > 0
),

months as (
    {{ crm_spine_months('as_of', 'as_of.first_data_month', 'as_of.as_of_date') }}
),

activity_months as (
    select
        account_id,
        cast({{ dbt.date_trunc('month', 'activity_at') }} as date) as period_month,
        count(case when is_conversation then 1 end) as conversations,
        count(*) as activity_count,
        count(distinct user_id) as reps_engaged
    from activities
    group by 1, 2
),

open_at_month_end as (
    {#- an open state row holds at the month end when it starts before the next month and
        ends on or after it (or never) -#}
    select
        opportunities.account_id,
        months.period_month,
        count(distinct states.opportunity_id) as open_deal_count
    from states
    inner join opportunities
        on states.opportunity_id = opportunities.opportunity_id
    inner join months
        on
            states.changed_at < months.next_month_start
            and (states.valid_to >= months.next_month_start or states.valid_to is null)
    group by 1, 2
),

mrr_months as (
    select mrr.account_id, mrr.period_month, mrr.mrr
    from mrr
    inner join months
        on mrr.period_month = months.period_month
),

account_months as (
    select account_id, period_month from activity_months
    union
    select account_id, period_month from open_at_month_end
    union
    select account_id, period_month from mrr_months
),

final as (
    select
        account_months.account_id,
        account_months.period_month,
        cast(coalesce(activity_months.conversations, 0) as bigint) as conversations,
        cast(coalesce(activity_months.activity_count, 0) as bigint) as activity_count,
        cast(coalesce(activity_months.reps_engaged, 0) as bigint) as reps_engaged,
        cast(coalesce(open_at_month_end.open_deal_count, 0) as bigint) as open_deal_count,
        {{ crm_money('coalesce(mrr_months.mrr, 0)') }} as mrr
    from account_months
    left join activity_months
        on
            account_months.account_id = activity_months.account_id
            and account_months.period_month = activity_months.period_month
    left join open_at_month_end
        on
            account_months.account_id = open_at_month_end.account_id
            and account_months.period_month = open_at_month_end.period_month
    left join mrr_months
        on
            account_months.account_id = mrr_months.account_id
            and account_months.period_month = mrr_months.period_month
)

select * from final
