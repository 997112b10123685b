{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{%- set owner = crm_adapter_columns(
    source('fivetran_hubspot', 'owner'),
    required=['owner_id'],
    optional=['email', 'first_name', 'last_name', 'created_at', 'is_active'],
) -%}

with

owners as (
    select
        {{ crm_adapter_text(owner.owner_id.sql) }} as user_id,
        {{ owner.first_name.sql }} as first_name,
        {{ owner.last_name.sql }} as last_name,
        {{ owner.email.sql }} as email,
        {{ crm_adapter_timestamp(owner.created_at) }} as created_at_text,
        {{ crm_adapter_text(owner.is_active.sql) }} as is_active,
        {{ crm_adapter_deleted_reason(owner) }} as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_hubspot', 'owner'), owner, 'owner_id') }}
),

final as (
    select
        user_id,
        {{ crm_adapter_text(
            "coalesce(nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email)"
        ) }} as full_name,
        {{ crm_adapter_text('email') }} as email,
        {#- HubSpot has no sales roles: only var crm_role_mapping's user_ids rules apply #}
        {{ crm_adapter_role('user_id') }} as role,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as manager_id,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as segment,
        substr(created_at_text, 1, 10) as hired_on,
        is_active,
        source_reject_reason
    from owners
)

select * from final
