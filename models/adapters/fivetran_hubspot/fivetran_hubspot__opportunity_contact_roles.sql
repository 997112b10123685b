{{ config(enabled=var('source_system', 'contract') == 'fivetran_hubspot') }}

{#-
    Deal-contact associations (deal_contact): one row per deal and contact, whatever the
    association types between them (HubSpot has no contact role or primary contact on deals):
    role and is_primary are null, so mart_conversions_by_title takes a deal's lowest contact id.
    A pair whose every association was deleted is rejected deleted_in_source.
-#}
{%- set association = crm_adapter_columns(
    source('fivetran_hubspot', 'deal_contact'),
    required=['deal_id', 'contact_id'],
    optional=['type_id'],
    table_optional=true,
) -%}

{%- if association is none %}

select
    cast(null as {{ dbt.type_string() }}) as opportunity_id,
    cast(null as {{ dbt.type_string() }}) as contact_id,
    cast(null as {{ dbt.type_string() }}) as role,
    cast(null as {{ dbt.type_string() }}) as is_primary,
    cast(null as {{ dbt.type_string() }}) as source_reject_reason
where 1 = 0

{%- else %}

    with

    associations as (
        select
            {{ crm_adapter_text(association.deal_id.sql) }} as opportunity_id,
            {{ crm_adapter_text(association.contact_id.sql) }} as contact_id,
            {{ crm_adapter_deleted_reason(association) }} as deleted_reason
        from
            {{ crm_adapter_records(
                source('fivetran_hubspot', 'deal_contact'), association,
                ['deal_id', 'contact_id', 'type_id']
            ) }}
    ),

    -- one row per pair: a live association if it has one
    pairs as (
        select
            opportunity_id,
            contact_id,
            deleted_reason,
            row_number() over (
                partition by opportunity_id, contact_id
                order by case when deleted_reason is null then 0 else 1 end
            ) as pair_rank
        from associations
    ),

    final as (
        select
            opportunity_id,
            contact_id,
            cast(null as {{ dbt.type_string() }}) as role,
            cast(null as {{ dbt.type_string() }}) as is_primary,
            deleted_reason as source_reject_reason
        from pairs
        where pair_rank = 1
    )

    select * from final

{%- endif %}
