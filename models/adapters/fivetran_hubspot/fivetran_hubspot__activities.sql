{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Activities: HubSpot engagements of type CALL, MEETING and EMAIL (INCOMING_EMAIL too);
    notes and tasks are not sales activities and are not read. activity_at: the engagement's
    timestamp (else property_hs_timestamp of the type's table, else created_at); user_id: its
    owner. Calls: outcome from HubSpot's default call dispositions (connected, no answer, busy,
    left voicemail / live message, wrong number) or their label, duration from milliseconds.
    Meetings: duration from start and end time. opportunity_id / account_id / contact_id: the
    lowest associated deal / company / contact. Engagements without a type table row keep
    null outcome and duration.
-#}
{%- set engagement = crm_adapter_columns(
    source('fivetran_hubspot', 'engagement'),
    required=['id', 'type'],
    optional=['owner_id', 'timestamp', 'created_at', '_fivetran_deleted'],
    table_optional=true,
) -%}
{%- set call = crm_adapter_columns(
    source('fivetran_hubspot', 'engagement_call'),
    required=['engagement_id'],
    optional=[
        'disposition', 'duration_milliseconds', 'property_hs_call_disposition',
        'property_hs_call_duration', 'property_hs_timestamp', 'property_hubspot_owner_id',
    ],
    table_optional=true,
) -%}
{%- set meeting = crm_adapter_columns(
    source('fivetran_hubspot', 'engagement_meeting'),
    required=['engagement_id'],
    optional=[
        'start_time', 'end_time', 'property_hs_meeting_start_time',
        'property_hs_meeting_end_time', 'property_hs_timestamp', 'property_hubspot_owner_id',
    ],
    table_optional=true,
) -%}
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
    + (['meetings.duration_minutes'] if meeting is not none else []) -%}

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
            {{ crm_adapter_deleted_reason([engagement['_fivetran_deleted']]) }}
                as source_reject_reason
        from {{ source('fivetran_hubspot', 'engagement') }}
        where upper({{ engagement.type.sql }}) in ('CALL', 'MEETING', 'EMAIL', 'INCOMING_EMAIL')
    {%- endif %}
),

{%- if call is not none %}

    calls as (
        select
            {{ crm_adapter_text(call.engagement_id.sql) }} as activity_id,
            lower({{ crm_adapter_text(
            'coalesce(' ~ call.disposition.sql ~ ', ' ~ call.property_hs_call_disposition.sql ~ ')'
        ) }}) as disposition,
            coalesce(
                {{ call.duration_milliseconds.sql }}, {{ call.property_hs_call_duration.sql }}
            ) / 60000.0 as duration_minutes,
            {{ crm_adapter_timestamp(call.property_hs_timestamp) }} as engaged_at,
            {{ crm_adapter_text(call.property_hubspot_owner_id.sql) }} as owner_id
        from {{ source('fivetran_hubspot', 'engagement_call') }}
    ),

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
        from calls
    ),
{%- endif %}

{%- if meeting is not none %}

    meetings as (
        select
            {{ crm_adapter_text(meeting.engagement_id.sql) }} as activity_id,
        {{ dbt.datediff(
            'coalesce(' ~ meeting.start_time.sql ~ ', ' ~ meeting.property_hs_meeting_start_time.sql ~ ')',
            'coalesce(' ~ meeting.end_time.sql ~ ', ' ~ meeting.property_hs_meeting_end_time.sql ~ ')',
            'minute',
        ) }} as duration_minutes,
            {{ crm_adapter_timestamp(meeting.property_hs_timestamp) }} as engaged_at,
            {{ crm_adapter_text(meeting.property_hubspot_owner_id.sql) }} as owner_id
        from {{ source('fivetran_hubspot', 'engagement_meeting') }}
    ),
{%- endif %}

{%- for table_name, id_column, alias, link in links if link is not none %}

    {{ table_name }}s as (
        select
            {{ crm_adapter_text(link.engagement_id.sql) }} as activity_id,
            min({{ crm_adapter_text(link[id_column].sql) }}) as linked_id
        from {{ source('fivetran_hubspot', table_name) }}
        group by 1
    ),
{%- endfor %}

final as (
    select
        engagements.activity_id,
        coalesce(
            engagements.owner_id
            {%- if call is not none %}, call_outcomes.owner_id{% endif %}
            {%- if meeting is not none %}, meetings.owner_id{% endif %}
        ) as user_id,
        case
            when engagements.engagement_type = 'CALL' then 'call'
            when engagements.engagement_type = 'MEETING' then 'meeting'
            else 'email'
        end as activity_type,
        coalesce(
            engagements.engaged_at,
            {%- if call is not none %} call_outcomes.engaged_at,{% endif %}
            {%- if meeting is not none %} meetings.engaged_at,{% endif %}
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
        engagements.source_reject_reason
    from
        engagements
    {%- if call is not none %}
    left join call_outcomes
        on engagements.activity_id = call_outcomes.activity_id
    {%- endif %}
    {%- if meeting is not none %}
        left join meetings
            on engagements.activity_id = meetings.activity_id
    {%- endif %}
    {%- for table_name, id_column, alias, link in links if link is not none %}
        left join {{ table_name }}s
            on engagements.activity_id = {{ table_name }}s.activity_id
    {%- endfor %}
)

select * from final
