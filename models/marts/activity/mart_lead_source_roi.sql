{#
    One row per lead_source × period_month with spend, a lead, a deal created or a deal won
    (sparse): what each source costs and brings. Marketing spend goes to the lead source its
    channel names (trimmed, case-insensitive; of several spellings the smallest by code point),
    and to `unattributed` when no lead or deal up to the as-of date has that source, so a
    month's spend over all rows is mart_saas_kpis.marketing_spend. Spend columns are null when
    marketing_spend has no accepted row. See _activity__daily__models.yml.
#}
with

as_of as (
    select
        {{ dbt.dateadd('day', 1, 'as_of_date') }} as next_day,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
),

leads as (
    select created_at, lead_source
    from {{ ref('int_leads_accepted') }}
),

opportunities as (
    select lead_source, created_at, closed_at, outcome, amount
    from {{ ref('fct_opportunities') }}
),

marketing_spend as (
    select period_month, channel, spend
    from {{ ref('int_marketing_spend_accepted') }}
),

has_spend_data as (
    select count(*) > 0 as has_spend_data
    from marketing_spend
),

leads_to_date as (
    select
        coalesce(leads.lead_source, 'unknown') as lead_source,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as period_month
    from leads
    cross join as_of
    where leads.created_at < as_of.next_day
),

deals_to_date as (
    select
        opportunities.lead_source,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.outcome,
        opportunities.amount
    from opportunities
    cross join as_of
    where opportunities.created_at < as_of.next_day
),

source_spellings as (
    select lead_source from leads_to_date
    union
    select lead_source from deals_to_date
),

ranked_spellings as (
    {#- the channel key a spelling answers to; the smallest spelling of a key takes its spend -#}
    select
        lower(trim(lead_source)) as channel_key,
        lead_source,
        row_number() over (
            partition by lower(trim(lead_source))
            order by {{ crm_binary_text('lead_source') }}
        ) as spelling_rank
    from source_spellings
),

source_by_channel as (
    select channel_key, lead_source
    from ranked_spellings
    where spelling_rank = 1
),

spend_months as (
    select
        coalesce(source_by_channel.lead_source, 'unattributed') as lead_source,
        cast({{ dbt.date_trunc('month', 'marketing_spend.period_month') }} as date)
            as period_month,
        sum({{ crm_money(crm_amount_decimal('marketing_spend.spend')) }}) as spend
    from marketing_spend
    cross join as_of
    left join source_by_channel
        on lower(trim(marketing_spend.channel)) = source_by_channel.channel_key
    where
        cast({{ dbt.date_trunc('month', 'marketing_spend.period_month') }} as date)
        <= as_of.as_of_month
    group by 1, 2
),

lead_months as (
    select lead_source, period_month, count(*) as leads
    from leads_to_date
    group by 1, 2
),

created_months as (
    select
        lead_source,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as period_month,
        count(*) as opportunities
    from deals_to_date
    group by 1, 2
),

won_months as (
    select
        lead_source,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        count(*) as won_count,
        sum(amount) as bookings_amount
    from deals_to_date
    where outcome = 'won'
    group by 1, 2
),

source_months as (
    select lead_source, period_month from spend_months
    union
    select lead_source, period_month from lead_months
    union
    select lead_source, period_month from created_months
    union
    select lead_source, period_month from won_months
),

counts as (
    select
        source_months.lead_source,
        source_months.period_month,
        case
            when has_spend_data.has_spend_data then coalesce(spend_months.spend, 0)
        end as spend,
        coalesce(lead_months.leads, 0) as leads,
        coalesce(created_months.opportunities, 0) as opportunities,
        coalesce(won_months.won_count, 0) as won_count,
        coalesce(won_months.bookings_amount, 0) as bookings_amount
    from source_months
    cross join has_spend_data
    left join spend_months
        on
            source_months.lead_source = spend_months.lead_source
            and source_months.period_month = spend_months.period_month
    left join lead_months
        on
            source_months.lead_source = lead_months.lead_source
            and source_months.period_month = lead_months.period_month
    left join created_months
        on
            source_months.lead_source = created_months.lead_source
            and source_months.period_month = created_months.period_month
    left join won_months
        on
            source_months.lead_source = won_months.lead_source
            and source_months.period_month = won_months.period_month
),

final as (
    select
        lead_source,
        period_month,
        {{ crm_money('spend') }} as spend,
        cast(leads as bigint) as leads,
        {{ crm_money_divide('spend', 'leads') }} as cost_per_lead,
        cast(opportunities as bigint) as opportunities,
        cast(won_count as bigint) as won_count,
        {{ crm_money('bookings_amount') }} as bookings_amount,
        {{ crm_money_divide('spend', 'won_count') }} as cost_per_won_deal,
        cast(bookings_amount as {{ crm_double_type() }})
        / nullif(cast(spend as {{ crm_double_type() }}), 0) as bookings_per_spend
    from counts
)

select * from final
