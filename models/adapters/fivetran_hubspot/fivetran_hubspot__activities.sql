{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Activities: HubSpot engagements of type CALL, MEETING and EMAIL (INCOMING_EMAIL too);
    notes and tasks are not sales activities and are not read. Two layouts of the connector
    are read alike: the older one, where `engagement` carries owner_id and timestamp, and the
    current one, where `engagement` holds id and type and the owner and time of each
    engagement are in its type's table (engagement_call / engagement_meeting /
    engagement_email: property_hubspot_owner_id, property_hs_timestamp, as Fivetran's
    dbt_hubspot_source reads them). user_id: engagement.owner_id, else the type table's owner;
    activity_at: engagement.timestamp, else the type table's property_hs_timestamp, else
    engagement.created_at. Calls: outcome from HubSpot's default call dispositions (connected,
    no answer, busy, left voicemail / live message, wrong number) or their label, duration
    from milliseconds. Meetings: duration from start and end time. opportunity_id /
    account_id / contact_id: the lowest associated deal / company / contact. A type-table row
    deleted in the source deletes its engagement too (deleted_in_source).
-#}
{%- set engagement = crm_adapter_columns(
    source('fivetran_hubspot', 'engagement'),
    required=['id', 'type'],
    optional=['owner_id', 'timestamp', 'created_at'],
    table_optional=true,
) -%}
{%- set type_tables = {} -%}
{%- for table_name, specific in [
    ('engagement_call', [
        'disposition', 'duration_milliseconds', 'property_hs_call_disposition',
        'property_hs_call_duration',
    ]),
    ('engagement_meeting', [
        'start_time', 'end_time', 'property_hs_meeting_start_time', 'property_hs_meeting_end_time',
    ]),
    ('engagement_email', []),
] -%}
    {%- do type_tables.update({table_name: crm_adapter_columns(
        source('fivetran_hubspot', table_name),
        required=['engagement_id'],
        optional=specific + ['property_hs_timestamp', 'property_hubspot_owner_id'],
        table_optional=true,
    )}) -%}
{%- endfor -%}
{%- set call = type_tables['engagement_call'] -%}
{%- set meeting = type_tables['engagement_meeting'] -%}
{%- set links = [] -%}
{#- in the contract's column order: final selects them in this order -#}
{%- for table_name, id_column, alias in [
    ('engagement_contact', 'contact_id', 'contact_id'),
    ('engagement_company', 'company_id', 'account_id'),
    ('engagement_deal', 'deal_id', 'opportunity_id'),
] -%}
    {%- set link = crm_adapter_columns(
        source('fivetran_hubspot', table_name),
        required=['engagement_id', id_column],
        table_optional=true,
    ) -%}
    {%- do links.append((table_name, id_column, alias, link)) -%}
{%- endfor -%}

{%- set text = dbt.type_string() -%}
{%- set duration_parts = (['call_outcomes.duration_minutes'] if call is not none else [])
    + (['engagement_meetings.duration_minutes'] if meeting is not none else []) -%}
{#- the CTEs holding each type table's owner, time and deletion (calls: with their outcome) #}
{%- set type_aliases = [] -%}
{%- for table_name, columns in type_tables.items() if columns is not none -%}
    {%- do type_aliases.append('call_outcomes' if table_name == 'engagement_call' else table_name ~ 's') -%}
{%- endfor -%}

with

engagements as (
    {%- if engagement is none %}
    select
        cast(null as {{ text }}) as activity_id,
        cast(null as {{ text }}) as engagement_type,
        cast(null as {{ text }}) as owner_id,
        cast(null as {{ text }}) as engaged_at,
        cast(null as {{ text }}) as created_at,
        cast(null as {{ text }}) as source_reject_reason
    where 1 = 0
    {%- else %}
        select
            {{ crm_adapter_text(engagement.id.sql) }} as activity_id,
            upper({{ engagement.type.sql }}) as engagement_type,
            {{ crm_adapter_text(engagement.owner_id.sql) }} as owner_id,
            {{ crm_adapter_timestamp(engagement.timestamp) }} as engaged_at,
            {{ crm_adapter_timestamp(engagement.created_at) }} as created_at,
            {{ crm_adapter_deleted_reason(engagement) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_hubspot', 'engagement'), engagement, 'id') }}
        where upper({{ engagement.type.sql }}) in ('CALL', 'MEETING', 'EMAIL', 'INCOMING_EMAIL')
    {%- endif %}
),

{#- owner, time and deletion of each engagement in its type's table #}
{%- for table_name, columns in type_tables.items() if columns is not none %}

    {{ table_name }}s as (
        select
            {{ crm_adapter_text(columns.engagement_id.sql) }} as activity_id,
            {{ crm_adapter_timestamp(columns.property_hs_timestamp) }} as engaged_at,
            {{ crm_adapter_text(columns.property_hubspot_owner_id.sql) }} as owner_id,
            {{ crm_adapter_deleted_reason(columns) }} as deleted_reason
            {%- if table_name == 'engagement_call' %},
                lower({{ crm_adapter_coalesce_text(
                    [columns.disposition.sql, columns.property_hs_call_disposition.sql]
                ) }}) as disposition,
                {{ crm_try_cast(crm_adapter_coalesce_text(
                    [columns.duration_milliseconds.sql, columns.property_hs_call_duration.sql]
                ), 'double') }} / 60000.0 as duration_minutes
            {%- elif table_name == 'engagement_meeting' %},
                {{ dbt.datediff(
                    'coalesce(' ~ columns.start_time.sql ~ ', '
                    ~ columns.property_hs_meeting_start_time.sql ~ ')',
                    'coalesce(' ~ columns.end_time.sql ~ ', '
                    ~ columns.property_hs_meeting_end_time.sql ~ ')',
                    'minute',
                ) }} as duration_minutes
            {%- endif %}
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', table_name), columns, 'engagement_id'
            ) }}
    ),
{%- endfor %}

{%- if call is not none %}

    call_outcomes as (
        select
            *,
            {#- HubSpot's default call dispositions, by id or label #}
            case
                when
                    disposition = 'f240bbac-87c9-4f6e-bf70-924b57d47db7'
                    or disposition = 'connected'
                    then 'connected'
                when
                    disposition in (
                        '73a0d17f-1163-4015-bdd5-ec830791da20',
                        '9d9162e7-6cf3-4944-bf63-4dff82258764'
                    )
                    or disposition in ('no answer', 'busy')
                    then 'no_answer'
                when
                    disposition in (
                        'b2cf5968-551e-4856-9783-52b3da59a7d0',
                        'a4c4c377-d246-4b32-a13b-75a56a4cd0ff'
                    )
                    or disposition like 'left %'
                    then 'left_voicemail'
                when disposition is not null then 'other'
            end as outcome
        from engagement_calls
    ),
{%- endif %}

{%- for table_name, id_column, alias, link in links if link is not none %}

    {{ table_name }}s as (
        select
            {{ crm_adapter_text(link.engagement_id.sql) }} as activity_id,
            min({{ crm_adapter_text(link[id_column].sql) }}) as linked_id
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', table_name), link, ['engagement_id', id_column]
            ) }}
        where {{ crm_adapter_deleted_reason(link) }} is null
        group by 1
    ),
{%- endfor %}

