{#
    One row per lead_source × created_month with leads (sparse). A lead counts at every step it
    reached by the as-of date, even if it skipped one: converted implies sql and mql, sql
    implies sal and mql, sal (accepted_at) implies mql. Converted = converted_at or
    converted_opportunity_id present; won = the converted deal is won as of the as-of date.
    sals and its rates are null when no accepted lead has accepted_at (input without the v5
    column). See _activity__models.yml.
#}
with

as_of as (
    select {{ dbt.dateadd('day', 1, 'as_of_date') }} as next_day
    from {{ ref('int_as_of_date') }}
),

leads as (
    select
        lead_id,
        created_at,
        lead_source,
        mql_at,
        sql_at,
        converted_at,
        converted_opportunity_id,
        accepted_at
    from {{ ref('int_leads_accepted') }}
),

has_sal_data as (
    {#- 1 when any accepted lead has accepted_at (0: input without the v5 column) -#}
    select case when count(accepted_at) > 0 then 1 else 0 end as has_sal_data
    from leads
),

opportunities as (
    select opportunity_id, outcome
    from {{ ref('fct_opportunities') }}
),

leads_to_date as (
    {#- steps dated after the as-of date have not happened yet -#}
    select
        leads.lead_id,
        leads.created_at,
        leads.lead_source,
        case when leads.mql_at < as_of.next_day then leads.mql_at end as mql_at,
        case when leads.sql_at < as_of.next_day then leads.sql_at end as sql_at,
        case when leads.accepted_at < as_of.next_day then leads.accepted_at end as accepted_at,
        case when leads.converted_at < as_of.next_day then leads.converted_at end as converted_at,
        case
            when leads.converted_at is null or leads.converted_at < as_of.next_day
                then leads.converted_opportunity_id
        end as converted_opportunity_id
    from leads
    cross join as_of
    where leads.created_at < as_of.next_day
),

lead_steps as (
    select
        leads_to_date.lead_id,
        leads_to_date.created_at,
        leads_to_date.converted_at,
        coalesce(leads_to_date.lead_source, 'unknown') as lead_source,
        leads_to_date.converted_at is not null
        or leads_to_date.converted_opportunity_id is not null as is_converted,
        coalesce(opportunities.outcome = 'won', false) as is_won,
        has_sal_data.has_sal_data,
        leads_to_date.sql_at is not null
        or leads_to_date.converted_at is not null
        or leads_to_date.converted_opportunity_id is not null as is_sql,
        leads_to_date.accepted_at is not null
        or leads_to_date.sql_at is not null
        or leads_to_date.converted_at is not null
        or leads_to_date.converted_opportunity_id is not null as is_sal,
        leads_to_date.mql_at is not null
        or leads_to_date.accepted_at is not null
        or leads_to_date.sql_at is not null
        or leads_to_date.converted_at is not null
        or leads_to_date.converted_opportunity_id is not null as is_mql
    from leads_to_date
    cross join has_sal_data
    left join opportunities
        on leads_to_date.converted_opportunity_id = opportunities.opportunity_id
),

funnel as (
    select
        lead_source,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        count(*) as leads,
        count(case when is_mql then 1 end) as mqls,
        count(case when is_sql then 1 end) as sqls,
        count(case when is_sal then 1 end) as sals,
        max(has_sal_data) as has_sal_data,
        count(case when is_converted then 1 end) as converted,
        count(case when is_won then 1 end) as won,
        avg(
            case
                when converted_at is not null
                    then {{ crm_days_between('created_at', 'converted_at') }}
            end
        ) as avg_days_lead_to_opportunity
    from lead_steps
    group by 1, 2
),

final as (
    select
        lead_source,
        created_month,
        cast(leads as bigint) as leads,
        cast(mqls as bigint) as mqls,
        cast(sqls as bigint) as sqls,
        cast(converted as bigint) as converted,
        cast(won as bigint) as won,
        cast(mqls as {{ crm_double_type() }}) / nullif(leads, 0) as lead_to_mql,
        cast(sqls as {{ crm_double_type() }}) / nullif(mqls, 0) as mql_to_sql,
        cast(converted as {{ crm_double_type() }}) / nullif(sqls, 0) as sql_to_opportunity,
        cast(won as {{ crm_double_type() }}) / nullif(converted, 0) as opportunity_to_won,
        cast(avg_days_lead_to_opportunity as {{ crm_double_type() }})
            as avg_days_lead_to_opportunity,
        cast(converted as {{ crm_double_type() }}) / nullif(leads, 0) as lead_to_opportunity,
        case when has_sal_data = 1 then cast(sals as bigint) end as sals,
        case
            when has_sal_data = 1 then cast(sals as {{ crm_double_type() }}) / nullif(mqls, 0)
        end as mql_to_sal,
        case
            when has_sal_data = 1 then cast(sqls as {{ crm_double_type() }}) / nullif(sals, 0)
        end as sal_to_sql
    from funnel
)

select * from final
