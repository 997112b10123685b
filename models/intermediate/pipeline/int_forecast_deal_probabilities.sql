{{ config(materialized="table") }}

{#
    One row per snapshot instant × deal open at that instant × forecast method: the deal's win
    probability under each method, from what was known at the instant only.
      crm_probability   the stage's default_probability (stages).
      stage_conversion  win_rate_from_stage of the deal's stage over the deals closed at the
                        instant (int_stage_win_rates).
      rep_adjusted      stage_conversion × the owner's trailing-12-month win rate / the
                        company's, capped at 1. Trailing 12 months = deals whose closed_at lies in
                        [snapshot_at - 12 months, snapshot_at). When the owner or the company has
                        no closed deal in that window (rate null or zero), the factor is 1.
    weighted_amount is amount × probability rounded once to the cent (crm_money.sql): the
    stage probability as a decimal, the conversion rates as fractions of whole counts (exact:
    a double rate can put an exact half cent on either side). A null probability (no closed
    deal ever reached the stage) weighs 0. forecast_month is the
    month of close_date, or the snapshot's month when the close date lies before it (overdue
    deals roll into the current month).
#}
with

snapshots as (
    select
        snapshot_at,
        snapshot_kind,
        period_month,
        opportunity_id,
        state,
        stage_name,
        amount,
        close_date,
        closed_at
    from {{ ref('int_opportunity_snapshots') }}
),

opportunities as (
    select opportunity_id, owner_id
    from {{ ref('int_opportunities_accepted') }}
),

stages as (
    select stage_name, default_probability
    from {{ ref('int_stages_accepted') }}
),

stage_win_rates as (
    select snapshot_at, stage_name, reached_count, won_count, win_rate_from_stage
    from {{ ref('int_stage_win_rates') }}
),

recently_closed as (
    select
        snapshots.snapshot_at,
        opportunities.owner_id,
        snapshots.state
    from snapshots
    inner join opportunities
        on snapshots.opportunity_id = opportunities.opportunity_id
    where
        snapshots.state in ('won', 'lost')
        and snapshots.closed_at >= {{ dbt.dateadd('month', -12, 'snapshots.snapshot_at') }}
),

owner_win_rates as (
    select
        snapshot_at,
        owner_id,
        count(case when state = 'won' then 1 end) as owner_won_count,
        count(*) as owner_closed_count,
        cast(count(case when state = 'won' then 1 end) as {{ crm_double_type() }})
        / nullif(count(*), 0) as owner_win_rate
    from recently_closed
    group by 1, 2
),

company_win_rates as (
    select
        snapshot_at,
        count(case when state = 'won' then 1 end) as company_won_count,
        count(*) as company_closed_count,
        cast(count(case when state = 'won' then 1 end) as {{ crm_double_type() }})
        / nullif(count(*), 0) as company_win_rate
    from recently_closed
    group by 1
),

open_deals as (
    select
        snapshots.snapshot_at,
        snapshots.snapshot_kind,
        snapshots.period_month,
        snapshots.opportunity_id,
        opportunities.owner_id,
        snapshots.stage_name,
        snapshots.amount,
        snapshots.close_date,
        case
            when
                snapshots.close_date is null
                or snapshots.close_date < snapshots.period_month
                then snapshots.period_month
            else cast({{ dbt.date_trunc('month', 'snapshots.close_date') }} as date)
        end as forecast_month,
        stages.default_probability,
        stage_win_rates.win_rate_from_stage,
        owner_win_rates.owner_win_rate,
        company_win_rates.company_win_rate,
        coalesce(
            owner_win_rates.owner_win_rate / nullif(company_win_rates.company_win_rate, 0), 1
        ) as rep_adjustment,
        {#- The two conversion probabilities as whole-number fractions, for exact weighting:
            stage won / reached, and that × (owner won / closed) / (company won / closed) when
            both owner and company rates are known and the company's is not 0. #}
        stage_win_rates.won_count as stage_won_count,
        stage_win_rates.reached_count as stage_reached_count,
        case
            when owner_win_rates.owner_closed_count > 0 and company_win_rates.company_won_count > 0
                then
                    stage_win_rates.won_count * owner_win_rates.owner_won_count
                    * company_win_rates.company_closed_count
            else stage_win_rates.won_count
        end as rep_won_product,
        case
            when owner_win_rates.owner_closed_count > 0 and company_win_rates.company_won_count > 0
                then
                    stage_win_rates.reached_count * owner_win_rates.owner_closed_count
                    * company_win_rates.company_won_count
            else stage_win_rates.reached_count
        end as rep_reached_product
    from snapshots
    inner join opportunities
        on snapshots.opportunity_id = opportunities.opportunity_id
    left join stages
        on snapshots.stage_name = stages.stage_name
    left join stage_win_rates
        on
            snapshots.snapshot_at = stage_win_rates.snapshot_at
            and snapshots.stage_name = stage_win_rates.stage_name
    left join owner_win_rates
        on
            snapshots.snapshot_at = owner_win_rates.snapshot_at
            and opportunities.owner_id = owner_win_rates.owner_id
    left join company_win_rates
        on snapshots.snapshot_at = company_win_rates.snapshot_at
    where snapshots.state = 'open'
),

by_method as (
    select
        *,
        'crm_probability' as method,  -- noqa: RF04
        default_probability as win_probability,
        {{ crm_money_product('coalesce(amount, 0)', 'coalesce(default_probability, 0)') }}
            as weighted_amount
    from open_deals
    union all
    select
        *,
        'stage_conversion' as method,  -- noqa: RF04
        win_rate_from_stage as win_probability,
        coalesce(
            {{ crm_money_divide('amount * stage_won_count', 'stage_reached_count') }}, 0
        ) as weighted_amount
    from open_deals
    union all
    select
        *,
        'rep_adjusted' as method,  -- noqa: RF04
        case
            when win_rate_from_stage * rep_adjustment > 1 then 1.0
            else win_rate_from_stage * rep_adjustment
        end as win_probability,
        coalesce(
            case
                when rep_won_product >= rep_reached_product and rep_reached_product > 0
                    then amount
                else {{ crm_money_divide('amount * rep_won_product', 'rep_reached_product') }}
            end,
            0
        ) as weighted_amount
    from open_deals
),

final as (
    select
        snapshot_at,
        snapshot_kind,
        period_month,
        forecast_month,
        method,
        opportunity_id,
        owner_id,
        stage_name,
        amount,
        close_date,
        owner_win_rate,
        company_win_rate,
        rep_adjustment,
        cast(win_probability as {{ crm_double_type() }}) as win_probability,
        cast(weighted_amount as {{ crm_money_type() }}) as weighted_amount
    from by_method
)

select * from final