final as (
    select
        engagements.activity_id,
        coalesce(
            engagements.owner_id
            {%- for alias in type_aliases %}, {{ alias }}.owner_id{% endfor %}
        ) as user_id,
        case
            when engagements.engagement_type = 'CALL' then 'call'
            when engagements.engagement_type = 'MEETING' then 'meeting'
            else 'email'
        end as activity_type,
        coalesce(
            engagements.engaged_at,
            {%- for alias in type_aliases %} {{ alias }}.engaged_at,{% endfor %}
            engagements.created_at
        ) as activity_at,
        {%- set outcome_sql = 'call_outcomes.outcome' if call is not none
            else 'cast(null as ' ~ text ~ ')' %}
        {{ outcome_sql }} as outcome,  -- noqa: AL09
        {{ crm_adapter_text('coalesce(' ~ (duration_parts + ['null']) | join(', ') ~ ')') }}
            as duration_minutes,
        cast(null as {{ text }}) as lead_id,
        {#- contact_id, account_id, opportunity_id: the first linked id of each, else null #}
        {%- for table_name, id_column, alias, link in links %}
            {{ (table_name ~ 's.linked_id') if link is not none else 'cast(null as ' ~ text ~ ')' }}
                as {{ alias }},
        {%- endfor %}
        coalesce(
            engagements.source_reject_reason
            {%- for alias in type_aliases %}, {{ alias }}.deleted_reason{% endfor %}
        ) as source_reject_reason
    from
        engagements
    {%- for alias in type_aliases %}
    left join {{ alias }}
        on engagements.activity_id = {{ alias }}.activity_id
    {%- endfor %}
    {%- for table_name, id_column, alias, link in links if link is not none %}
        left join {{ table_name }}s
            on engagements.activity_id = {{ table_name }}s.activity_id
    {%- endfor %}
)

select * from final
