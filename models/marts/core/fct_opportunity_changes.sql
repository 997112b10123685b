{#
    One row per changed attribute of a history row. change_kind:
      created    the deal's first history row (a deal created closed also gets a won/lost row at
                 the same instant, so flows count it as created and closed in that period);
      won, lost  from an open stage into the won / a lost stage;
      reopened   from a closed stage into an open one;
      stage      any other change of stage (open → open, or closed → closed);
      amount     the amount differs from the previous row's while both rows are open;
      close_date the close date differs from the previous row's while both rows are open.
    A row that changes several attributes gives several changes. Amounts are in the reporting
    currency; old_* columns are the previous row's values. history_row_number is the row's place
    in the deal's path (int_opportunity_states.history_sequence: by changed_at, then
    source_order), the key with opportunity_id and change_kind: rows of one instant share
    changed_at.
#}
with

states as (
    select * from {{ ref('int_opportunity_states') }}
),

stage_changes as (
    select
        opportunity_id,
        changed_at,
        cast(history_sequence as bigint) as history_row_number,
        case
            when is_creation then 'created'
            when previous_state = 'open' and state = 'won' then 'won'
            when previous_state = 'open' and state = 'lost' then 'lost'
            when previous_state <> 'open' and state = 'open' then 'reopened'
            else 'stage'
        end as change_kind,
        previous_stage_name as old_stage_name,
        stage_name as new_stage_name,
        previous_amount as old_amount,
        amount as new_amount,
        previous_close_date as old_close_date,
        close_date as new_close_date
    from states
    where is_stage_entry
),

closed_at_creation as (
    select
        opportunity_id,
        changed_at,
        cast(history_sequence as bigint) as history_row_number,
        state as change_kind,
        cast(null as {{ dbt.type_string() }}) as old_stage_name,
        stage_name as new_stage_name,
        cast(null as {{ crm_money_type() }}) as old_amount,
        amount as new_amount,
        cast(null as date) as old_close_date,
        close_date as new_close_date
    from states
    where is_creation and state <> 'open'
),

amount_changes as (
    select
        opportunity_id,
        changed_at,
        cast(history_sequence as bigint) as history_row_number,
        'amount' as change_kind,
        cast(null as {{ dbt.type_string() }}) as old_stage_name,
        cast(null as {{ dbt.type_string() }}) as new_stage_name,
        previous_amount as old_amount,
        amount as new_amount,
        cast(null as date) as old_close_date,
        cast(null as date) as new_close_date
    from states
    where is_amount_change
),

close_date_changes as (
    select
        opportunity_id,
        changed_at,
        cast(history_sequence as bigint) as history_row_number,
        'close_date' as change_kind,
        cast(null as {{ dbt.type_string() }}) as old_stage_name,
        cast(null as {{ dbt.type_string() }}) as new_stage_name,
        cast(null as {{ crm_money_type() }}) as old_amount,
        cast(null as {{ crm_money_type() }}) as new_amount,
        previous_close_date as old_close_date,
        close_date as new_close_date
    from states
    where
        previous_state = 'open'
        and state = 'open'
        and close_date <> previous_close_date
),

final as (
    select * from stage_changes
    union all
    select * from closed_at_creation
    union all
    select * from amount_changes
    union all
    select * from close_date_changes
)

select * from final
