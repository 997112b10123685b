{{ config(
    materialized='incremental',
    incremental_strategy=crm_incremental_strategy(),
    unique_key='opportunity_id',
    pre_hook=["{{ crm_incremental_copy_stored() }}"],
    post_hook=[
        "{{ crm_incremental_cleanup('changed_at') }}",
        "{{ crm_assert_rates(this, 'opportunity_history', 'opportunity_id', 'currency_code', 'changed_at', 'amount_local', 'rate_to_reporting') }}",
    ]
) }}

{#
    The state of every deal after each of its history rows: one row per accepted history row,
    valid from changed_at until the next row's changed_at (valid_to, null for the last row).
    The state of a deal at an instant T ("after all rows with changed_at < T") is the row with
    changed_at < T and (valid_to >= T or valid_to is null).

    Rules (raw contract, "Rules for reading history"): a deal's path is its rows ordered by
    changed_at, then source_order (source_order_rank: the one place that order is decided; file
    order means nothing); history_sequence numbers the path once and every window below, and
    every model reading these rows in order, orders by it. Rows of one instant follow each other
    with valid_to = changed_at (an empty span: no instant T falls in it, so the state at T is the
    instant's last row), yet each is a change of the path. A deal without history gets one synthetic row at created_at with its current
    stage, amount and close date; null amount or close_date carries the last non-null value
    forward; amounts convert to the reporting currency at the rate of the changed_at date; rows
    after the as-of date are the future and are left out. A push is a row whose close_date is
    later than the previous row's while both rows are open; an amount change likewise (both open).

    Incremental (delete+insert by opportunity_id): deal_fingerprint is, per deal, the count,
    latest changed_at and a sum of row hashes of its accepted in-window rows (synthetic row
    included), the opportunity attributes the rows use, and a fingerprint of the stages and
    exchange rates. An incremental run recomputes only the deals whose fingerprint differs from
    the stored one (new or late-arriving rows, edits, a moved as-of date that adds or drops
    rows); a change of stages or rates changes every fingerprint, so every deal is recomputed.
    A deal that disappeared (rejected, or no row in the window any more) gets a tombstone row
    (changed_at null) that removes its stored rows; the post-hook then deletes the tombstone.
    --full-refresh gives the same rows. On Spark (no delete+insert in dbt-spark) the run
    rewrites the table: the recomputed deals plus the other stored rows (crm_incremental_rows).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

opportunities as (
    select opportunity_id, created_at, stage_name, amount, close_date, currency_code
    from {{ ref('int_opportunities_accepted') }}
),

history as (
    select opportunity_id, changed_at, source_order_rank, stage_name, amount, close_date
    from {{ ref('int_opportunity_history_accepted') }}
),

stages as (
    select stage_name, stage_order, is_closed, is_won
    from {{ ref('int_stages_accepted') }}
),

exchange_rates as (
    select currency_code, valid_from, valid_to, rate_to_reporting
    from {{ ref('int_exchange_rates') }}
),

dates as (
    select date_day from {{ ref('int_days') }}
),

-- one row per currency × day a rate covers, over the days of int_days (every day from the
-- first day with data, so every day a row below can fall on): the conversion is then an
-- equality join on currency and day (currencies × days rows, never deals × days), where a
-- join on the currency alone paired every row with every rate of its currency
rate_days as (
    select
        exchange_rates.currency_code,
        dates.date_day,
        exchange_rates.rate_to_reporting
    from exchange_rates
    inner join dates
        on
            exchange_rates.valid_from <= dates.date_day
            and (exchange_rates.valid_to > dates.date_day or exchange_rates.valid_to is null)
),

deals_with_history as (
    select distinct opportunity_id from history
),

synthetic_history as (
    select
        opportunities.opportunity_id,
        opportunities.created_at as changed_at,
        cast(1 as bigint) as source_order_rank,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.close_date
    from opportunities
    left join deals_with_history
        on opportunities.opportunity_id = deals_with_history.opportunity_id
    where deals_with_history.opportunity_id is null
),

all_history as (
    select *, false as is_synthetic from history
    union all
    select *, true as is_synthetic from synthetic_history
),

in_window_rows as (
    select all_history.*
    from all_history
    cross join as_of
    where all_history.changed_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
),

{%- set string_type = dbt.type_string() %}
{%- set reference_row_hash = crm_hash_int('reference_rows.row_text') %}
{%- set history_row_hash = crm_hash_int(
    crm_fingerprint_text([
        'changed_at', 'source_order_rank', 'stage_name', 'amount', 'close_date', 'is_synthetic'
    ])
) %}

reference_fingerprint as (
    select
        cast(count(*) as {{ string_type }}) || '|'
        || cast(coalesce(sum({{ reference_row_hash }}), 0) as {{ string_type }})
        || '|{{ var("reporting_currency") }}' as reference_part
    from (
        select
            {{ crm_fingerprint_text(['stage_name', 'stage_order', 'is_closed', 'is_won']) }}
                as row_text
        from stages
        union all
        select
            {{ crm_fingerprint_text(
                ['currency_code', 'valid_from', 'valid_to', 'rate_to_reporting']
            ) }} as row_text
        from exchange_rates
    ) as reference_rows
),

history_fingerprints as (
    select
        opportunity_id,
        cast(count(*) as {{ string_type }}) || '|'
        || cast(max(changed_at) as {{ string_type }}) || '|'
        || cast(sum({{ history_row_hash }}) as {{ string_type }}) as history_part
    from in_window_rows
    group by 1
),

deal_fingerprints as (
    select
        history_fingerprints.opportunity_id,
        history_fingerprints.history_part || '|'
        || cast({{ crm_hash_int(crm_fingerprint_text([
            'opportunities.created_at',
            'opportunities.stage_name',
            'opportunities.amount',
            'opportunities.close_date',
            'opportunities.currency_code',
        ])) }} as {{ string_type }}) || '|'
        || reference_fingerprint.reference_part as deal_fingerprint
    from history_fingerprints
    inner join opportunities
        on history_fingerprints.opportunity_id = opportunities.opportunity_id
    cross join reference_fingerprint
),
{%- if is_incremental() %}

stored_fingerprints as (
    select opportunity_id, deal_fingerprint
    from {{ crm_incremental_stored() }}
    where history_sequence = 1
),

changed_deals as (
    select deal_fingerprints.opportunity_id
    from deal_fingerprints
    left join stored_fingerprints
        on
            deal_fingerprints.opportunity_id = stored_fingerprints.opportunity_id
            and deal_fingerprints.deal_fingerprint = stored_fingerprints.deal_fingerprint
    where stored_fingerprints.opportunity_id is null
),

removed_deals as (
    select stored_fingerprints.opportunity_id
    from stored_fingerprints
    left join deal_fingerprints
        on stored_fingerprints.opportunity_id = deal_fingerprints.opportunity_id
    where deal_fingerprints.opportunity_id is null
),

{%- endif %}

in_window as (
    select in_window_rows.*
    from in_window_rows
    {%- if is_incremental() %}
    inner join changed_deals
        on in_window_rows.opportunity_id = changed_deals.opportunity_id
    {%- endif %}
),

-- the deal's path, numbered once: by changed_at, then source_order_rank
sequenced_rows as (
    select
        *,
        row_number() over (
            partition by opportunity_id order by changed_at, source_order_rank
        ) as history_sequence
    from in_window
),

carried_forward as (
    select
        opportunity_id,
        history_sequence,
        changed_at,
        stage_name,
        is_synthetic,
        {{ crm_carry_forward('amount', 'opportunity_id', 'history_sequence') }} as amount_local,
        {{ crm_carry_forward('close_date', 'opportunity_id', 'history_sequence') }}
            as close_date
    from sequenced_rows
),

converted as (
    select
        carried_forward.*,
        stages.stage_order,
        case
            when stages.is_won then 'won'
            when stages.is_closed then 'lost'
            else 'open'
        end as state,
        coalesce(opportunities.currency_code, '{{ var("reporting_currency") }}') as currency_code,
        rate_days.rate_to_reporting,
        {{ crm_money_product('carried_forward.amount_local', 'rate_days.rate_to_reporting') }}
            as amount
    from carried_forward
    inner join opportunities
        on carried_forward.opportunity_id = opportunities.opportunity_id
    inner join stages
        on carried_forward.stage_name = stages.stage_name
    left join rate_days
        on
            coalesce(opportunities.currency_code, '{{ var("reporting_currency") }}')
            = rate_days.currency_code
            and cast(carried_forward.changed_at as date) = rate_days.date_day
),

sequenced as (
    select
        *,
        lead(changed_at) over (
            partition by opportunity_id order by history_sequence
        ) as valid_to,
        lag(stage_name) over (
            partition by opportunity_id order by history_sequence
        ) as previous_stage_name,
        lag(state) over (
            partition by opportunity_id order by history_sequence
        ) as previous_state,
        lag(amount) over (
            partition by opportunity_id order by history_sequence
        ) as previous_amount,
        lag(close_date) over (
            partition by opportunity_id order by history_sequence
        ) as previous_close_date
    from converted
),

flagged as (
    select
        *,
        previous_state is null as is_creation,
        previous_state is null or stage_name <> previous_stage_name as is_stage_entry,
        coalesce(
            previous_state = 'open' and state = 'open' and close_date > previous_close_date,
            false
        ) as is_push,
        coalesce(
            previous_state = 'open' and state = 'open'
            and (
                amount <> previous_amount
                or (amount is null and previous_amount is not null)
                or (amount is not null and previous_amount is null)
            ),
            false
        ) as is_amount_change,
        coalesce(previous_state in ('won', 'lost') and state = 'open', false) as is_reopen,
        state in ('won', 'lost')
        and (previous_state is null or stage_name <> previous_stage_name) as is_close
    from sequenced
),

computed as (
    select
        opportunity_id,
        history_sequence,
        changed_at,
        valid_to,
        is_synthetic,
        stage_name,
        stage_order,
        state,
        state = 'open' as is_open,
        amount,
        amount_local,
        currency_code,
        rate_to_reporting,
        close_date,
        previous_stage_name,
        previous_state,
        previous_amount,
        previous_close_date,
        is_creation,
        is_stage_entry,
        is_push,
        is_amount_change,
        is_reopen,
        is_close,
        cast(sum(case when is_stage_entry then 1 else 0 end) over (
            partition by opportunity_id order by history_sequence
            rows between unbounded preceding and current row
        ) as bigint) as visit_number
    from flagged
),

fingerprinted as (
    select
        computed.*,
        deal_fingerprints.deal_fingerprint
    from computed
    inner join deal_fingerprints
        on computed.opportunity_id = deal_fingerprints.opportunity_id
),
{%- if is_incremental() %}

tombstones as (
    {#- one row per deal that disappeared: delete+insert removes its stored rows #}
    select
        removed_deals.opportunity_id,
        cast(null as bigint) as history_sequence,
        cast(null as timestamp) as changed_at,
        cast(null as timestamp) as valid_to,
        cast(null as boolean) as is_synthetic,
        cast(null as {{ dbt.type_string() }}) as stage_name,
        cast(null as integer) as stage_order,
        cast(null as {{ dbt.type_string() }}) as state,
        cast(null as boolean) as is_open,
        cast(null as {{ crm_money_type() }}) as amount,
        cast(null as {{ crm_double_type() }}) as amount_local,
        cast(null as {{ dbt.type_string() }}) as currency_code,
        cast(null as {{ crm_double_type() }}) as rate_to_reporting,
        cast(null as date) as close_date,
        cast(null as {{ dbt.type_string() }}) as previous_stage_name,
        cast(null as {{ dbt.type_string() }}) as previous_state,
        cast(null as {{ crm_money_type() }}) as previous_amount,
        cast(null as date) as previous_close_date,
        cast(null as boolean) as is_creation,
        cast(null as boolean) as is_stage_entry,
        cast(null as boolean) as is_push,
        cast(null as boolean) as is_amount_change,
        cast(null as boolean) as is_reopen,
        cast(null as boolean) as is_close,
        cast(null as bigint) as visit_number,
        cast(null as {{ dbt.type_string() }}) as deal_fingerprint
    from removed_deals
),
{%- endif %}

final as (
    {%- if is_incremental() %}
        {{ crm_incremental_rows('fingerprinted', 'tombstones', 'opportunity_id') }}
    {%- else %}
        select * from fingerprinted
    {%- endif %}
)

select * from final
