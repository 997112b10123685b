{#
    One row per persona with a lead or a closed deal (sparse), all-time up to the as-of date:
    how leads convert and deals close by the buyer's job title. Leads by their own title;
    closed deals by the title of their primary contact (the lowest contact_id among the deal's
    roles with is_primary, else among all its roles, compared by code point). Personas come
    from macro crm_persona (var persona_rules). The deal columns are null when
    opportunity_contact_roles has no accepted row (input without the v5 table). See
    _activity__daily__models.yml.
#}
with

as_of as (
    select
        as_of_date,
        {{ dbt.dateadd('day', 1, 'as_of_date') }} as next_day
    from {{ ref('int_as_of_date') }}
),

leads as (
    select created_at, title, converted_at, converted_opportunity_id
    from {{ ref('int_leads_accepted') }}
),

opportunities as (
    select opportunity_id, outcome, amount
    from {{ ref('fct_opportunities') }}
),

contact_roles as (
    select opportunity_id, contact_id, is_primary
    from {{ ref('int_opportunity_contact_roles_accepted') }}
),

contacts as (
    select contact_id, title
    from {{ ref('int_contacts_accepted') }}
),

has_role_data as (
    select count(*) > 0 as has_role_data
    from contact_roles
),

lead_personas as (
    {#- converted as mart_lead_funnel counts it: a conversion dated after the as-of date has not
        happened; a converted deal without converted_at counts -#}
    select
        {{ crm_persona(crm_title_words('leads.title')) }} as persona,
        case
            when leads.converted_at < as_of.next_day then 1
            when leads.converted_at is null and leads.converted_opportunity_id is not null then 1
            else 0
        end as is_converted
    from leads
    cross join as_of
    where leads.created_at < as_of.next_day
),

lead_counts as (
    select
        persona,
        count(*) as leads,
        sum(is_converted) as converted_leads
    from lead_personas
    group by 1
),

ranked_roles as (
    select
        opportunity_id,
        contact_id,
        row_number() over (
            partition by opportunity_id
            order by
                case when is_primary then 0 else 1 end,
                {{ crm_binary_text('contact_id') }}
        ) as role_rank
    from contact_roles
),

primary_contacts as (
    {#- the lowest contact_id among the primary roles, else among all roles -#}
    select opportunity_id, contact_id
    from ranked_roles
    where role_rank = 1
),

closed_deals as (
    select
        opportunities.outcome,
        opportunities.amount,
        {{ crm_persona(crm_title_words('contacts.title')) }} as persona
    from opportunities
    left join primary_contacts
        on opportunities.opportunity_id = primary_contacts.opportunity_id
    left join contacts
        on primary_contacts.contact_id = contacts.contact_id
    where opportunities.outcome in ('won', 'lost')
),

deal_counts as (
    select
        closed_deals.persona,
        count(*) as closed_deal_count,
        count(case when closed_deals.outcome = 'won' then 1 end) as won_count,
        count(case when closed_deals.outcome = 'lost' then 1 end) as lost_count,
        sum(case when closed_deals.outcome = 'won' then closed_deals.amount end) as won_amount
    from closed_deals
    cross join has_role_data
    where has_role_data.has_role_data
    group by 1
),

personas as (
    select persona from lead_counts
    union
    select persona from deal_counts
),

final as (
    select
        personas.persona,
        cast(coalesce(lead_counts.leads, 0) as bigint) as leads,
        cast(coalesce(lead_counts.converted_leads, 0) as bigint) as converted_leads,
        cast(lead_counts.converted_leads as {{ crm_double_type() }})
        / nullif(lead_counts.leads, 0) as lead_conversion_rate,
        case
            when has_role_data.has_role_data
                then cast(coalesce(deal_counts.closed_deal_count, 0) as bigint)
        end as closed_deal_count,
        case
            when has_role_data.has_role_data
                then cast(coalesce(deal_counts.won_count, 0) as bigint)
        end as won_count,
        case
            when has_role_data.has_role_data
                then cast(coalesce(deal_counts.lost_count, 0) as bigint)
        end as lost_count,
        cast(deal_counts.won_count as {{ crm_double_type() }})
        / nullif(deal_counts.won_count + deal_counts.lost_count, 0) as win_rate,
        {{ crm_money_divide('deal_counts.won_amount', 'deal_counts.won_count') }} as avg_won_amount,
        cast(as_of.as_of_date as date) as as_of_date
    from personas
    cross join has_role_data
    cross join as_of
    left join lead_counts
        on personas.persona = lead_counts.persona
    left join deal_counts
        on personas.persona = deal_counts.persona
)

select * from final
