{{ config(
    materialized='incremental',
    incremental_strategy=crm_incremental_strategy(),
    unique_key='activity_id',
    on_schema_change='fail',
    pre_hook=["{{ crm_incremental_copy_stored() }}"],
    post_hook=["{{ crm_incremental_cleanup('activity_at') }}"]
) }}

{#-
    One row per accepted activity.

    Incremental (delete+insert by activity_id): an incremental run writes only the activities
    that are new or whose columns changed (compared with the stored row, nulls equal), and a
    tombstone row (activity_at null, deleted by the post-hook) for every stored activity that is
    no longer accepted. --full-refresh gives the same rows. On Spark the run rewrites the table:
    the changed activities plus the other stored rows (crm_incremental_rows).
-#}
with

activities as (
    select
        activity_id,
        user_id,
        activity_type,
        outcome,
        activity_at,
        cast(activity_at as date) as activity_date,
        duration_minutes,
        opportunity_id,
        lead_id,
        account_id,
        contact_id
    from {{ ref('int_activities_accepted') }}
),
{%- if is_incremental() %}

stored as (
    select
        activity_id,
        user_id,
        activity_type,
        outcome,
        activity_at,
        activity_date,
        duration_minutes,
        opportunity_id,
        lead_id,
        account_id,
        contact_id
    from {{ crm_incremental_stored() }}
),

changed as (
    select activities.*
    from activities
    left join stored
        on
            activities.activity_id = stored.activity_id
        {%- for column in ['user_id', 'activity_type', 'outcome', 'activity_at', 'duration_minutes', 'opportunity_id', 'lead_id', 'account_id', 'contact_id'] %}
            and activities.{{ column }} is not distinct from stored.{{ column }}
        {%- endfor %}
    where stored.activity_id is null
),

removed as (
    select
        stored.activity_id,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_string() }}) as activity_type,
        cast(null as {{ dbt.type_string() }}) as outcome,
        cast(null as timestamp) as activity_at,
        cast(null as date) as activity_date,
        cast(null as {{ dbt.type_float() }}) as duration_minutes,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as contact_id
    from stored
    left join activities
        on stored.activity_id = activities.activity_id
    where activities.activity_id is null
),
{%- endif %}

final as (
    {%- if is_incremental() %}
        {{ crm_incremental_rows('changed', 'removed', 'activity_id') }}
    {%- else %}
        select * from activities
    {%- endif %}
)

select * from final
