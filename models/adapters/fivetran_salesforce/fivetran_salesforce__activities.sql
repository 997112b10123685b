{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{#-
    Activities: Salesforce tasks and events (either may be missing). A task is a call or an
    email by its subtype or Type, else demo / poc / rfp by var salesforce_activity_type_mapping
    (LIKE rules on Type, then Subject), else a meeting by Type, else other; an event is demo /
    poc / rfp by those rules, else a meeting. who_id and what_id are
    polymorphic: Salesforce id prefixes tell a lead (00Q) from a contact (003), an opportunity
    (006) from an account (001).
-#}
{%- set task = crm_adapter_columns(
    source('fivetran_salesforce', 'task'),
    required=['id', 'owner_id'],
    optional=[
        'type', 'subject', 'task_subtype', 'status', 'call_disposition',
        'call_duration_in_seconds', 'completed_date_time', 'activity_date', 'created_date',
        'who_id', 'what_id', 'account_id',
    ],
    table_optional=true,
) -%}
{%- set event = crm_adapter_columns(
    source('fivetran_salesforce', 'event'),
    required=['id', 'owner_id'],
    optional=[
        'type', 'subject', 'event_subtype', 'start_date_time', 'activity_date_time',
        'created_date', 'duration_in_minutes', 'who_id', 'what_id', 'account_id',
    ],
    table_optional=true,
) -%}

with

{%- if task is not none %}

    tasks as (
        select
            {{ task.id.sql }} as activity_id,
            {{ task.owner_id.sql }} as user_id,
            lower(coalesce({{ task.task_subtype.sql }}, '')) as subtype,
            lower(coalesce({{ task.type.sql }}, '')) as type_text,
            {{ crm_salesforce_activity_type(task.type.sql, task.subject.sql) }} as mapped_type,
            lower({{ task.call_disposition.sql }}) as disposition,
            {{ task.status.sql }} as status,
            coalesce(
                {{ crm_adapter_timestamp(task.completed_date_time) }},
                {{ crm_adapter_timestamp(task.activity_date) }},
                {{ crm_adapter_timestamp(task.created_date) }}
            ) as activity_at,
            {{ crm_try_cast(crm_adapter_text(task.call_duration_in_seconds.sql), 'double') }} / 60.0
                as duration_minutes,
            {{ task.who_id.sql }} as who_id,
            {{ task.what_id.sql }} as what_id,
            {{ task.account_id.sql }} as account_id,
            {{ crm_adapter_deleted_reason(task) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'task'), task, 'id') }}
    ),

    task_activities as (
        select
            activity_id,
            user_id,
            case
                when subtype = 'call' or type_text like '%call%' then 'call'
                when subtype = 'email' or type_text like '%email%' then 'email'
                when mapped_type <> 'other' then mapped_type
                when type_text like '%meeting%' then 'meeting'
                else 'other'
            end as activity_type,
            activity_at,
            case
                when
                    disposition like '%no answer%' or disposition like '%no_answer%'
                    then 'no_answer'
                when disposition like '%voicemail%' or disposition like '%left message%'
                    then 'left_voicemail'
                when disposition like '%meeting%' then 'meeting_booked'
                when disposition like '%connect%' or disposition like '%reached%' then 'connected'
                when disposition is not null then 'other'
                when lower(status) = 'completed' then 'completed'
            end as outcome,
            duration_minutes,
            who_id,
            what_id,
            account_id,
            source_reject_reason
        from tasks
    ),
{%- endif %}

{%- if event is not none %}

    event_activities as (
        select
            {{ event.id.sql }} as activity_id,
            {{ event.owner_id.sql }} as user_id,
            case
                when
                    {{ crm_salesforce_activity_type(event.type.sql, event.subject.sql) }} <> 'other'
                    then {{ crm_salesforce_activity_type(event.type.sql, event.subject.sql) }}
                else 'meeting'
            end as activity_type,
            coalesce(
                {{ crm_adapter_timestamp(event.start_date_time) }},
                {{ crm_adapter_timestamp(event.activity_date_time) }},
                {{ crm_adapter_timestamp(event.created_date) }}
            ) as activity_at,
            cast(null as {{ dbt.type_string() }}) as outcome,
            {{ event.duration_in_minutes.sql }} as duration_minutes,
            {{ event.who_id.sql }} as who_id,
            {{ event.what_id.sql }} as what_id,
            {{ event.account_id.sql }} as account_id,
            {{ crm_adapter_deleted_reason(event) }}
                as source_reject_reason
        from {{ crm_adapter_records(source('fivetran_salesforce', 'event'), event, 'id') }}
    ),
{%- endif %}

activities as (
    {%- if task is none and event is none %}
    select
        null as activity_id,
        null as user_id,
        null as activity_type,
        null as activity_at,
        null as outcome,
        null as duration_minutes,
        null as who_id,
        null as what_id,
        null as account_id,
        null as source_reject_reason
    where 1 = 0
    {%- endif %}
    {%- if task is not none %}
        select * from task_activities
    {%- endif %}
    {%- if task is not none and event is not none %}
        union all
    {%- endif %}
    {%- if event is not none %}
        select * from event_activities
    {%- endif %}
),

final as (
    select
        {{ crm_adapter_text('activity_id') }} as activity_id,
        {{ crm_adapter_text('user_id') }} as user_id,
        activity_type,
        activity_at,
        outcome,
        {{ crm_adapter_text('duration_minutes') }} as duration_minutes,
        {{ crm_adapter_text("case when who_id like '00Q%' then who_id end") }} as lead_id,
        {{ crm_adapter_text("case when who_id like '003%' then who_id end") }} as contact_id,
        {{ crm_adapter_text(
            "coalesce(account_id, case when what_id like '001%' then what_id end)"
        ) }} as account_id,
        {{ crm_adapter_text("case when what_id like '006%' then what_id end") }}
            as opportunity_id,
        source_reject_reason
    from activities
)

select * from final
