{#
    One row per deal open at the end of the as-of date, with its win probability from the
    closed deals of its amount band × age band cell. See _pipeline__risk__models.yml.
#}
with

opportunities as (
    select opportunity_id, outcome, amount, amount_band, age_band
    from {{ ref('fct_opportunities') }}
),

closed_deals as (
    select amount_band, age_band, outcome
    from opportunities
    where outcome in ('won', 'lost')
),

cell_rates as (
    select
        amount_band,
        age_band,
        count(*) as closed_count,
        count(case when outcome = 'won' then 1 end) as won_count
    from closed_deals
    group by 1, 2
),

band_rates as (
    select
        amount_band,
        count(*) as closed_count,
        count(case when outcome = 'won' then 1 end) as won_count
    from closed_deals
    group by 1
),

all_rates as (
    select
        count(*) as closed_count,
        count(case when outcome = 'won' then 1 end) as won_count
    from closed_deals
),

open_deals as (
    select
        opportunities.opportunity_id,
        opportunities.amount,
        opportunities.amount_band,
        opportunities.age_band,
        coalesce(cell_rates.closed_count, 0) as cell_closed_count,
        coalesce(cell_rates.won_count, 0) as cell_won_count,
        coalesce(band_rates.closed_count, 0) as band_closed_count,
        coalesce(band_rates.won_count, 0) as band_won_count,
        all_rates.closed_count as all_closed_count,
        all_rates.won_count as all_won_count
    from opportunities
    cross join all_rates
    left join cell_rates
        on
            opportunities.amount_band = cell_rates.amount_band
            and opportunities.age_band = cell_rates.age_band
    left join band_rates
        on opportunities.amount_band = band_rates.amount_band
    where opportunities.outcome = 'open'
),

sourced as (
    select
        *,
        case
            when cell_closed_count >= {{ var('strike_zone_min_deals') }} then 'cell'
            when band_closed_count >= {{ var('strike_zone_min_deals') }} then 'amount_band'
            else 'all'
        end as probability_source
    from open_deals
),

probabilities as (
    select
        *,
        case probability_source
            when 'cell'
                then cast(cell_won_count as {{ crm_double_type() }}) / nullif(cell_closed_count, 0)
            when 'amount_band'
                then cast(band_won_count as {{ crm_double_type() }}) / nullif(band_closed_count, 0)
            else cast(all_won_count as {{ crm_double_type() }}) / nullif(all_closed_count, 0)
        end as win_probability,
        case probability_source
            when 'cell' then cell_closed_count
            when 'amount_band' then band_closed_count
            else all_closed_count
        end as source_closed_count,
        case probability_source
            when 'cell' then cell_won_count
            when 'amount_band' then band_won_count
            else all_won_count
        end as source_won_count
    from sourced
),

final as (
    select
        opportunity_id,
        amount,
        amount_band,
        age_band,
        cast(cell_closed_count as bigint) as cell_closed_count,
        cast(cell_won_count as bigint) as cell_won_count,
        probability_source,
        cast(source_closed_count as bigint) as source_closed_count,
        cast(win_probability as {{ crm_double_type() }}) as win_probability,
        {#- amount × won / closed in whole numbers: exact, also where it is a half cent #}
        {{ crm_money_divide('amount * source_won_count', 'source_closed_count') }}
            as expected_value
    from probabilities
)

select * from final
