{#
    The deal-level marts count each closed deal once: mart_win_rate_by_profile's counts sum to
    the closed deals of fct_opportunities, mart_contract_value's won_count per month × segment ×
    type equals mart_win_rate's won_count summed over owners, and mart_product_bookings has no
    deal that is not won. Returns the disagreements.
#}
with

closed as (
    select
        count(case when outcome = 'won' then 1 end) as won_count,
        count(case when outcome = 'lost' then 1 end) as lost_count
    from {{ ref('fct_opportunities') }}
),

profile as (
    select
        coalesce(sum(won_count), 0) as won_count,
        coalesce(sum(lost_count + qualified_out_count), 0) as lost_count
    from {{ ref('mart_win_rate_by_profile') }}
),

profile_check as (
    select 'mart_win_rate_by_profile' as check_name, cast(null as date) as period_month
    from closed
    cross join profile
    where closed.won_count <> profile.won_count or closed.lost_count <> profile.lost_count
),

win_rate as (
    select period_month, segment, opportunity_type, sum(won_count) as won_count
    from {{ ref('mart_win_rate') }}
    group by 1, 2, 3
    having sum(won_count) > 0
),

contract_value as (
    select period_month, segment, opportunity_type, won_count
    from {{ ref('mart_contract_value') }}
),

contract_value_check as (
    select
        'mart_contract_value' as check_name,
        coalesce(win_rate.period_month, contract_value.period_month) as period_month
    from win_rate
    full outer join contract_value
        on
            win_rate.period_month = contract_value.period_month
            and win_rate.segment = contract_value.segment
            and win_rate.opportunity_type = contract_value.opportunity_type
    where
        win_rate.won_count is null
        or contract_value.won_count is null
        or win_rate.won_count <> contract_value.won_count
),

final as (
    select * from profile_check
    union all
    select * from contract_value_check
)

select * from final
