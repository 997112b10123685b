{{ config(enabled=var('source_system', 'contract') == 'fivetran_salesforce') }}

{%- set user = crm_adapter_columns(
    source('fivetran_salesforce', 'user'),
    required=['id'],
    optional=[
        'name', 'first_name', 'last_name', 'email', 'user_role_id', 'profile_id', 'manager_id',
        'department', 'division', 'created_date', 'is_active',
    ],
) -%}
{%- set user_role = crm_adapter_columns(
    source('fivetran_salesforce', 'user_role'), required=['id', 'name'], table_optional=true
) -%}
{%- set profile = crm_adapter_columns(
    source('fivetran_salesforce', 'profile'), required=['id', 'name'], table_optional=true
) -%}

with

users as (
    select
        {{ user.id.sql }} as id,
        {{ user.name.sql }} as user_name,
        {{ user.first_name.sql }} as first_name,
        {{ user.last_name.sql }} as last_name,
        {{ user.email.sql }} as email,
        {{ user.user_role_id.sql }} as user_role_id,
        {{ user.profile_id.sql }} as profile_id,
        {{ user.manager_id.sql }} as manager_id,
        {{ user.department.sql }} as department,
        {{ user.division.sql }} as division,
        {{ crm_adapter_timestamp(user.created_date) }} as created_at_text,
        {{ user.is_active.sql }} as is_active,
        {{ crm_adapter_deleted_reason(user) }} as source_reject_reason
    from {{ crm_adapter_records(source('fivetran_salesforce', 'user'), user, 'id') }}
),

{%- if user_role is not none %}

    user_roles as (
        select
            {{ user_role.id.sql }} as user_role_id,
            {{ user_role.name.sql }} as role_name
        from {{ crm_adapter_records(source('fivetran_salesforce', 'user_role'), user_role, 'id') }}
        where {{ crm_adapter_deleted_reason(user_role) }} is null
    ),
{%- endif %}

{%- if profile is not none %}

profiles as (
    select
        {{ profile.id.sql }} as profile_id,
        {{ profile.name.sql }} as profile_name
    from {{ crm_adapter_records(source('fivetran_salesforce', 'profile'), profile, 'id') }}
    where {{ crm_adapter_deleted_reason(profile) }} is null
),
{%- endif %}

named as (
    select
        users.*,
        {{ 'user_roles.role_name' if user_role is not none else 'null' }},
        {{ 'profiles.profile_name' if profile is not none else 'null' }} as profile_name
    from
        users
    {%- if user_role is not none %}
    left join user_roles
        on users.user_role_id = user_roles.user_role_id
    {%- endif %}
    {%- if profile is not none %}
    left join profiles
        on users.profile_id = profiles.profile_id
    {%- endif %}
),

final as (
    select
        {{ crm_adapter_text('id') }} as user_id,
        {{ crm_adapter_text(
            "coalesce(user_name, nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''))"
        ) }} as full_name,
        {{ crm_adapter_text('email') }} as email,
        {{ crm_adapter_role(crm_adapter_text('id'), ['role_name', 'profile_name']) }}
            as role,  -- noqa: RF04
        {{ crm_adapter_text('manager_id') }} as manager_id,
        {{ crm_adapter_text('coalesce(department, division)') }} as team,
        cast(null as {{ dbt.type_string() }}) as segment,
        substr(created_at_text, 1, 10) as hired_on,
        {{ crm_adapter_text('is_active') }} as is_active,
        source_reject_reason
    from named
)

select * from final
